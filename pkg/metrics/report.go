package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The families the report reads.
const (
	FamilyRequests          = "imageregistry_http_requests_total"
	FamilyRequestDuration   = "imageregistry_http_request_duration_seconds"
	FamilyInFlight          = "imageregistry_http_in_flight_requests"
	FamilyDigestCache       = "imageregistry_digest_cache_requests_total"
	FamilyDigestCacheScoped = "imageregistry_digest_cache_scoped_requests_total"
	FamilyStorageErrors     = "imageregistry_storage_errors_total"
	FamilyStorageDuration   = "imageregistry_storage_duration_seconds"
	FamilyPullthroughErrors = "imageregistry_pullthrough_repository_errors_total"
)

// CriticalStorageCodes are the storage error codes the image registry
// operator alerts on at any rate: the registry can no longer write.
var CriticalStorageCodes = []string{"READ_ONLY_FILESYSTEM", "DEVICE_OUT_OF_SPACE"}

// ReportFilter keeps only the families BuildReport reads, for a cheap parse.
func ReportFilter() *Filter {
	f, err := NewFilter(FilterOptions{Patterns: []string{
		FamilyRequests, FamilyRequestDuration, FamilyInFlight, FamilyDigestCache, FamilyDigestCacheScoped,
		FamilyStorageErrors, FamilyStorageDuration, FamilyPullthroughErrors,
	}})
	if err != nil {
		panic(err) // constant patterns
	}
	return f
}

// Report answers the questions an admin asks of the registry without a
// query language. Counts are over the interval between two scrapes, or,
// with one scrape (SinceStart), totals since each pod started; rates exist
// only with two scrapes and are NaN otherwise. Latency quantiles come from
// the registry's summaries, which cover a sliding window of 10 minutes
// whatever the interval.
type Report struct {
	SinceStart bool
	Interval   time.Duration
	Pods       []string
	// Total is every pod together. Its P99 values are the highest of the
	// pods': quantiles of different pods cannot be combined, but the fleet's
	// p99 is at most the worst pod's.
	Total Section
	// ByPod has one section per pod, in Pods order; it is empty when the
	// series carry no pod label (a scrape through the route).
	ByPod []Section
}

// Section is the report for one pod, or for all (Pod empty).
type Section struct {
	Pod               string
	Requests          float64 // in the interval, or since start
	RequestRate       float64 // per second; NaN with one scrape
	Errors4xx         float64
	Errors5xx         float64
	ErrorRatio        float64 // (4xx+5xx)/requests; NaN without requests
	ErrorRatio4xx     float64
	ErrorRatio5xx     float64
	P99Seconds        float64 // the highest method p99; NaN when unknown
	MeanSeconds       float64 // request latency mean over every method
	Methods           []MethodStats
	InFlight          float64 // NaN when the gauge is missing
	DigestCache       CacheStats
	DigestCacheScoped CacheStats
	StorageErrors     []StorageErrorStats // non-zero only, most first
	PullthroughErrors []PullthroughErrorStats
	StorageLatency    []OperationLatency // slowest p99 first
}

// MethodStats is the traffic of one HTTP method (lower case, as the registry
// labels it).
type MethodStats struct {
	Method        string
	Requests      float64
	Rate          float64
	Errors4xx     float64
	Errors5xx     float64
	ErrorRatio    float64
	ErrorRatio4xx float64
	ErrorRatio5xx float64
	P99Seconds    float64 // from the summary; NaN when no request in its window
	MeanSeconds   float64 // d_sum/d_count of the summary (or since start)
}

// CacheStats is a hit ratio.
type CacheStats struct {
	Hits, Misses float64
	HitRatio     float64 // NaN without lookups
}

// StorageErrorStats counts one storage driver error.
type StorageErrorStats struct {
	Operation string
	Code      string
	Count     float64
	Rate      float64
	Critical  bool // a code in CriticalStorageCodes
}

// PullthroughErrorStats counts errors talking to one upstream registry.
type PullthroughErrorStats struct {
	Registry  string
	Operation string
	Code      string
	Count     float64
	Rate      float64
}

// OperationLatency is the latency of one storage driver operation.
type OperationLatency struct {
	Operation   string
	P99Seconds  float64
	MeanSeconds float64
	Count       float64
}

