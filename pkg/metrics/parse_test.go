package metrics

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
)

func mustParse(t testing.TB, text, pod string) *Snapshot {
	t.Helper()
	s, err := Parse(strings.NewReader(text), ParseOptions{Pod: pod})
	if err != nil {
		t.Fatalf("parsing %s: %v", pod, err)
	}
	return s
}

func mustFilter(t testing.TB, o FilterOptions) *Filter {
	t.Helper()
	f, err := NewFilter(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseSeed(t *testing.T) {
	b, err := os.ReadFile("testdata/seed-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(bytes.NewReader(b), ParseOptions{ContentType: "text/plain; version=0.0.4; charset=utf-8", Pod: "image-registry-1"})
	if err != nil {
		t.Fatalf("the truncated seed sample must parse: %v", err)
	}
	if got := len(s.Families); got != 5 {
		t.Errorf("families = %d, want 5", got)
	}
	d := s.Family("imageregistry_http_request_duration_seconds")
	if d == nil || d.Type != Summary || len(d.Series) != 1 {
		t.Fatalf("duration summary = %+v", d)
	}
	se := d.Series[0]
	if se.HasCount {
		t.Errorf("the seed has no _count line, but HasCount is set (count %v)", se.Count)
	}
	if !se.HasSum || se.Sum != 12.260727916000022 {
		t.Errorf("sum = %v (%v)", se.Sum, se.HasSum)
	}
	if !math.IsNaN(se.Mean()) {
		t.Errorf("mean without a count = %v, want NaN", se.Mean())
	}
	if got := se.Quantile(0.99); got != 0.015981195 {
		t.Errorf("p99 = %v", got)
	}
	if got := se.Labels.String(); got != "method=get,pod=image-registry-1" {
		t.Errorf("labels = %s", got)
	}
	if c := s.Family("imageregistry_digest_cache_requests_total"); c == nil || c.Type != Counter || c.Series[1].Value != 24 {
		t.Errorf("digest cache counter = %+v", c)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name, text string
		filter     FilterOptions
		line       int
	}{
		{"bad value", "# TYPE a counter\na 1\na{x=\"y\"} one\n", FilterOptions{All: true}, 3},
		// The pre-filter drops family a, but still reports its bad line.
		{"bad value in a filtered-out family", "# TYPE a counter\na 1\na{x=\"y\"} one\nb 2\n", FilterOptions{Patterns: []string{"b"}, All: true}, 3},
		{"bad labels in a filtered-out family", "b 2\na{x=y} 1\n", FilterOptions{Patterns: []string{"b"}, All: true}, 2},
		{"bad timestamp in a filtered-out family", "b 2\na 1 soon\n", FilterOptions{Patterns: []string{"b"}, All: true}, 2},
		{"bad escape", "a{x=\"\\q\"} 1\n", FilterOptions{}, 1},
		// expfmt never sees the samples of a counter the filter keeps: the
		// filter reports these itself.
		{"TYPE after samples", "# HELP a x\na 1\n# TYPE a counter\n", FilterOptions{All: true}, 3},
		{"second HELP", "# HELP a x\n# HELP a y\na 1\n", FilterOptions{All: true}, 2},
		{"duplicate label", "a{x=\"1\",x=\"2\"} 1\n", FilterOptions{All: true}, 1},
		{"reserved label", "a{__name__=\"b\"} 1\n", FilterOptions{All: true}, 1},
		{"invalid UTF-8", "a{x=\"\xff\"} 1\n", FilterOptions{All: true}, 1},
		{"overflow in a filtered-out family", "b 2\na 1e400\n", FilterOptions{Patterns: []string{"b"}, All: true}, 2},
		{"unknown type", "# TYPE a countr\na 1\n", FilterOptions{All: true}, 1},
		// A scrape cut inside a line: the last line has no newline.
		{"cut mid-line", "# TYPE a counter\na 1\na{x=\"y\"} 1", FilterOptions{All: true}, 3},
		{"cut mid-line, filtered out", "b 1\na{x=\"y\"} 1", FilterOptions{Patterns: []string{"b"}, All: true}, 2},
		// Line numbers survive dropped comment blocks.
		{"after dropped comments", "# HELP a x\n# TYPE a counter\na 1\n\n# HELP b y\n# TYPE b gauge\nb 1\nb{ 2\n", FilterOptions{Patterns: []string{"a"}, All: true}, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFilter(t, tt.filter)
			_, err := Parse(strings.NewReader(tt.text), ParseOptions{Pod: "p1", Filter: f})
			var pe expfmt.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want an expfmt.ParseError", err)
			}
			if pe.Line != tt.line {
				t.Errorf("error at line %d, want %d: %v", pe.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), "pod p1") {
				t.Errorf("error does not name the pod: %v", err)
			}
		})
	}
}

type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func TestParseReadError(t *testing.T) {
	for _, filtered := range []bool{false, true} {
		o := ParseOptions{Pod: "p1"}
		if filtered {
			o.Filter = mustFilter(t, FilterOptions{Patterns: []string{"a"}, All: true})
		}
		_, err := Parse(failingReader{strings.NewReader("a 1\n")}, o)
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(err.Error(), "reading metrics exposition of pod p1") {
			t.Errorf("filtered=%v: error = %v, want a wrapped read error", filtered, err)
		}
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		ct   string
		want Format
		err  string
	}{
		{"", FormatText, ""},
		{"text/plain; version=0.0.4; charset=utf-8", FormatText, ""},
		{"text/plain", FormatText, ""},
		{"application/openmetrics-text; version=1.0.0; charset=utf-8", FormatOpenMetrics, ""},
		{"text/html; charset=utf-8", 0, "not a metrics exposition"},
		{"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited", 0, "protobuf"},
		{"text/plain; =", 0, "reading content type"},
	}
	for _, tt := range tests {
		got, err := FormatOf(tt.ct)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("FormatOf(%q) error = %v, want %q", tt.ct, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FormatOf(%q) = %v, %v; want %v", tt.ct, got, err, tt.want)
		}
	}
	if _, err := Parse(strings.NewReader("<html>"), ParseOptions{ContentType: "text/html"}); err == nil {
		t.Error("an HTML answer parsed as metrics")
	}
}

func TestParseSorts(t *testing.T) {
	s := mustParse(t, "b{x=\"2\"} 1\nb{x=\"10\"} 1\na 1\nb{x=\"1\"} 1\n", "")
	var got []string
	for _, f := range s.Families {
		for _, se := range f.Series {
			got = append(got, f.Name+"{"+se.Labels.String()+"}")
		}
	}
	if strings.Join(got, " ") != "a{} b{x=1} b{x=10} b{x=2}" {
		t.Errorf("order = %v, want families by name and series by labels", got)
	}
}

func TestParsePodLabel(t *testing.T) {
	text := "# TYPE a counter\na{pod=\"inner\",x=\"1\"} 1\n"
	s := mustParse(t, text, "outer")
	if got := s.Families[0].Series[0].Labels.String(); got != "exported_pod=inner,pod=outer,x=1" {
		t.Errorf("labels = %s", got)
	}
	s = mustParse(t, text, "")
	if got := s.Families[0].Series[0].Labels.String(); got != "pod=inner,x=1" || len(s.Pods) != 0 {
		t.Errorf("without a pod name: labels = %s, pods %v", got, s.Pods)
	}
	// Matchers see the pod given to Parse, and the exposition's own as exported_pod.
	for _, sel := range []string{"pod=outer", "exported_pod=inner", "pod=outer,exported_pod=~inn.*"} {
		f := mustFilter(t, FilterOptions{All: true, Labels: sel})
		s, err := Parse(strings.NewReader(text), ParseOptions{Pod: "outer", Filter: f})
		if err != nil || s.SeriesCount() != 1 {
			t.Errorf("-l %s kept %d series (%v), want 1", sel, s.SeriesCount(), err)
		}
	}
	f := mustFilter(t, FilterOptions{All: true, Labels: "pod=inner"})
	if s, _ := Parse(strings.NewReader(text), ParseOptions{Pod: "outer", Filter: f}); s.SeriesCount() != 0 {
		t.Errorf("-l pod=inner matched the exposition's label, not the pod")
	}
}

const openMetricsSample = `# HELP build Build information.
# TYPE build info
build_info{version="1.2"} 1
# TYPE requests counter
# HELP requests Requests served.
# UNIT requests requests
requests_total{code="200"} 10 1520879607.789 # {trace_id="abc"} 1.0 1520879607.789
requests_created{code="200"} 1520879000
requests_total{code="500"} 2
# TYPE latency_seconds histogram
# UNIT latency_seconds seconds
latency_seconds_bucket{le="0.1"} 1
latency_seconds_bucket{le="1.0"} 3 # {trace_id="x"} 0.5
latency_seconds_bucket{le="+Inf"} 4
latency_seconds_count 4
latency_seconds_sum 2.5
latency_seconds_created 1520879000
# TYPE state stateset
state{state="a"} 1
state{state="b"} 0
# TYPE mystery unknown
mystery 7
# TYPE queue gaugehistogram
queue_bucket{le="+Inf"} 3
queue_gcount 3
queue_gsum 1
# EOF
`

func TestParseOpenMetrics(t *testing.T) {
	s, err := Parse(strings.NewReader(openMetricsSample), ParseOptions{ContentType: "application/openmetrics-text; version=1.0.0", Filter: mustFilter(t, FilterOptions{All: true})})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Type{
		"build_info": Gauge, "requests_total": Counter, "latency_seconds": Histogram, "state": Gauge, "mystery": Untyped,
		"queue_bucket": Untyped, "queue_gcount": Untyped, "queue_gsum": Untyped,
	}
	for _, f := range s.Families {
		if want[f.Name] != f.Type {
			t.Errorf("family %s is %s, want %q", f.Name, f.Type, want[f.Name])
		}
		delete(want, f.Name)
	}
	if len(want) > 0 {
		t.Errorf("families missing: %v", want)
	}
	req := s.Family("requests_total")
	if req == nil || req.Help != "Requests served." || len(req.Series) != 2 || req.Series[0].Value != 10 {
		t.Errorf("requests_total = %+v", req)
	}
	if h := s.Family("latency_seconds"); h == nil || h.Series[0].Count != 4 || len(h.Series[0].Buckets) != 3 {
		t.Errorf("latency_seconds = %+v", h)
	}
	if b := s.Family("build_info"); b == nil || b.Help != "Build information." {
		t.Errorf("an info family keeps its HELP under the _info name: %+v", b)
	}
}

func TestParseOpenMetricsErrors(t *testing.T) {
	bad := "# TYPE a counter\na_total 1\na_total{x=\"y\"} one\n# EOF\n"
	_, err := Parse(strings.NewReader(bad), ParseOptions{ContentType: "application/openmetrics-text"})
	var pe expfmt.ParseError
	if !errors.As(err, &pe) || pe.Line != 3 {
		t.Errorf("error = %v, want one at line 3", err)
	}
	// Garbage after an exemplar is not tidied away by the translation.
	_, err = Parse(strings.NewReader("# TYPE a counter\na_total 1 # {x=\"y\"} 1\na_total{b=\"c\"} 1 2 3\n# EOF\n"), ParseOptions{ContentType: "application/openmetrics-text"})
	if !errors.As(err, &pe) || pe.Line != 3 {
		t.Errorf("error = %v, want one at line 3", err)
	}
	// After # EOF nothing is read.
	s, err := Parse(strings.NewReader("a 1\n# EOF\ngarbage {\n"), ParseOptions{ContentType: "application/openmetrics-text", Filter: mustFilter(t, FilterOptions{All: true})})
	if err != nil || s.SeriesCount() != 1 {
		t.Errorf("after # EOF: %v, %d series", err, s.SeriesCount())
	}
}

// TestPrefilterDropsLines checks that the pre-filter, not only the filter
// applied after parsing, does the work: expfmt must not see the lines of
// families or series the filter excludes, nor the counter lines the filter
// builds itself.
func TestPrefilterDropsLines(t *testing.T) {
	var buf bytes.Buffer
	if err := GenerateExposition(&buf, 2000); err != nil {
		t.Fatal(err)
	}
	in := strings.Split(buf.String(), "\n")
	f := mustFilter(t, FilterOptions{Patterns: []string{"http_.*"}, Labels: "method=get"})
	lf := newLineFilter(bytes.NewReader(buf.Bytes()), false, f, "p")
	out, err := io.ReadAll(lf)
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for i, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if strings.HasPrefix(l, "# ") {
			continue
		}
		passed++
		if !strings.HasPrefix(l, "imageregistry_http_request_duration_seconds") {
			t.Errorf("line of another family passed: %q", l)
		}
		if !strings.Contains(l, `method="get"`) {
			t.Errorf("line of another method passed: %q", l)
		}
		// The parser's line i+1 must map back to the same input line.
		if n := lf.inputLine(i + 1); n < 1 || n > len(in) || in[n-1] != l {
			t.Errorf("output line %d %q maps to input line %d", i+1, l, n)
		}
	}
	s, err := Parse(bytes.NewReader(buf.Bytes()), ParseOptions{Pod: "p", Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	summaries := len(s.Family("imageregistry_http_request_duration_seconds").Series)
	counters := len(s.Family("imageregistry_http_requests_total").Series)
	if passed != 5*summaries {
		t.Errorf("%d sample lines passed to expfmt for %d summaries of 5 lines", passed, summaries)
	}
	if counters < 100 || summaries < 20 {
		t.Errorf("only %d counters and %d summaries kept: the generator or the filter is off", counters, summaries)
	}
	if len(lf.direct["imageregistry_http_requests_total"].Series) != counters {
		t.Errorf("the counters were not built by the filter itself")
	}
}

// TestPrefilterAgrees compares parsing with the filter against parsing
// everything and filtering afterwards, over inputs where the family a line
// belongs to is not obvious from its name.
func TestPrefilterAgrees(t *testing.T) {
	var gen bytes.Buffer
	if err := GenerateExposition(&gen, 3000); err != nil {
		t.Fatal(err)
	}
	seed, err := os.ReadFile("testdata/seed-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	tricky := `# HELP x_count a counter named like a summary part
# TYPE x_count counter
x_count 1
# TYPE x summary
x{quantile="0.5"} 1
x_sum 2
x_count 3
y_sum 4
# TYPE y histogram
y_bucket{le="1"} 1
y_bucket{le="+Inf"} 2
y_sum 3
y_count 2
z{le="1",quantile="2"} 5
# TYPE s summary
s{quantile="0.5",method="get"} 1
s_sum{method="get"} 1
s_count{method="get"} 1
s{quantile="0.5",method="put"} 1
s_count{method="put"} 1
# HELP esc a \"quoted\" \\ help\non two lines
esc{a="x\"y\\z\n",method="get"} 1
podded{pod="inner",method="get"} 1
dup{method="get"} 1
dup{method="get"} 2
# HELP helponly some help
helponly 3
  	lead{method="get"} 1
trail{method="get",} 2 1700000000000
`
	// A quoted name makes the filter go blind half way through family a.
	blind := "a{x=\"1\"} 1\n{\"b\"} 2\na{x=\"1\"} 3\n"
	inputs := map[string]string{"generated": gen.String(), "seed": string(seed), "tricky": tricky, "blind": blind}
	filters := []FilterOptions{
		{All: true},
		{},
		{Patterns: []string{"http_.*"}, Labels: "method=get"},
		{All: true, Patterns: []string{"x.*", "y"}},
		{All: true, Patterns: []string{"x"}},
		{All: true, Labels: "quantile=0.5"},
		{All: true, Labels: "le=1"},
		{All: true, Labels: "quantile!=0.5"},
		{All: true, Labels: "le!=1"},
		{All: true, Labels: "method!=get"},
		{All: true, Labels: `a="x\"y\\z\n"`},
		{All: true, Types: []Type{Summary}},
		{All: true, Types: []Type{Untyped}},
		{All: true, Types: []Type{Counter, Histogram}, Labels: "code=~2.."},
		{All: true, Labels: "pod=p1"},
		{All: true, Labels: "pod=p2"},
	}
	for name, in := range inputs {
		full, err := Parse(strings.NewReader(in), ParseOptions{Pod: "p1"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, fo := range filters {
			f := mustFilter(t, fo)
			got, err := Parse(strings.NewReader(in), ParseOptions{Pod: "p1", Filter: f})
			if err != nil {
				t.Fatalf("%s %+v: %v", name, fo, err)
			}
			var a, b bytes.Buffer
			_ = WriteJSON(&a, got)
			_ = WriteJSON(&b, f.Apply(full))
			if a.String() != b.String() {
				t.Errorf("%s, filter %+v: pre-filtered parse differs from filtering afterwards:\n%s\nvs\n%s", name, fo, a.String(), b.String())
			}
		}
	}
}
