package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
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
		// Summaries and histograms the filter builds itself.
		{"bad quantile", "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"x\"} 1\n", FilterOptions{All: true}, 3},
		{"bad quantile on a _sum line", "# TYPE s summary\ns_sum{quantile=\"1_0\"} 1\n", FilterOptions{All: true}, 2},
		{"bad le", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"0x1p-2\"} 1\n", FilterOptions{All: true}, 3},
		{"negative histogram count", "# TYPE h histogram\nh_count -1\n", FilterOptions{All: true}, 2},
		{"negative bucket", "# TYPE h histogram\nh_bucket{le=\"1\"} -0.5\n", FilterOptions{All: true}, 2},
		{"duplicate label in a summary", "# TYPE s summary\ns{a=\"1\",quantile=\"0.5\",a=\"2\"} 1\n", FilterOptions{All: true}, 2},
		{"duplicate le in a summary", "# TYPE s summary\ns{le=\"1\",le=\"2\"} 1\n", FilterOptions{All: true}, 2},
		{"reserved label in a histogram", "# TYPE h histogram\nh_sum{__name__=\"x\"} 1\n", FilterOptions{All: true}, 2},
		{"invalid UTF-8 in a quantile", "# TYPE s summary\ns{quantile=\"\xff\"} 1\n", FilterOptions{All: true}, 2},
		{"TYPE after summary samples", "# TYPE s summary\ns_sum 1\n# TYPE s_count counter\n", FilterOptions{All: true}, 3},
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

// TestSortSeries checks the sort of thousands of series (by keys) against
// compareLabels, with the bytes the keys escape, names and values that are
// prefixes of others, label lists of different lengths and equal series,
// which keep their order.
func TestSortSeries(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "a", "a\x00", "a\x00b", "a\x01", "a\x02", "ab", "b", "\x00", "\x01", "\xff", "a\x01\x00"}
	for _, n := range []int{10, 100, 3000} {
		f := &Family{}
		for i := range n {
			var ls Labels
			for range rng.IntN(4) {
				ls = append(ls, Label{Name: strs[rng.IntN(len(strs))], Value: strs[rng.IntN(len(strs))]})
			}
			f.Series = append(f.Series, Series{Labels: ls, Value: float64(i)})
		}
		f.sortSeries()
		for i := 1; i < n; i++ {
			a, b := f.Series[i-1], f.Series[i]
			switch c := compareLabels(a.Labels, b.Labels); {
			case c > 0:
				t.Fatalf("n=%d: %q before %q", n, a.Labels, b.Labels)
			case c == 0 && a.Value > b.Value:
				t.Fatalf("n=%d: equal series %q out of order", n, a.Labels)
			}
		}
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
// families or series the filter excludes, nor the sample lines the filter
// builds series of itself, which with this exposition is all of them.
func TestPrefilterDropsLines(t *testing.T) {
	var buf bytes.Buffer
	if err := GenerateExposition(&buf, 2000); err != nil {
		t.Fatal(err)
	}
	in := strings.Split(buf.String(), "\n")
	f := mustFilter(t, FilterOptions{Patterns: []string{"http_.*"}, Labels: "method=get"})
	for _, viaParser := range []bool{false, true} {
		lf := newLineFilter(bytes.NewReader(buf.Bytes()), false, f, "p")
		lf.viaParser = viaParser
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
			if !strings.HasPrefix(l, "imageregistry_http_") {
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
		if counters < 100 || summaries < 20 {
			t.Errorf("only %d counters and %d summaries kept: the generator or the filter is off", counters, summaries)
		}
		if viaParser {
			if passed != counters+5*summaries {
				t.Errorf("via the parser: %d sample lines passed to expfmt for %d counters and %d summaries of 5 lines", passed, counters, summaries)
			}
			continue
		}
		if passed != 0 {
			t.Errorf("%d sample lines passed to expfmt", passed)
		}
		if len(lf.direct["imageregistry_http_requests_total"].values) != counters {
			t.Errorf("the counters were not built by the filter itself")
		}
		if len(lf.direct["imageregistry_http_request_duration_seconds"].Series) != summaries {
			t.Errorf("the summaries were not built by the filter itself")
		}
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
	// A quoted name makes the filter go blind half way through family a,
	// and through summary s and histogram h.
	blind := "a{x=\"1\"} 1\n{\"b\"} 2\na{x=\"1\"} 3\n"
	blindDist := `# TYPE s summary
# TYPE h histogram
s{a="1",quantile="0.9"} 1
s{a="2",quantile="0.5"} 1
h_bucket{le="+Inf"} 1
h_bucket{le="2",a="1"} 1
{"b"} 2
s{a="1",quantile="0.5"} 3
s_count{a="1"} 4
s{a="3",quantile="0.1"} 5
h_bucket{le="1"} 1
h_count 1
h_sum{a="2"} 1
`
	// Families large enough for the filter to sort them on the side (see
	// seal), one of them coming back after another family.
	var split strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&split, "a{method=\"get\",x=\"%d\"} %d\n", (i*7919)%3000, i)
		if i == 2000 {
			split.WriteString("# TYPE b counter\nb 1\n")
			for j := range 1500 {
				fmt.Fprintf(&split, "b{y=\"%d\"} 1\n", (j*31)%1500)
			}
		}
	}
	var big bytes.Buffer
	if err := GenerateExposition(&big, 12000); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{"generated": gen.String(), "seed": string(seed), "tricky": tricky, "blind": blind, "blind-dist": blindDist, "dist": distSample,
		"split": split.String(), "big": big.String()}
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
			if name == "blind-dist" && len(fo.Types) > 0 {
				// The documented limit of going blind: families whose TYPE
				// line the type filter dropped are read as untyped after.
				continue
			}
			f := mustFilter(t, fo)
			got, err := Parse(strings.NewReader(in), ParseOptions{Pod: "p1", Filter: f})
			if err != nil {
				t.Fatalf("%s %+v: %v", name, fo, err)
			}
			if a, b := dumpSnapshot(got), dumpSnapshot(f.Apply(full)); a != b {
				t.Errorf("%s, filter %+v: pre-filtered parse differs from filtering afterwards:\n%s\nvs\n%s", name, fo, a, b)
			}
			for _, ct := range []string{"", "application/openmetrics-text; version=1.0.0"} {
				if err := compareParsePaths([]byte(in), ct, f); err != nil {
					t.Errorf("%s, filter %+v, %q: %v", name, fo, ct, err)
				}
			}
		}
	}
}

