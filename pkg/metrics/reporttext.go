package metrics

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// maxReportRows bounds each list of the report so that it fits one screen.
const maxReportRows = 5

// WriteReport writes the report for a terminal, one screen: requests by
// method, the pods side by side, the digest cache, storage errors (critical
// codes flagged), pull-through errors by upstream registry and the slowest
// storage operations. Lists longer than five rows are cut, saying how many
// rows were left out; the JSON form has them all.
func WriteReport(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	secs := !r.SinceStart
	pods := "no pod names (one replica's view)"
	if len(r.Pods) > 0 {
		pods = fmt.Sprintf("%d pod(s): %s", len(r.Pods), strings.Join(r.Pods, ", "))
	}
	if secs {
		ew.printf("Registry metrics over %s, %s\n", r.Interval, pods)
	} else {
		ew.printf("Registry metrics since each pod started (one scrape: totals, no rates), %s\n", pods)
	}

	t := &r.Total
	ew.printf("\n")
	tw := tabwriter.NewWriter(ew, 0, 8, 2, ' ', 0)
	hdr := "METHOD\tREQUESTS\t"
	if secs {
		hdr += "RATE/S\t"
	}
	fmt.Fprintln(tw, hdr+"4XX\t5XX\tP99\tMEAN")
	row := func(name string, req, rate, e4, e5, p99, mean float64) {
		line := name + "\t" + formatValue(req) + "\t"
		if secs {
			line += formatValue(rate) + "\t"
		}
		fmt.Fprintln(tw, line+formatRatio(e4)+"\t"+formatRatio(e5)+"\t"+formatSeconds(p99)+"\t"+formatSeconds(mean))
	}
	for i, m := range t.Methods {
		if i == maxReportRows {
			fmt.Fprintf(tw, "(%d more)\n", len(t.Methods)-i)
			break
		}
		row(m.Method, m.Requests, m.Rate, m.ErrorRatio4xx, m.ErrorRatio5xx, m.P99Seconds, m.MeanSeconds)
	}
	row("all", t.Requests, t.RequestRate, t.ErrorRatio4xx, t.ErrorRatio5xx, t.P99Seconds, t.MeanSeconds)
	if len(r.ByPod) > 0 {
		fmt.Fprintln(tw)
		hdr := "POD\tREQUESTS\t"
		if secs {
			hdr += "RATE/S\t"
		}
		fmt.Fprintln(tw, hdr+"4XX\t5XX\tP99\tIN FLIGHT\tDIGEST HITS")
		for _, p := range r.ByPod {
			line := p.Pod + "\t" + formatValue(p.Requests) + "\t"
			if secs {
				line += formatValue(p.RequestRate) + "\t"
			}
			fmt.Fprintln(tw, line+formatRatio(p.ErrorRatio4xx)+"\t"+formatRatio(p.ErrorRatio5xx)+"\t"+
				formatSeconds(p.P99Seconds)+"\t"+formatCount(p.InFlight)+"\t"+formatRatio(p.DigestCache.HitRatio))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	ew.printf("\nIn flight: %s\n", formatCount(t.InFlight))
	ew.printf("Digest cache: %s; scoped %s\n", formatCache(t.DigestCache), formatCache(t.DigestCacheScoped))

	ew.printf("\nStorage errors")
	if len(t.StorageErrors) == 0 {
		ew.printf(": none\n")
	} else {
		ew.printf(":\n")
		err := rows(ew, len(t.StorageErrors), func(i int) string {
			e := t.StorageErrors[i]
			flag := ""
			if e.Critical {
				flag = "CRITICAL"
			}
			return fmt.Sprintf("  %s\t%s\t%s\t%s\t%s\n", flag, e.Code, e.Operation, countAndRate(e.Count, e.Rate, secs),
				byPod(r.ByPod, func(s *Section) float64 {
					n := 0.0
					for _, pe := range s.StorageErrors {
						if pe.Code == e.Code && pe.Operation == e.Operation {
							n += pe.Count
						}
					}
					return n
				}))
		})
		if err != nil {
			return err
		}
	}

	ew.printf("Pull-through errors")
	if len(t.PullthroughErrors) == 0 {
		ew.printf(": none\n")
	} else {
		ew.printf(" by upstream registry:\n")
		err := rows(ew, len(t.PullthroughErrors), func(i int) string {
			e := t.PullthroughErrors[i]
			return fmt.Sprintf("  %s\t%s\t%s\t%s\n", e.Registry, e.Operation, e.Code, countAndRate(e.Count, e.Rate, secs))
		})
		if err != nil {
			return err
		}
	}

	ew.printf("\nSlowest storage operations (p99 over the registry's 10-minute window):")
	if len(t.StorageLatency) == 0 {
		ew.printf(" no data\n")
	} else {
		ew.printf("\n")
		err := rows(ew, len(t.StorageLatency), func(i int) string {
			o := t.StorageLatency[i]
			slowest := ""
			if len(r.ByPod) > 1 && !math.IsNaN(o.P99Seconds) {
				for _, p := range r.ByPod {
					for _, po := range p.StorageLatency {
						if po.Operation == o.Operation && po.P99Seconds == o.P99Seconds {
							slowest = "on " + p.Pod
						}
					}
				}
			}
			return fmt.Sprintf("  %s\tp99 %s\tmean %s\t%s\n", o.Operation, formatSeconds(o.P99Seconds), formatSeconds(o.MeanSeconds), slowest)
		})
		if err != nil {
			return err
		}
	}
	return ew.err
}

// rows writes a list's lines, aligned, up to maxReportRows and then how
// many more there are.
func rows(w io.Writer, n int, line func(i int) string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for i := range n {
		if i == maxReportRows {
			fmt.Fprintf(tw, "  (%d more)\n", n-i)
			break
		}
		io.WriteString(tw, line(i))
	}
	return tw.Flush()
}

// byPod lists a per-pod number as "pod-a 3, pod-b 0", or "" with one pod.
func byPod(pods []Section, get func(*Section) float64) string {
	if len(pods) < 2 {
		return ""
	}
	parts := make([]string, 0, len(pods))
	for i := range pods {
		parts = append(parts, pods[i].Pod+" "+formatValue(get(&pods[i])))
	}
	return strings.Join(parts, ", ")
}

func countAndRate(count, rate float64, secs bool) string {
	if !secs {
		return formatValue(count) + " since start"
	}
	return formatValue(count) + " (" + formatValue(rate) + "/s)"
}

func formatCache(c CacheStats) string {
	if math.IsNaN(c.HitRatio) {
		return "no lookups"
	}
	return fmt.Sprintf("%s hits (%s of %s)", formatRatio(c.HitRatio), formatValue(c.Hits), formatValue(c.Hits+c.Misses))
}

func formatRatio(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", v*100)
}

func formatCount(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return formatValue(v)
}

// formatSeconds prints a latency in the unit that keeps it short.
func formatSeconds(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case math.IsInf(v, 0):
		return formatValue(v)
	case math.Abs(v) < 1e-3:
		return strconv.FormatFloat(v*1e6, 'g', 3, 64) + "µs"
	case math.Abs(v) < 1:
		return strconv.FormatFloat(v*1e3, 'g', 3, 64) + "ms"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + "s"
}

// errWriter keeps the first write error so that the renderer can print
// without checking each line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}