// BuildReport computes the report from the current scrape and, if prev is
// not nil, the one taken interval before. Both should keep pods apart (Parse
// with a pod name, Merge with MergeByPod). Families the snapshots lack give
// zero counts and NaN ratios, not errors.
func BuildReport(cur, prev *Snapshot, interval time.Duration) (*Report, error) {
	r := &Report{SinceStart: prev == nil, Pods: slices.Clone(cur.Pods)}
	win := cur
	secs := math.NaN()
	if prev != nil {
		if interval <= 0 {
			return nil, fmt.Errorf("building the metrics report: interval %v is not positive", interval)
		}
		d, err := increase(prev, cur)
		if err != nil {
			return nil, err
		}
		win, r.Interval, secs = d, interval, interval.Seconds()
	}
	pods := podsOf(cur)
	if len(r.Pods) == 0 {
		r.Pods = pods
	}
	r.Total = section(cur, win, secs, "", false)
	for _, p := range pods {
		r.ByPod = append(r.ByPod, section(cur, win, secs, p, true))
	}
	return r, nil
}

func podsOf(s *Snapshot) []string {
	var pods []string
	for _, f := range s.Families {
		for _, se := range f.Series {
			if p := se.Labels.Get(PodLabel); p != "" && !slices.Contains(pods, p) {
				pods = append(pods, p)
			}
		}
	}
	slices.Sort(pods)
	return pods
}

// each calls fn for every series of the named family, of one pod when
// onePod is set.
func each(s *Snapshot, family, pod string, onePod bool, fn func(*Series)) {
	f := s.Family(family)
	if f == nil {
		return
	}
	for i := range f.Series {
		if onePod && f.Series[i].Labels.Get(PodLabel) != pod {
			continue
		}
		fn(&f.Series[i])
	}
}

func ratio(part, whole float64) float64 {
	if whole == 0 {
		return math.NaN()
	}
	return part / whole
}

// maxNaN is the larger of two values, ignoring NaN.
func maxNaN(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return math.Max(a, b)
}

