package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/oc-registry/oc-registry/internal/golden"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func seedSnapshot(t *testing.T) *Snapshot {
	t.Helper()
	f, err := os.Open("testdata/seed-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Parse(f, ParseOptions{ContentType: "text/plain; version=0.0.4", Pod: "image-registry-5d9c8b7f4-x2x7q"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGoldenSeed(t *testing.T) {
	s := seedSnapshot(t)
	var table, js, prom, report bytes.Buffer
	if err := WriteTable(&table, s); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "seed.table.golden", table.Bytes())
	if err := WriteJSON(&js, s); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "seed.json.golden", js.Bytes())
	if err := WriteProm(&prom, s); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "seed.prom.golden", prom.Bytes())
	seed, err := os.ReadFile("testdata/seed-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	checkPromtool(t, string(seed), prom.Bytes())
	r, err := BuildReport(s, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(&report, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "seed.summary.golden", report.Bytes())

	// The summary's quantiles are in the table, its missing count is not
	// made up.
	if !strings.Contains(table.String(), "0.01598") || !strings.Contains(js.String(), `"0.99": 0.015981195`) {
		t.Error("the seed's p99 is missing from the table or the JSON")
	}
	if strings.Contains(js.String(), `"count"`) {
		t.Error("the seed has no _count line, but the JSON has a count")
	}
}

// TestGoldenRates renders a rates block with every type, for the watch mode.
func TestGoldenRates(t *testing.T) {
	prev := mustParse(t, podA, "a")
	cur := mustParse(t, strings.NewReplacer(
		`req{code="200",method="get"} 10`, `req{code="200",method="get"} 30`,
		"dur_sum{method=\"get\"} 2", "dur_sum{method=\"get\"} 5",
		"dur_count{method=\"get\"} 10", "dur_count{method=\"get\"} 20",
		`h_bucket{le="+Inf"} 4`, `h_bucket{le="+Inf"} 14`,
		"h_count 4", "h_count 14",
		"h_sum 2", "h_sum 12",
	).Replace(podA), "a")
	// The scrape itself: a histogram's quantiles are computed (p50: rank 2
	// of 4 is half way through (0.1, 1]: 0.55), a summary's are read.
	var scrape, scrapeJSON bytes.Buffer
	if err := WriteTable(&scrape, prev); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "scrape.table.golden", scrape.Bytes())
	if !strings.Contains(scrape.String(), "0.55") {
		t.Errorf("the histogram median is missing:\n%s", scrape.String())
	}
	if err := WriteJSON(&scrapeJSON, prev); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "scrape.json.golden", scrapeJSON.Bytes())

	r, err := Rates(prev, cur, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteRates(&buf, r, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "rates.table.golden", buf.Bytes())
	if !strings.Contains(buf.String(), "4/s") { // (30-10)/5
		t.Errorf("the counter rate is missing:\n%s", buf.String())
	}
	buf.Reset()
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Kind     string  `json:"kind"`
		Interval float64 `json:"interval_seconds"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.Kind != "rates" || doc.Interval != 5 {
		t.Errorf("rates JSON header = %+v, %v", doc, err)
	}
	if err := WriteProm(&buf, r); err == nil {
		t.Error("rates were re-exposed in the prom format")
	}
}

func TestJSONFloats(t *testing.T) {
	s := mustParse(t, "# TYPE s summary\ns{quantile=\"0.5\"} NaN\ns_sum 0\ns_count 0\n# TYPE g gauge\ng +Inf\ng{x=\"1\"} -Inf\n", "")
	var buf bytes.Buffer
	if err := WriteJSON(&buf, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"0.5": null`, `"value": "+Inf"`, `"value": "-Inf"`, `"pods": []`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), `"mean"`) {
		t.Error("a mean over zero observations was written")
	}
	var back []jsonFloat
	if err := json.Unmarshal([]byte(`[null, "+Inf", "-Inf", 1.5]`), &back); err != nil || !near(float64(back[0]), math.NaN()) ||
		float64(back[1]) <= 1e308 || float64(back[2]) >= -1e308 || back[3] != 1.5 {
		t.Errorf("decoding = %v, %v", back, err)
	}
}

// TestPromRoundTrip re-exposes the generated exposition, merged over two
// pods, and reads it back; when promtool is installed (Debian's prometheus
// package) it must accept the output too.
func TestPromRoundTrip(t *testing.T) {
	var gen bytes.Buffer
	if err := GenerateExposition(&gen, 500); err != nil {
		t.Fatal(err)
	}
	histo := "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\nlat_seconds_bucket{le=\"0.1\"} 1\nlat_seconds_bucket{le=\"+Inf\"} 3\nlat_seconds_sum 0.7\nlat_seconds_count 3\n"
	a, err := Parse(strings.NewReader(gen.String()+histo), ParseOptions{Pod: "a", Filter: mustFilter(t, FilterOptions{All: true})})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(strings.NewReader(gen.String()+histo), ParseOptions{Pod: "b", Filter: mustFilter(t, FilterOptions{All: true})})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []MergeMode{MergeSum, MergeByPod} {
		m, err := Merge(mode, a, b)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := WriteProm(&out, m); err != nil {
			t.Fatal(err)
		}
		back, err := Parse(bytes.NewReader(out.Bytes()), ParseOptions{})
		if err != nil {
			t.Fatalf("mode %d: the prom output does not parse: %v", mode, err)
		}
		var x, y bytes.Buffer
		_ = WriteJSON(&x, back)
		m.Pods = nil
		_ = WriteJSON(&y, m)
		if x.String() != y.String() {
			t.Errorf("mode %d: prom output read back differs", mode)
		}
		checkPromtool(t, gen.String()+histo, out.Bytes())
	}
}

// checkPromtool runs promtool check metrics, when installed, on what
// WriteProm wrote. promtool exits 1 when it cannot parse its input and 3
// when its linter complains. The registry's own exposition draws lint
// complaints (imageregistry_build_info has camelCase labels such as
// gitCommit), so the output may draw those the input draws, and no other.
func checkPromtool(t *testing.T, input string, output []byte) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool is not installed (Debian package prometheus): not checked")
		return
	}
	run := func(in []byte) (int, map[string]bool) {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(in)
		msg, err := cmd.CombinedOutput()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		problems := map[string]bool{}
		for l := range strings.SplitSeq(strings.TrimSpace(string(msg)), "\n") {
			if l != "" {
				problems[l] = true
			}
		}
		return code, problems
	}
	_, inProblems := run([]byte(input))
	code, outProblems := run(output)
	if code != 0 && code != 3 {
		t.Errorf("promtool check metrics exit %d: %v", code, outProblems)
	}
	for p := range outProblems {
		if !inProblems[p] {
			t.Errorf("promtool finds a problem in the output that the input does not have: %s", p)
		}
	}
}
