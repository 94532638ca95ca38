package metrics

import (
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
	dist := false
	for _, f := range s.Families {
		dist = dist || f.Type == Summary || f.Type == Histogram
	}
	// Sizes first: growing the buffers as the rows come costs more than
	// writing them.
	cells, size := 8, 64
	for _, f := range s.Families {
		size += len(f.Name)
		for i := range f.Series {
			cells += 3
			if f.Type == Summary || f.Type == Histogram {
				cells += 5
			}
			for _, l := range f.Series[i].Labels {
				size += len(l.Name) + len(l.Value) + 2
			}
			size += 48
		}
	}
	t := &table{buf: make([]byte, 0, size), cells: make([]tableCell, 0, cells), rows: make([]int, 0, s.SeriesCount()+1)}
	t.cell("FAMILY")
	t.cell("LABELS")
	t.cell("VALUE")
	if dist {
		t.cell("COUNT")
		t.cell("MEAN")
		for _, q := range TableQuantiles {
			t.cell("P" + strconv.FormatFloat(q*100, 'g', 4, 64))
		}
	}
	t.endRow()
	rate := ""
	if s.Interval > 0 {
		rate = "/s"
	}
	for _, f := range s.Families {
		name := t.cell(f.Name)
		for i := range f.Series {
			se := &f.Series[i]
			if i > 0 {
				t.again(name)
			}
			if len(se.Labels) == 0 {
				t.cell("-")
			} else {
				t.buf = se.Labels.appendTo(t.buf)
				t.endCell()
			}
			switch f.Type {
			case Summary, Histogram:
				t.cell("-")
				if se.HasCount {
					t.buf = appendValue(t.buf, se.Count)
					t.buf = append(t.buf, rate...)
				} else {
					t.buf = append(t.buf, '-')
				}
				t.endCell()
				if m := se.Mean(); !math.IsNaN(m) {
					t.buf = appendValue(t.buf, m)
				} else {
					t.buf = append(t.buf, '-')
				}
				t.endCell()
				for _, q := range TableQuantiles {
					t.buf = appendQuantile(t.buf, se, q)
					t.endCell()
				}
			case Counter:
				t.buf = appendValue(t.buf, se.Value)
				t.buf = append(t.buf, rate...)
				t.endCell()
			default:
				t.buf = appendValue(t.buf, se.Value)
				t.endCell()
			}
			t.endRow()
		}
	}
	return t.write(w)
}

// table holds the cells of WriteTable in one buffer, so that tens of
// thousands of rows cost a few allocations rather than a few per cell.
type table struct {
	buf    []byte
	mark   int // where the cell being written starts in buf
	cells  []tableCell
	rows   []int // where each row's cells end
	widths []int // by column, in runes
}

// tableCell is where a cell's text is in table.buf, and its width.
type tableCell struct{ start, end, width int32 }

// cell adds a cell and returns it, for again.
func (t *table) cell(s string) tableCell {
	t.buf = append(t.buf, s...)
	return t.endCell()
}

// endCell ends the cell written to buf since the last one.
func (t *table) endCell() tableCell {
	c := tableCell{start: int32(t.mark), end: int32(len(t.buf)), width: int32(runeCount(t.buf[t.mark:]))}
	t.mark = len(t.buf)
	t.add(c)
	return c
}

// again adds a cell with the same text as c, without writing it again.
func (t *table) again(c tableCell) { t.add(c) }

func (t *table) add(c tableCell) {
	col := len(t.cells)
	if n := len(t.rows); n > 0 {
		col -= t.rows[n-1]
	}
	if col >= len(t.widths) {
		t.widths = append(t.widths, 0)
	}
	t.widths[col] = max(t.widths[col], int(c.width))
	t.cells = append(t.cells, c)
}

// runeCount is utf8.RuneCount, quicker for ASCII, which nearly every cell is.
func runeCount(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return i + utf8.RuneCount(b[i:])
		}
	}
	return len(b)
}

func (t *table) endRow() { t.rows = append(t.rows, len(t.cells)) }

// write writes the rows as columns two spaces apart, the last cell of a
// row unpadded. It does what text/tabwriter does for this table at a
// fraction of the cost, which shows with tens of thousands of rows.
func (t *table) write(w io.Writer) error {
	const spaces = "                                                                "
	out := make([]byte, 0, 64<<10)
	start := 0
	for _, end := range t.rows {
		for i, c := range t.cells[start:end] {
			out = append(out, t.buf[c.start:c.end]...)
			if i == end-start-1 {
				break
			}
			for pad := t.widths[i] - int(c.width) + 2; pad > 0; pad -= len(spaces) {
				out = append(out, spaces[:min(pad, len(spaces))]...)
			}
		}
		out = append(out, '\n')
		start = end
		if len(out) > 60<<10 {
			if _, err := w.Write(out); err != nil {
				return err
			}
			out = out[:0]
		}
	}
	_, err := w.Write(out)
	return err
}

func appendQuantile(b []byte, se *Series, q float64) []byte {
	if len(se.Buckets) == 0 {
		found := false
		for _, sq := range se.Quantiles {
			found = found || math.Abs(sq.Quantile-q) < 1e-9
		}
		if !found {
			return append(b, '-')
		}
	}
	return appendValue(b, se.Quantile(q))
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
	var b [32]byte
	return string(appendValue(b[:0], v))
}

// appendValue appends v as formatValue prints it.
func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, +1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.AppendFloat(b, v, 'f', 0, 64)
	case math.Abs(v) >= 1000:
		return strconv.AppendFloat(b, v, 'f', 1, 64)
	}
	return strconv.AppendFloat(b, v, 'g', 4, 64)
}