func section(cur, win *Snapshot, secs float64, pod string, onePod bool) Section {
	s := Section{Pod: pod, InFlight: math.NaN(), P99Seconds: math.NaN(), MeanSeconds: math.NaN()}

	methods := map[string]*MethodStats{}
	method := func(name string) *MethodStats {
		m := methods[name]
		if m == nil {
			m = &MethodStats{Method: name, P99Seconds: math.NaN()}
			methods[name] = m
		}
		return m
	}
	each(win, FamilyRequests, pod, onePod, func(se *Series) {
		m := method(se.Labels.Get("method"))
		m.Requests += se.Value
		switch code := se.Labels.Get("code"); {
		case strings.HasPrefix(code, "4"):
			m.Errors4xx += se.Value
		case strings.HasPrefix(code, "5"):
			m.Errors5xx += se.Value
		}
	})
	durCount, durSum := map[string]float64{}, map[string]float64{}
	each(win, FamilyRequestDuration, pod, onePod, func(se *Series) {
		name := se.Labels.Get("method")
		if se.HasCount && se.HasSum {
			durCount[name] += se.Count
			durSum[name] += se.Sum
		}
	})
	each(cur, FamilyRequestDuration, pod, onePod, func(se *Series) {
		m := method(se.Labels.Get("method"))
		m.P99Seconds = maxNaN(m.P99Seconds, se.Quantile(0.99))
	})
	for _, m := range methods {
		m.Rate = m.Requests / secs
		m.ErrorRatio = ratio(m.Errors4xx+m.Errors5xx, m.Requests)
		m.ErrorRatio4xx = ratio(m.Errors4xx, m.Requests)
		m.ErrorRatio5xx = ratio(m.Errors5xx, m.Requests)
		m.MeanSeconds = ratio(durSum[m.Method], durCount[m.Method])
		s.Requests += m.Requests
		s.Errors4xx += m.Errors4xx
		s.Errors5xx += m.Errors5xx
		s.P99Seconds = maxNaN(s.P99Seconds, m.P99Seconds)
		s.Methods = append(s.Methods, *m)
	}
	slices.SortFunc(s.Methods, func(a, b MethodStats) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), strings.Compare(a.Method, b.Method))
	})
	var allCount, allSum float64
	for name := range durCount {
		allCount += durCount[name]
		allSum += durSum[name]
	}
	s.MeanSeconds = ratio(allSum, allCount)
	s.RequestRate = s.Requests / secs
	s.ErrorRatio = ratio(s.Errors4xx+s.Errors5xx, s.Requests)
	s.ErrorRatio4xx = ratio(s.Errors4xx, s.Requests)
	s.ErrorRatio5xx = ratio(s.Errors5xx, s.Requests)

	each(cur, FamilyInFlight, pod, onePod, func(se *Series) {
		if math.IsNaN(s.InFlight) {
			s.InFlight = 0
		}
		s.InFlight += se.Value
	})

	s.DigestCache = cacheStats(win, FamilyDigestCache, pod, onePod)
	s.DigestCacheScoped = cacheStats(win, FamilyDigestCacheScoped, pod, onePod)

	storage := map[[2]string]*StorageErrorStats{}
	each(win, FamilyStorageErrors, pod, onePod, func(se *Series) {
		k := [2]string{se.Labels.Get("operation"), se.Labels.Get("code")}
		e := storage[k]
		if e == nil {
			e = &StorageErrorStats{Operation: k[0], Code: k[1], Critical: slices.Contains(CriticalStorageCodes, k[1])}
			storage[k] = e
		}
		e.Count += se.Value
	})
	for _, e := range storage {
		if e.Count > 0 {
			e.Rate = e.Count / secs
			s.StorageErrors = append(s.StorageErrors, *e)
		}
	}
	slices.SortFunc(s.StorageErrors, func(a, b StorageErrorStats) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Code, b.Code), strings.Compare(a.Operation, b.Operation))
	})

	pull := map[[3]string]*PullthroughErrorStats{}
	each(win, FamilyPullthroughErrors, pod, onePod, func(se *Series) {
		k := [3]string{se.Labels.Get("registry"), se.Labels.Get("operation"), se.Labels.Get("code")}
		e := pull[k]
		if e == nil {
			e = &PullthroughErrorStats{Registry: k[0], Operation: k[1], Code: k[2]}
			pull[k] = e
		}
		e.Count += se.Value
	})
	for _, e := range pull {
		if e.Count > 0 {
			e.Rate = e.Count / secs
			s.PullthroughErrors = append(s.PullthroughErrors, *e)
		}
	}
	slices.SortFunc(s.PullthroughErrors, func(a, b PullthroughErrorStats) int {
		return cmp.Or(strings.Compare(a.Registry, b.Registry), cmp.Compare(b.Count, a.Count),
			strings.Compare(a.Operation, b.Operation), strings.Compare(a.Code, b.Code))
	})

	ops := map[string]*OperationLatency{}
	op := func(name string) *OperationLatency {
		o := ops[name]
		if o == nil {
			o = &OperationLatency{Operation: name, P99Seconds: math.NaN(), MeanSeconds: math.NaN()}
			ops[name] = o
		}
		return o
	}
	opSum := map[string]float64{}
	each(cur, FamilyStorageDuration, pod, onePod, func(se *Series) {
		o := op(se.Labels.Get("operation"))
		o.P99Seconds = maxNaN(o.P99Seconds, se.Quantile(0.99))
	})
	each(win, FamilyStorageDuration, pod, onePod, func(se *Series) {
		o := op(se.Labels.Get("operation"))
		if se.HasCount && se.HasSum {
			o.Count += se.Count
			opSum[o.Operation] += se.Sum
		}
	})
	for _, o := range ops {
		o.MeanSeconds = ratio(opSum[o.Operation], o.Count)
		s.StorageLatency = append(s.StorageLatency, *o)
	}
	slices.SortFunc(s.StorageLatency, func(a, b OperationLatency) int {
		// Slowest first, unknown last.
		an, bn := math.IsNaN(a.P99Seconds), math.IsNaN(b.P99Seconds)
		switch {
		case an && !bn:
			return 1
		case !an && bn:
			return -1
		}
		return cmp.Or(cmp.Compare(b.P99Seconds, a.P99Seconds), strings.Compare(a.Operation, b.Operation))
	})
	return s
}

func cacheStats(win *Snapshot, family, pod string, onePod bool) CacheStats {
	var c CacheStats
	each(win, family, pod, onePod, func(se *Series) {
		switch se.Labels.Get("type") {
		case "Hit":
			c.Hits += se.Value
		case "Miss":
			c.Misses += se.Value
		}
	})
	c.HitRatio = ratio(c.Hits, c.Hits+c.Misses)
	return c
}
