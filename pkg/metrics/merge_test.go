package metrics

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

const podA = `# HELP req Requests.
# TYPE req counter
req{code="200",method="get"} 10
req{code="500",method="get"} 1
# TYPE inflight gauge
inflight 2
# TYPE dur summary
dur{method="get",quantile="0.99"} 0.5
dur_sum{method="get"} 2
dur_count{method="get"} 10
# TYPE h histogram
h_bucket{le="0.1"} 1
h_bucket{le="1"} 3
h_bucket{le="+Inf"} 4
h_sum 2
h_count 4
# TYPE odd untyped
odd 1.5
`

const podB = `# HELP req Requests.
# TYPE req counter
req{code="200",method="get"} 5
# TYPE inflight gauge
inflight 1
# TYPE dur summary
dur{method="get",quantile="0.99"} 0.7
dur_sum{method="get"} 1
dur_count{method="get"} 5
# TYPE h histogram
h_bucket{le="0.1"} 2
h_bucket{le="0.5"} 3
h_bucket{le="+Inf"} 5
h_sum 3
h_count 5
# TYPE odd untyped
odd 2
`

// series finds a series by its labels in the -l syntax.
func series(t *testing.T, s *Snapshot, family, labels string) *Series {
	t.Helper()
	f := s.Family(family)
	if f == nil {
		t.Fatalf("no family %s", family)
	}
	for i := range f.Series {
		if f.Series[i].Labels.String() == labels {
			return &f.Series[i]
		}
	}
	var have []string
	for _, se := range f.Series {
		have = append(have, se.Labels.String())
	}
	t.Fatalf("no series %s{%s}; have %q", family, labels, have)
	return nil
}