// distSample has the corners of expfmt's summaries and histograms: lines
// of a series in any order and apart, repeated quantiles and buckets,
// integer and float counts, a quantile on a _sum line, le on a line named
// as the family, lines without quantile or le.
const distSample = `# TYPE h histogram
h_bucket{le="0.5",m="a"} 1
h_bucket{m="a",le="+Inf"} 2.5
h_count{m="a"} 2
h_count{m="a"} 1.5
h_count{m="a"} 3
h{m="a",le="0.1"} 0
h_bucket{m="a"} 7
h_bucket{m="b",le="1"} -0
h_sum{m="b"} -0
h_count{m="b"} -0
h_bucket{m="c",le="1"} 0.5
h_bucket{m="c",le="1"} 1
h_count{m="d"} NaN
h_count{m="d"} 4
h_bucket{m="e",le="1",quantile="2"} 3
h_count{m="f"} 1e20
h_bucket{m="g",le="NaN"} 1
h_bucket{m="h",le="1"} +Inf
h_bucket{m="i",le="1"} 2
h_count{m="i"} 2.5
h_count{m="i"} 2
# TYPE s summary
s{quantile="0.99",m="a"} 3
s{quantile="0.5",m="a"} 1
s{quantile="0.5",m="a"} 2
s_sum{m="a",quantile="0.9"} 4
s_count{m="a"} 2.7
s_count{m="b"} -1
s_count{m="c"} NaN
s_count{m="c2"} 1e30
s{m="d"} 5
s{m="e",quantile="NaN"} 6
s{m="f",quantile="0.5",quantile="0.9"} 7
s{quantile="0.5",m="a",x=""} 8
s{quantile="0.5", m="a" } 9 1700000000000
s_sum{m="a"} 5
s{m="g",quantile="1e-1",le="x"} 1
s{m="h",pod="x",quantile="0.5"} 1
s{m="i\"\\\n",quantile="0.5"} 1
s_count{m="i\"\\\n"} 1
h{m="a"} 1
# TYPE g gaugehistogram
g_bucket{le="1"} 1
g_count 1
# TYPE s2_count summary
s2_count{quantile="0.5"} 1
s2_count_count 3
# TYPE e summary
e_sum 1
`

