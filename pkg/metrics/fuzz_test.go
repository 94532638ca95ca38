package metrics

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// FuzzParseFilter feeds arbitrary expositions and filters to Parse. It must
// never panic, and whenever the exposition parses unfiltered, the filtered
// parse (which skips lines before expfmt sees them, and builds the series
// of the lines it keeps itself) must succeed and keep exactly what
// filtering the full parse keeps. Besides, the filtered parse must give
// the same result, or fail on the same line, when the filter passes the
// lines it keeps to expfmt instead of building their series: this covers
// OpenMetrics, which expfmt only reads through the filter.
func FuzzParseFilter(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed-metrics.txt")
	if err != nil {
		f.Fatal(err)
	}
	var gen bytes.Buffer
	if err := GenerateExposition(&gen, 60); err != nil {
		f.Fatal(err)
	}
	f.Add(seed, "http_.*", "method=get", false)
	f.Add(gen.Bytes(), "http_.*|storage_.*", "method=~g.*,code!=200", false)
	f.Add([]byte(openMetricsSample), "requests.*", "code=~5..", true)
	f.Add([]byte(podA), "dur|h", "quantile=0.99", false)
	f.Add([]byte("# TYPE x summary\nx{quantile=\"0.5\"} 1\nx_count 3\nx_count{a=\"b\"} 1\n"), "x_count", "le=", false)
	f.Add([]byte("# HELP a x\\ny\n# TYPE a counter\na{b=\"c\\\"\"} 1 123\n\n#\n{\"a\"} 1\n"), "a", `b="c\""`, false)
	f.Add([]byte("a 1\nb{"), "b", "", false)
	f.Add([]byte(distSample), "h|s", "m!=b", false)
	f.Add([]byte(distSample), "", "", true)
	f.Add([]byte("# TYPE s summary\ns{quantile=\"0.5\"} 1 2\ns_count 1\n# TYPE h histogram\nh_bucket{le=\"1\"} 1 # {a=\"b\"} 1\nh_count 1.5\nh_created 1\n# EOF\n"), "s|h", "", true)
	f.Fuzz(func(t *testing.T, data []byte, patterns, labels string, om bool) {
		var pats []string
		if patterns != "" {
			pats = strings.Split(patterns, "\x00")
		}
		filter, err := NewFilter(FilterOptions{Patterns: pats, All: len(patterns)%2 == 0, Labels: labels})
		if err != nil {
			return
		}
		ct := ""
		if om {
			ct = "application/openmetrics-text; version=1.0.0"
		}
		got, err := Parse(bytes.NewReader(data), ParseOptions{ContentType: ct, Pod: "p", Filter: filter})
		// The equivalences are promised for what the pre-filter models: it
		// goes blind on quoted (UTF-8 syntax) names, see lineFilter.
		lf := newLineFilter(bytes.NewReader(data), om, filter, "p")
		_, lfErr := io.ReadAll(lf)
		if !lf.blnd {
			if err := compareParsePaths(data, ct, filter); err != nil {
				t.Fatal(err)
			}
		}
		full, fullErr := Parse(bytes.NewReader(data), ParseOptions{ContentType: ct, Pod: "p"})
		if fullErr != nil {
			return
		}
		if err != nil {
			t.Fatalf("the exposition parses, but not with the filter: %v", err)
		}
		if lfErr != nil {
			t.Fatal(lfErr)
		}
		if a, b := dumpSnapshot(got), dumpSnapshot(filter.Apply(full)); a != b && !lf.blnd {
			t.Fatalf("pre-filtered parse differs from filtering afterwards:\n%s\nvs\n%s", a, b)
		}
		// The rest of the pipeline must take whatever parses.
		for _, w := range []func(io.Writer, *Snapshot) error{WriteTable, WriteJSON, WriteProm} {
			if err := w(io.Discard, got); err != nil {
				t.Fatalf("rendering: %v", err)
			}
		}
		if _, err := Merge(MergeSum, got, full); err != nil {
			t.Fatalf("merging: %v", err)
		}
		// Merge's shortcut for one snapshot.
		for _, mode := range []MergeMode{MergeSum, MergeByPod, MergeSum + 10} {
			s := got
			if mode > MergeByPod {
				if om {
					continue
				}
				// And one without pod labels, with any duplicates.
				mode, s = MergeSum, mustParse(t, string(data), "")
			}
			a, err := Merge(mode, s)
			if err != nil {
				t.Fatal(err)
			}
			b, err := mergeAll(mode, s)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := dumpSnapshot(a), dumpSnapshot(b); a != b {
				t.Fatalf("Merge of one snapshot, mode %d, differs from the long way:\n%s\nvs\n%s", mode, a, b)
			}
		}
		if _, err := Rates(got, full, time.Second); err != nil {
			t.Fatalf("rates: %v", err)
		}
		if _, err := BuildReport(full, got, time.Second); err != nil {
			t.Fatalf("report: %v", err)
		}
	})
}
