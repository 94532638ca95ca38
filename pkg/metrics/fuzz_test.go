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
// parse (which skips lines before expfmt sees them) must succeed and keep
// exactly what filtering the full parse keeps.
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
		full, fullErr := Parse(bytes.NewReader(data), ParseOptions{ContentType: ct, Pod: "p"})
		if fullErr != nil {
			return
		}
		if err != nil {
			t.Fatalf("the exposition parses, but not with the filter: %v", err)
		}
		// The equivalence is promised for what the pre-filter models: it
		// goes blind on quoted (UTF-8 syntax) names, see lineFilter.
		lf := newLineFilter(bytes.NewReader(data), om, filter, "p")
		if _, err := io.ReadAll(lf); err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		_ = WriteJSON(&a, got)
		_ = WriteJSON(&b, filter.Apply(full))
		if a.String() != b.String() && !lf.blnd {
			t.Fatalf("pre-filtered parse differs from filtering afterwards:\n%s\nvs\n%s", a.String(), b.String())
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
		if _, err := Rates(got, full, time.Second); err != nil {
			t.Fatalf("rates: %v", err)
		}
		if _, err := BuildReport(full, got, time.Second); err != nil {
			t.Fatalf("report: %v", err)
		}
	})
}