// dumpSnapshot prints everything a snapshot holds, floats exactly (NaN,
// -0), for comparisons.
func dumpSnapshot(s *Snapshot) string {
	var b strings.Builder
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	fmt.Fprintf(&b, "pods %v interval %v\n", s.Pods, s.Interval)
	for _, f := range s.Families {
		fmt.Fprintf(&b, "%s %s %q\n", f.Name, f.Type, f.Help)
		for _, se := range f.Series {
			fmt.Fprintf(&b, "  {%s} value %s count %v %s sum %v %s", se.Labels, g(se.Value), se.HasCount, g(se.Count), se.HasSum, g(se.Sum))
			for _, q := range se.Quantiles {
				fmt.Fprintf(&b, " q%s=%s", g(q.Quantile), g(q.Value))
			}
			for _, bk := range se.Buckets {
				fmt.Fprintf(&b, " le%s=%s", g(bk.UpperBound), g(bk.Count))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// compareParsePaths parses data with the filter twice, once with the line
// filter building series itself and once passing every line it keeps to
// expfmt. Both must fail on the same line or give the same snapshot.
func compareParsePaths(data []byte, ct string, f *Filter) error {
	o := ParseOptions{ContentType: ct, Pod: "p", Filter: f}
	got, err := parse(bytes.NewReader(data), o, false)
	want, wantErr := parse(bytes.NewReader(data), o, true)
	var pe, wpe expfmt.ParseError
	switch {
	case (err == nil) != (wantErr == nil):
		return fmt.Errorf("direct: %v; via expfmt: %v", err, wantErr)
	case err != nil:
		if errors.As(err, &pe) != errors.As(wantErr, &wpe) || pe.Line != wpe.Line {
			return fmt.Errorf("direct: %v; via expfmt: %v", err, wantErr)
		}
		return nil
	}
	if a, b := dumpSnapshot(got), dumpSnapshot(want); a != b {
		return fmt.Errorf("direct and via expfmt differ:\n%s\nvs\n%s", a, b)
	}
	return nil
}

// TestSeal checks that large families are sorted on the side (seal) when
// the exposition moves on, and come out as when sorted at the end, a
// family that comes back after another included.
func TestSeal(t *testing.T) {
	var in strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&in, "a{x=\"%d\"} %d\n", (i*7919)%3000, i)
		if i == 2000 {
			for j := range 1500 {
				fmt.Fprintf(&in, "b{y=\"%d\"} 1\n", (j*31)%1500)
			}
		}
	}
	in.WriteString("c 1\n")
	f := mustFilter(t, FilterOptions{All: true, Patterns: []string{"a|b"}})
	lf := newLineFilter(strings.NewReader(in.String()), false, f, "p")
	if _, err := io.ReadAll(lf); err != nil {
		t.Fatal(err)
	}
	lf.sorting.Wait()
	if !lf.direct["a"].sealed || !lf.direct["b"].sealed || len(lf.direct["a"].values) != 999 {
		t.Errorf("a sealed %v with %d later values, b sealed %v", lf.direct["a"].sealed, len(lf.direct["a"].values), lf.direct["b"].sealed)
	}
	got, err := Parse(strings.NewReader(in.String()), ParseOptions{Pod: "p", Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	full := mustParse(t, in.String(), "p")
	if a, b := dumpSnapshot(got), dumpSnapshot(f.Apply(full)); a != b {
		t.Errorf("sealed families differ from expfmt's")
	}
}
