package metrics

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

const reportHeader = `# TYPE imageregistry_http_requests_total counter
# TYPE imageregistry_http_request_duration_seconds summary
# TYPE imageregistry_http_in_flight_requests gauge
# TYPE imageregistry_digest_cache_requests_total counter
# TYPE imageregistry_digest_cache_scoped_requests_total counter
# TYPE imageregistry_storage_errors_total counter
# TYPE imageregistry_pullthrough_repository_errors_total counter
# TYPE imageregistry_storage_duration_seconds summary
`

var (
	aPrev = reportHeader + `imageregistry_http_requests_total{code="200",method="get"} 100
imageregistry_http_requests_total{code="404",method="get"} 10
imageregistry_http_requests_total{code="500",method="get"} 0
imageregistry_http_requests_total{code="201",method="put"} 20
imageregistry_http_request_duration_seconds{method="get",quantile="0.99"} 0.2
imageregistry_http_request_duration_seconds_sum{method="get"} 10
imageregistry_http_request_duration_seconds_count{method="get"} 110
imageregistry_http_request_duration_seconds{method="put",quantile="0.99"} NaN
imageregistry_http_request_duration_seconds_sum{method="put"} 40
imageregistry_http_request_duration_seconds_count{method="put"} 20
imageregistry_http_in_flight_requests 2
imageregistry_digest_cache_requests_total{type="Hit"} 10
imageregistry_digest_cache_requests_total{type="Miss"} 10
imageregistry_digest_cache_scoped_requests_total{type="Hit"} 0
imageregistry_digest_cache_scoped_requests_total{type="Miss"} 0
imageregistry_storage_errors_total{code="PATH_NOT_FOUND",operation="Stat"} 5
imageregistry_storage_errors_total{code="READ_ONLY_FILESYSTEM",operation="PutContent"} 0
imageregistry_pullthrough_repository_errors_total{code="UNAUTHORIZED",operation="Get",registry="docker.io"} 1
imageregistry_storage_duration_seconds{operation="GetContent",quantile="0.99"} 0.05
imageregistry_storage_duration_seconds_sum{operation="GetContent"} 1
imageregistry_storage_duration_seconds_count{operation="GetContent"} 100
imageregistry_storage_duration_seconds{operation="PutContent",quantile="0.99"} 0.3
imageregistry_storage_duration_seconds_sum{operation="PutContent"} 3
imageregistry_storage_duration_seconds_count{operation="PutContent"} 10
`
	aCur = reportHeader + `imageregistry_http_requests_total{code="200",method="get"} 180
imageregistry_http_requests_total{code="404",method="get"} 20
imageregistry_http_requests_total{code="500",method="get"} 10
imageregistry_http_requests_total{code="201",method="put"} 20
imageregistry_http_request_duration_seconds{method="get",quantile="0.99"} 0.25
imageregistry_http_request_duration_seconds_sum{method="get"} 20
imageregistry_http_request_duration_seconds_count{method="get"} 210
imageregistry_http_request_duration_seconds{method="put",quantile="0.99"} NaN
imageregistry_http_request_duration_seconds_sum{method="put"} 40
imageregistry_http_request_duration_seconds_count{method="put"} 20
imageregistry_http_in_flight_requests 3
imageregistry_digest_cache_requests_total{type="Hit"} 40
imageregistry_digest_cache_requests_total{type="Miss"} 20
imageregistry_digest_cache_scoped_requests_total{type="Hit"} 5
imageregistry_digest_cache_scoped_requests_total{type="Miss"} 0
imageregistry_storage_errors_total{code="PATH_NOT_FOUND",operation="Stat"} 5
imageregistry_storage_errors_total{code="READ_ONLY_FILESYSTEM",operation="PutContent"} 2
imageregistry_pullthrough_repository_errors_total{code="UNAUTHORIZED",operation="Get",registry="docker.io"} 4
imageregistry_storage_duration_seconds{operation="GetContent",quantile="0.99"} 0.05
imageregistry_storage_duration_seconds_sum{operation="GetContent"} 2
imageregistry_storage_duration_seconds_count{operation="GetContent"} 200
imageregistry_storage_duration_seconds{operation="PutContent",quantile="0.99"} 0.4
imageregistry_storage_duration_seconds_sum{operation="PutContent"} 3
imageregistry_storage_duration_seconds_count{operation="PutContent"} 10
`
	bPrev = reportHeader + `imageregistry_http_requests_total{code="200",method="get"} 50
imageregistry_http_requests_total{code="201",method="put"} 0
imageregistry_http_request_duration_seconds{method="get",quantile="0.99"} 0.1
imageregistry_http_request_duration_seconds_sum{method="get"} 5
imageregistry_http_request_duration_seconds_count{method="get"} 50
imageregistry_http_in_flight_requests 1
imageregistry_digest_cache_requests_total{type="Hit"} 0
imageregistry_digest_cache_requests_total{type="Miss"} 0
imageregistry_pullthrough_repository_errors_total{code="NOT_FOUND",operation="Get",registry="quay.io"} 0
imageregistry_storage_duration_seconds{operation="GetContent",quantile="0.99"} 0.5
imageregistry_storage_duration_seconds_sum{operation="GetContent"} 1
imageregistry_storage_duration_seconds_count{operation="GetContent"} 10
`
	bCur = reportHeader + `imageregistry_http_requests_total{code="200",method="get"} 90
imageregistry_http_requests_total{code="201",method="put"} 10
imageregistry_http_requests_total{code="500",method="put"} 5
imageregistry_http_request_duration_seconds{method="get",quantile="0.99"} 0.15
imageregistry_http_request_duration_seconds_sum{method="get"} 9
imageregistry_http_request_duration_seconds_count{method="get"} 90
imageregistry_http_in_flight_requests 0
imageregistry_digest_cache_requests_total{type="Hit"} 10
imageregistry_digest_cache_requests_total{type="Miss"} 30
imageregistry_pullthrough_repository_errors_total{code="NOT_FOUND",operation="Get",registry="quay.io"} 2
imageregistry_storage_duration_seconds{operation="GetContent",quantile="0.99"} 0.6
imageregistry_storage_duration_seconds_sum{operation="GetContent"} 2
imageregistry_storage_duration_seconds_count{operation="GetContent"} 20
`
)