func TestMergeSum(t *testing.T) {
	a, b := mustParse(t, podA, "a"), mustParse(t, podB, "b")
	m, err := Merge(MergeSum, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Pods, ",") != "a,b" {
		t.Errorf("pods = %v", m.Pods)
	}
	for _, c := range []struct {
		family, labels string
		want           float64
	}{
		{"req", "code=200,method=get", 15},
		{"req", "code=500,method=get", 1}, // only pod a has it
		{"inflight", "", 3},
		{"odd", "", 3.5},
	} {
		if got := series(t, m, c.family, c.labels).Value; got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
	// Summaries stay per pod: their quantiles cannot be added.
	if got := len(m.Family("dur").Series); got != 2 {
		t.Fatalf("dur has %d series, want one per pod", got)
	}
	if got := series(t, m, "dur", "method=get,pod=b").Quantile(0.99); got != 0.7 {
		t.Errorf("pod b p99 = %v", got)
	}
	// Histograms are added bucket by bucket over the union of the bounds. At
	// 0.5, pod a has no bucket: its count there is its count at 0.1 (1); at
	// 1, pod b counts its 0.5 bucket (3).
	h := series(t, m, "h", "")
	want := []Bucket{{0.1, 3}, {0.5, 4}, {1, 6}, {math.Inf(1), 9}}
	if len(h.Buckets) != len(want) {
		t.Fatalf("buckets = %v, want %v", h.Buckets, want)
	}
	for i := range want {
		if h.Buckets[i] != want[i] {
			t.Errorf("bucket %d = %v, want %v", i, h.Buckets[i], want[i])
		}
	}
	if h.Count != 9 || h.Sum != 5 {
		t.Errorf("count, sum = %v, %v; want 9, 5", h.Count, h.Sum)
	}
	// The inputs are not modified.
	if got := series(t, a, "req", "code=200,method=get,pod=a").Value; got != 10 {
		t.Errorf("merging changed pod a's counter to %v", got)
	}
}

func TestMergeByPod(t *testing.T) {
	a, b := mustParse(t, podA, "a"), mustParse(t, podB, "b")
	m, err := Merge(MergeByPod, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := series(t, m, "req", "code=200,method=get,pod=b").Value; got != 5 {
		t.Errorf("pod b req = %v", got)
	}
	if got, want := m.SeriesCount(), a.SeriesCount()+b.SeriesCount(); got != want {
		t.Errorf("%d series, want %d: every series kept apart", got, want)
	}
	// Collapsing the by-pod snapshot gives the same as merging with MergeSum.
	sum, err := Merge(MergeSum, m)
	if err != nil {
		t.Fatal(err)
	}
	if got := series(t, sum, "req", "code=200,method=get").Value; got != 15 {
		t.Errorf("collapsed req = %v, want 15", got)
	}
}

func TestMergeErrors(t *testing.T) {
	a := mustParse(t, "# TYPE x counter\nx 1\n", "a")
	b := mustParse(t, "# TYPE x gauge\nx 1\n", "b")
	if _, err := Merge(MergeSum, a, b); err == nil || !strings.Contains(err.Error(), "x is a counter in pod a and a gauge in pod b") {
		t.Errorf("type clash: %v", err)
	}
	r, err := Rates(a, a, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(MergeSum, a, r); err == nil {
		t.Error("merged a scrape with rates")
	}
	// Two unnamed summaries with the same labels: counts add, quantiles are unknown.
	s1 := mustParse(t, "# TYPE d summary\nd{quantile=\"0.5\"} 1\nd_sum 1\nd_count 1\n", "")
	m, err := Merge(MergeSum, s1, s1)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Families[0].Series[0]
	if d.Count != 2 || !math.IsNaN(d.Quantile(0.5)) {
		t.Errorf("merged unnamed summaries: count %v, median %v", d.Count, d.Quantile(0.5))
	}
}

func TestRates(t *testing.T) {
	prev := mustParse(t, `# TYPE c counter
c{x="steady"} 100
c{x="reset"} 100
c{x="gone"} 7
# TYPE g gauge
g 5
# TYPE s summary
s{quantile="0.99"} 0.1
s_sum 2
s_count 10
# TYPE r summary
r_sum 8
r_count 30
# TYPE h histogram
h_bucket{le="1"} 1
h_bucket{le="+Inf"} 2
h_sum 1
h_count 2
# TYPE h2 histogram
h2_bucket{le="1"} 10
h2_bucket{le="+Inf"} 10
h2_sum 5
h2_count 10
`, "p")
	cur := mustParse(t, `# TYPE c counter
c{x="steady"} 160
c{x="reset"} 30
c{x="new"} 5
# TYPE g gauge
g 3
# TYPE s summary
s{quantile="0.99"} 0.2
s_sum 8
s_count 30
# TYPE r summary
r_sum 1
r_count 5
# TYPE h histogram
h_bucket{le="1"} 11
h_bucket{le="+Inf"} 22
h_sum 16
h_count 22
# TYPE h2 histogram
h2_bucket{le="1"} 0
h2_bucket{le="+Inf"} 12
h2_sum 30
h2_count 12
`, "p")
	r, err := Rates(prev, cur, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Interval != 10*time.Second {
		t.Errorf("interval = %v", r.Interval)
	}
	for _, c := range []struct {
		labels string
		want   float64
	}{
		{"pod=p,x=steady", 6}, // (160-100)/10
		{"pod=p,x=reset", 3},  // fell from 100 to 30: restarted, the increase is 30
		{"pod=p,x=new", 0.5},  // created during the interval: counts from 0
	} {
		if got := series(t, r, "c", c.labels).Value; got != c.want {
			t.Errorf("rate c{%s} = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := len(r.Family("c").Series); got != 3 {
		t.Errorf("c has %d series; the one gone from the second scrape must be left out", got)
	}
	if got := series(t, r, "g", "pod=p").Value; got != 3 {
		t.Errorf("gauge = %v, want the current 3", got)
	}
	s := series(t, r, "s", "pod=p")
	if s.Count != 2 || s.Sum != 0.6 || math.Abs(s.Mean()-0.3) > 1e-12 || s.Quantile(0.99) != 0.2 {
		t.Errorf("summary: count rate %v, sum rate %v, mean %v, p99 %v; want 2, 0.6, 0.3, 0.2", s.Count, s.Sum, s.Mean(), s.Quantile(0.99))
	}
	rs := series(t, r, "r", "pod=p")
	if rs.Count != 0.5 || rs.Sum != 0.1 {
		t.Errorf("reset summary: count rate %v, sum rate %v; want 0.5, 0.1", rs.Count, rs.Sum)
	}
	h := series(t, r, "h", "pod=p")
	// 10 of the interval's 20 observations are <= 1: the median is 1.
	if h.Count != 2 || h.Buckets[0].Count != 1 || h.Quantile(0.5) != 1 || h.Mean() != 0.75 {
		t.Errorf("histogram: count rate %v, buckets %v, median %v, mean %v", h.Count, h.Buckets, h.Quantile(0.5), h.Mean())
	}

	// Restarted, then observed more than before, all above 1: the count grew
	// but a bucket fell. The increase is the new histogram.
	h2 := series(t, r, "h2", "pod=p")
	if h2.Count != 1.2 || h2.Buckets[0].Count != 0 || h2.Buckets[1].Count != 1.2 {
		t.Errorf("reset histogram: count rate %v, buckets %v; want 1.2, [0 1.2]", h2.Count, h2.Buckets)
	}

	if _, err := Rates(prev, cur, 0); err == nil {
		t.Error("rates over a zero interval")
	}
	if _, err := Rates(r, cur, time.Second); err == nil {
		t.Error("rates of rates")
	}
}

// TestRatesPerPodThenSum shows why rates are computed per pod: pod b
// restarted, so the sum over pods fell from 150 to 115 although pod a grew.
func TestRatesPerPodThenSum(t *testing.T) {
	scrape := func(a, b float64) *Snapshot {
		sa := mustParse(t, "# TYPE c counter\nc "+formatValue(a)+"\n", "a")
		sb := mustParse(t, "# TYPE c counter\nc "+formatValue(b)+"\n", "b")
		m, err := Merge(MergeByPod, sa, sb)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	r, err := Rates(scrape(100, 50), scrape(110, 5), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Merge(MergeSum, r)
	if err != nil {
		t.Fatal(err)
	}
	// a: 10 in 10 s; b: reset, 5 in 10 s.
	if got := sum.Families[0].Series[0].Value; got != 1.5 {
		t.Errorf("fleet rate = %v, want 1.5", got)
	}
}

// TestMergeOneIsItself checks Merge's shortcut for one snapshot against
// merging it the long way, and that the shortcut is taken where it should.
func TestMergeOneIsItself(t *testing.T) {
	var gen bytes.Buffer
	if err := GenerateExposition(&gen, 3000); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{
		"generated": gen.String(),
		"dist":      distSample,
		"dup":       "# TYPE a counter\na{x=\"1\"} 1\na{x=\"1\"} 2\n",
		"pod":       "a{pod=\"x\"} 1\na{pod=\"y\"} 2\n# TYPE s summary\ns{pod=\"x\",quantile=\"0.5\"} 1\n",
	}
	for name, in := range inputs {
		for _, pod := range []string{"", "p1"} {
			s := mustParse(t, in, pod)
			for _, mode := range []MergeMode{MergeSum, MergeByPod} {
				got, err := Merge(mode, s)
				if err != nil {
					t.Fatal(err)
				}
				want, err := mergeAll(mode, s)
				if err != nil {
					t.Fatal(err)
				}
				if a, b := dumpSnapshot(got), dumpSnapshot(want); a != b {
					t.Errorf("%s, pod %q, mode %d: Merge of one snapshot differs from the long way:\n%s\nvs\n%s", name, pod, mode, a, b)
				}
				short := mergesToItself(mode, s)
				wantShort := name == "generated" || name == "dist" || (name == "pod" && (pod != "" || mode == MergeByPod))
				if mode == MergeSum && pod != "" {
					wantShort = false // the pod label goes
				}
				if short != wantShort {
					t.Errorf("%s, pod %q, mode %d: shortcut %v, want %v", name, pod, mode, short, wantShort)
				}
			}
		}
	}
}
