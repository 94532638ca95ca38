package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// TableQuantiles are the quantile columns of the table.
var TableQuantiles = []float64{0.5, 0.9, 0.99}

// WriteTable writes one row per series: FAMILY, LABELS, VALUE, and for
// summaries and histograms COUNT, MEAN (sum/count) and P50, P90, P99 — a
// summary's own quantiles, a histogram's computed by HistogramQuantile. The
// distribution columns appear only when the snapshot has such a family.
// In a rates snapshot, per-second values carry a "/s" suffix. LABELS is in
// the -l syntax, so a row can be pasted into a label filter.
func WriteTable(w io.Writer, s *Snapshot) error {
	rows := make([][]string, 0, s.SeriesCount()+1)
	dist := false
	for _, f := range s.Families {
		dist = dist || f.Type == Summary || f.Type == Histogram
	}
	cols := []string{"FAMILY", "LABELS", "VALUE"}
	if dist {
		cols = append(cols, "COUNT", "MEAN")
		for _, q := range TableQuantiles {
			cols = append(cols, "P"+strconv.FormatFloat(q*100, 'g', 4, 64))
		}
	}
	rows = append(rows, cols)
	rate := ""
	if s.Interval > 0 {
		rate = "/s"
	}
	for _, f := range s.Families {
		for i := range f.Series {
			se := &f.Series[i]
			labels := se.Labels.String()
			if labels == "" {
				labels = "-"
			}
			row := []string{f.Name, labels}
			switch f.Type {
			case Summary, Histogram:
				row = append(row, "-")
				count, mean := "-", "-"
				if se.HasCount {
					count = formatValue(se.Count) + rate
				}
				if m := se.Mean(); !math.IsNaN(m) {
					mean = formatValue(m)
				}
				row = append(row, count, mean)
				for _, q := range TableQuantiles {
					row = append(row, formatQuantile(se, q))
				}
			case Counter:
				row = append(row, formatValue(se.Value)+rate)
			default:
				row = append(row, formatValue(se.Value))
			}
			rows = append(rows, row)
		}
	}
	return writeAligned(w, rows)
}

// writeAligned writes rows as columns two spaces apart, the last cell of a
// row unpadded. It does what text/tabwriter does for this table at half the
// cost, which shows with tens of thousands of rows.
func writeAligned(w io.Writer, rows [][]string) error {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, r := range rows {
		for i, c := range r {
			bw.WriteString(c)
			if i < len(r)-1 {
				for range widths[i] - utf8.RuneCountInString(c) + 2 {
					bw.WriteByte(' ')
				}
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func formatQuantile(se *Series, q float64) string {
	if len(se.Buckets) == 0 {
		found := false
		for _, sq := range se.Quantiles {
			found = found || math.Abs(sq.Quantile-q) < 1e-9
		}
		if !found {
			return "-"
		}
	}
	return formatValue(se.Quantile(q))
}

// WriteRates writes one block of the watch mode: a header line with the time
// and interval, then the table of a rates snapshot, then an empty line.
func WriteRates(w io.Writer, s *Snapshot, at time.Time) error {
	pods := ""
	switch n := len(s.Pods); n {
	case 0:
	case 1:
		pods = ", pod " + s.Pods[0]
	default:
		pods = fmt.Sprintf(", %d pods", n)
	}
	if _, err := fmt.Fprintf(w, "# %s rates per second over %s%s\n", at.Format(time.TimeOnly), s.Interval, pods); err != nil {
		return err
	}
	if err := WriteTable(w, s); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w)
	return err
}

// formatValue prints a value compactly: integers whole, others with four
// significant digits, NaN and infinities as Prometheus spells them.
func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, +1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 1000:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