func byPodScrape(t *testing.T, a, b string) *Snapshot {
	t.Helper()
	m, err := Merge(MergeByPod, mustParse(t, a, "pod-a"), mustParse(t, b, "pod-b"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func near(a, b float64) bool {
	return a == b || math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-12
}

func TestBuildReportTwoScrapes(t *testing.T) {
	r, err := BuildReport(byPodScrape(t, aCur, bCur), byPodScrape(t, aPrev, bPrev), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.SinceStart || r.Interval != 10*time.Second || strings.Join(r.Pods, ",") != "pod-a,pod-b" {
		t.Errorf("header: since start %v, interval %v, pods %v", r.SinceStart, r.Interval, r.Pods)
	}
	tot := r.Total
	checks := []struct {
		name      string
		got, want float64
	}{
		// a: +80 200, +10 404, +10 500 (get), +0 put; b: +40 get, +10 put 201, +5 put 500 (new series).
		{"requests", tot.Requests, 155},
		{"request rate", tot.RequestRate, 15.5},
		{"4xx", tot.Errors4xx, 10},
		{"5xx", tot.Errors5xx, 15},
		{"error ratio", tot.ErrorRatio, 25.0 / 155},
		{"4xx ratio", tot.ErrorRatio4xx, 10.0 / 155},
		{"5xx ratio", tot.ErrorRatio5xx, 15.0 / 155},
		{"p99: the worst pod's", tot.P99Seconds, 0.25},
		{"mean latency: (10+4)/(100+40)", tot.MeanSeconds, 0.1},
		{"in flight: 3+0", tot.InFlight, 3},
		{"digest hits", tot.DigestCache.Hits, 40},
		{"digest hit ratio", tot.DigestCache.HitRatio, 0.5},
		{"scoped hit ratio", tot.DigestCacheScoped.HitRatio, 1},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("total %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(tot.Methods) != 2 || tot.Methods[0].Method != "get" {
		t.Fatalf("methods = %+v, want get then put", tot.Methods)
	}
	get, put := tot.Methods[0], tot.Methods[1]
	if get.Requests != 140 || get.Rate != 14 || !near(get.ErrorRatio4xx, 10.0/140) || get.P99Seconds != 0.25 || !near(get.MeanSeconds, 0.1) {
		t.Errorf("get = %+v", get)
	}
	if put.Requests != 15 || !near(put.ErrorRatio5xx, 5.0/15) || !math.IsNaN(put.P99Seconds) || !math.IsNaN(put.MeanSeconds) {
		t.Errorf("put = %+v", put)
	}
	// Only errors that happened during the interval: PATH_NOT_FOUND did not grow.
	if len(tot.StorageErrors) != 1 || tot.StorageErrors[0].Code != "READ_ONLY_FILESYSTEM" || !tot.StorageErrors[0].Critical ||
		tot.StorageErrors[0].Count != 2 || tot.StorageErrors[0].Rate != 0.2 {
		t.Errorf("storage errors = %+v", tot.StorageErrors)
	}
	if len(tot.PullthroughErrors) != 2 || tot.PullthroughErrors[0].Registry != "docker.io" || tot.PullthroughErrors[0].Count != 3 ||
		tot.PullthroughErrors[1].Registry != "quay.io" || tot.PullthroughErrors[1].Count != 2 {
		t.Errorf("pull-through errors = %+v", tot.PullthroughErrors)
	}
	if len(tot.StorageLatency) != 2 || tot.StorageLatency[0].Operation != "GetContent" || tot.StorageLatency[0].P99Seconds != 0.6 ||
		!near(tot.StorageLatency[0].MeanSeconds, 2.0/110) || tot.StorageLatency[1].P99Seconds != 0.4 {
		t.Errorf("storage latency = %+v", tot.StorageLatency)
	}

	if len(r.ByPod) != 2 {
		t.Fatalf("%d pod sections", len(r.ByPod))
	}
	a, b := r.ByPod[0], r.ByPod[1]
	if a.Pod != "pod-a" || a.Requests != 100 || a.ErrorRatio != 0.2 || a.P99Seconds != 0.25 || a.InFlight != 3 || a.DigestCache.HitRatio != 0.75 {
		t.Errorf("pod a = %+v", a)
	}
	if b.Pod != "pod-b" || b.Requests != 55 || !near(b.ErrorRatio5xx, 5.0/55) || b.P99Seconds != 0.15 || b.InFlight != 0 || len(b.StorageErrors) != 0 {
		t.Errorf("pod b = %+v", b)
	}
	// The pods add up to the total.
	if a.Requests+b.Requests != tot.Requests || a.Errors5xx+b.Errors5xx != tot.Errors5xx {
		t.Error("pod sections do not add up to the total")
	}
}

func TestBuildReportOneScrape(t *testing.T) {
	r, err := BuildReport(byPodScrape(t, aCur, bCur), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !r.SinceStart {
		t.Error("one scrape: SinceStart not set")
	}
	if r.Total.Requests != 335 || !math.IsNaN(r.Total.RequestRate) {
		t.Errorf("since start: requests %v, rate %v; want 335, NaN", r.Total.Requests, r.Total.RequestRate)
	}
	if len(r.Total.StorageErrors) != 2 || r.Total.StorageErrors[0].Code != "PATH_NOT_FOUND" {
		t.Errorf("storage errors since start = %+v", r.Total.StorageErrors)
	}
	var buf bytes.Buffer
	if err := WriteReport(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"since each pod started", "CRITICAL", "READ_ONLY_FILESYSTEM", "docker.io", "GetContent", "pod-a", "2 since start"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report text lacks %q:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), "RATE/S") {
		t.Error("one scrape, but the report shows rates")
	}
}

func TestBuildReportErrors(t *testing.T) {
	s := byPodScrape(t, aCur, bCur)
	if _, err := BuildReport(s, s, 0); err == nil {
		t.Error("two scrapes without an interval")
	}
	r, _ := Rates(s, s, time.Second)
	if _, err := BuildReport(r, s, time.Second); err == nil {
		t.Error("a report from rates")
	}
	// A snapshot without registry families: zeros and unknowns, no error.
	empty, err := BuildReport(mustParse(t, "go_goroutines 3\n", "p"), nil, 0)
	if err != nil || empty.Total.Requests != 0 || !math.IsNaN(empty.Total.ErrorRatio) || !math.IsNaN(empty.Total.InFlight) {
		t.Errorf("empty report: %+v, %v", empty.Total, err)
	}
}

func TestThresholds(t *testing.T) {
	r, err := BuildReport(byPodScrape(t, aCur, bCur), byPodScrape(t, aPrev, bPrev), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := ParseThresholds("error_ratio>0.05, error_ratio_5xx >= 10%,p99_seconds<1,request_rate<1," +
		"digest_cache_hit_ratio<0.9,storage_errors_critical>0,in_flight==3,in_flight>=3,pullthrough_errors!=5,storage_errors<=1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"error_ratio>0.05":           true,  // 25/155 = 0.16
		"error_ratio_5xx>=0.1":       false, // 15/155 = 0.097
		"p99_seconds<1":              true,  // 0.25
		"in_flight>=3":               true,
		"request_rate<1":             false, // 15.5
		"digest_cache_hit_ratio<0.9": true,  // 0.5
		"storage_errors_critical>0":  true,  // 2
		"in_flight==3":               true,
		"pullthrough_errors!=5":      false, // 3 + 2
		"storage_errors<=1":          false, // 2
	}
	res := r.Check(ts)
	if len(res) != len(want) {
		t.Fatalf("%d results for %d thresholds", len(res), len(want))
	}
	for _, x := range res {
		w, ok := want[x.Threshold.String()]
		if !ok {
			t.Errorf("unexpected threshold %s", x.Threshold)
			continue
		}
		if x.Failed != w || x.Unknown {
			t.Errorf("%s: failed %v (unknown %v, value %v), want failed %v", x.Threshold, x.Failed, x.Unknown, x.Actual, w)
		}
	}
	if !AnyFailed(res) {
		t.Error("AnyFailed is false")
	}

	one, _ := BuildReport(byPodScrape(t, aCur, bCur), nil, 0)
	ts, _ = ParseThresholds("request_rate<1,error_ratio_4xx>0.5")
	res = one.Check(ts)
	if !res[0].Unknown || res[0].Failed {
		t.Errorf("a rate from one scrape: %+v, want unknown and not failed", res[0])
	}
	if res[1].Unknown || res[1].Failed || AnyFailed(res) {
		t.Errorf("error_ratio_4xx since start: %+v", res[1])
	}
	if !strings.Contains(res[0].String(), "unknown") {
		t.Errorf("result text %q", res[0])
	}
}

func TestParseThresholdsErrors(t *testing.T) {
	for _, in := range []string{"error_ratio", "bogus>1", "error_ratio=>1", "error_ratio>abc", "error_ratio>0x10", "error_ratio>", ">1", "error_ratio>NaN",
		",", "error_ratio>1,", "error_ratio>1,,p99_seconds>1"} {
		if _, err := ParseThresholds(in); err == nil || !strings.Contains(err.Error(), "threshold") {
			t.Errorf("ParseThresholds(%q) error = %v", in, err)
		}
	}
	if _, err := ParseThresholds("bogus>1"); err == nil || !strings.Contains(err.Error(), "error_ratio_5xx") {
		t.Errorf("an unknown name should list the valid ones: %v", err)
	}
	if ts, err := ParseThresholds(""); err != nil || len(ts) != 0 {
		t.Errorf("empty: %v, %v", ts, err)
	}
}

func TestReportJSON(t *testing.T) {
	r, err := BuildReport(byPodScrape(t, aCur, bCur), byPodScrape(t, aPrev, bPrev), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := ParseThresholds("error_ratio>0.05")
	var buf bytes.Buffer
	if err := WriteReportJSON(&buf, r, r.Check(ts)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema          string  `json:"schema"`
		IntervalSeconds float64 `json:"interval_seconds"`
		Total           struct {
			Requests    float64  `json:"requests"`
			ErrorRatio  float64  `json:"error_ratio"`
			InFlight    float64  `json:"in_flight"`
			P99         *float64 `json:"p99_seconds"`
			Methods     []map[string]any
			DigestCache struct {
				HitRatio float64 `json:"hit_ratio"`
			} `json:"digest_cache"`
			StorageErrors []struct {
				Code     string `json:"code"`
				Critical bool   `json:"critical"`
			} `json:"storage_errors"`
		} `json:"total"`
		ByPod      []map[string]any `json:"by_pod"`
		Thresholds []struct {
			Threshold string `json:"threshold"`
			Failed    bool   `json:"failed"`
		} `json:"thresholds"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if doc.Schema != ReportSchema || doc.IntervalSeconds != 10 || doc.Total.Requests != 155 || doc.Total.InFlight != 3 ||
		doc.Total.DigestCache.HitRatio != 0.5 || len(doc.ByPod) != 2 || len(doc.Total.StorageErrors) != 1 || !doc.Total.StorageErrors[0].Critical {
		t.Errorf("report JSON = %+v", doc)
	}
	if len(doc.Thresholds) != 1 || doc.Thresholds[0].Threshold != "error_ratio>0.05" || !doc.Thresholds[0].Failed {
		t.Errorf("thresholds = %+v", doc.Thresholds)
	}
	// put's p99 is NaN: null in JSON.
	for _, m := range doc.Total.Methods {
		if m["method"] == "put" && m["p99_seconds"] != nil {
			t.Errorf("NaN p99 encoded as %v, want null", m["p99_seconds"])
		}
	}
}

func TestReportFilter(t *testing.T) {
	var gen bytes.Buffer
	if err := GenerateExposition(&gen, 3000); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(&gen, ParseOptions{Pod: "p", Filter: ReportFilter()})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range s.Families {
		names = append(names, f.Name)
	}
	want := "imageregistry_digest_cache_requests_total imageregistry_digest_cache_scoped_requests_total " +
		"imageregistry_http_in_flight_requests imageregistry_http_request_duration_seconds imageregistry_http_requests_total " +
		"imageregistry_pullthrough_repository_errors_total imageregistry_storage_duration_seconds imageregistry_storage_errors_total"
	if strings.Join(names, " ") != want {
		t.Errorf("families kept for the report:\n%s\nwant\n%s", strings.Join(names, " "), want)
	}
	r, err := BuildReport(s, nil, 0)
	if err != nil || r.Total.Requests == 0 || r.Total.InFlight != 3 || r.Total.DigestCache.Hits != 5 {
		t.Errorf("report from the generated exposition: %+v, %v", r.Total, err)
	}
}
