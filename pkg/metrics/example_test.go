package metrics_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/pkg/metrics"
)

// Two pods scraped twice, ten seconds apart: per-second rates per pod, then
// summed over the pods. Pod b restarted in between.
func ExampleRates() {
	scrape := func(a, b string) *metrics.Snapshot {
		var pods []*metrics.Snapshot
		for pod, text := range map[string]string{"image-registry-a": a, "image-registry-b": b} {
			s, err := metrics.Parse(strings.NewReader("# TYPE imageregistry_http_requests_total counter\n"+text),
				metrics.ParseOptions{ContentType: "text/plain; version=0.0.4", Pod: pod})
			if err != nil {
				panic(err)
			}
			pods = append(pods, s)
		}
		byPod, err := metrics.Merge(metrics.MergeByPod, pods...)
		if err != nil {
			panic(err)
		}
		return byPod
	}
	prev := scrape(`imageregistry_http_requests_total{code="200",method="get"} 100`+"\n",
		`imageregistry_http_requests_total{code="200",method="get"} 70`+"\n")
	cur := scrape(`imageregistry_http_requests_total{code="200",method="get"} 150`+"\n",
		`imageregistry_http_requests_total{code="200",method="get"} 20`+"\n")

	rates, err := metrics.Rates(prev, cur, 10*time.Second)
	if err != nil {
		panic(err)
	}
	sum, err := metrics.Merge(metrics.MergeSum, rates)
	if err != nil {
		panic(err)
	}
	if err := metrics.WriteRates(os.Stdout, sum, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)); err != nil {
		panic(err)
	}
	fmt.Println(sum.Families[0].Series[0].Value, "requests per second: 5 from pod a, 2 from pod b")
	// Output:
	// # 12:00:00 rates per second over 10s, 2 pods
	// FAMILY                             LABELS               VALUE
	// imageregistry_http_requests_total  code=200,method=get  7/s
	//
	// 7 requests per second: 5 from pod a, 2 from pod b
}

// The example's numbers, asserted: per pod the rates stay apart (pod b
// restarted: its new value is the increase), summed they add up.
func TestRatesOfTwoPodsWithARestart(t *testing.T) {
	parse := func(pod, text string) *metrics.Snapshot {
		s, err := metrics.Parse(strings.NewReader("# TYPE imageregistry_http_requests_total counter\n"+text),
			metrics.ParseOptions{ContentType: "text/plain; version=0.0.4", Pod: pod})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	line := func(v string) string { return `imageregistry_http_requests_total{code="200",method="get"} ` + v + "\n" }
	prev, err := metrics.Merge(metrics.MergeByPod, parse("a", line("100")), parse("b", line("70")))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := metrics.Merge(metrics.MergeByPod, parse("a", line("150")), parse("b", line("20")))
	if err != nil {
		t.Fatal(err)
	}
	rates, err := metrics.Rates(prev, cur, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]float64{}
	for _, s := range rates.Families[0].Series {
		per[s.Labels.Get("pod")] = s.Value
	}
	if per["a"] != 5 || per["b"] != 2 {
		t.Fatalf("per-pod rates: %v, want a 5/s and b 2/s (b restarted)", per)
	}
	sum, err := metrics.Merge(metrics.MergeSum, rates)
	if err != nil || len(sum.Families[0].Series) != 1 || sum.Families[0].Series[0].Value != 7 {
		t.Fatalf("summed: %+v %v, want 7/s", sum.Families, err)
	}
}
