package metrics

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
)

// The schema identifiers written in the "schema" field. They change only
// when a field changes meaning or disappears; new fields may be added.
const (
	SnapshotSchema = "oc-registry.metrics/v1"
	ReportSchema   = "oc-registry.metrics-summary/v1"
)

// jsonFloat is a JSON number, null for NaN and "+Inf"/"-Inf" for the
// infinities, which JSON numbers cannot express. NaN is null rather than a
// string so that jq comparisons such as `.value > 5` are false for it.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte("null"), nil
	case math.IsInf(v, +1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return json.Marshal(v)
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		*f = jsonFloat(math.NaN())
		return nil
	case `"+Inf"`:
		*f = jsonFloat(math.Inf(+1))
		return nil
	case `"-Inf"`:
		*f = jsonFloat(math.Inf(-1))
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}

func jf(v float64) *jsonFloat {
	f := jsonFloat(v)
	return &f
}

type jsonSnapshot struct {
	Schema          string       `json:"schema"`
	Kind            string       `json:"kind"`
	IntervalSeconds *jsonFloat   `json:"interval_seconds,omitempty"`
	Pods            []string     `json:"pods"`
	Families        []jsonFamily `json:"families"`
}

type jsonFamily struct {
	Name   string       `json:"name"`
	Type   Type         `json:"type"`
	Help   string       `json:"help,omitempty"`
	Series []jsonSeries `json:"series"`
}

type jsonSeries struct {
	Labels    map[string]string    `json:"labels"`
	Value     *jsonFloat           `json:"value,omitempty"`
	Count     *jsonFloat           `json:"count,omitempty"`
	Sum       *jsonFloat           `json:"sum,omitempty"`
	Mean      *jsonFloat           `json:"mean,omitempty"`
	Quantiles map[string]jsonFloat `json:"quantiles,omitempty"`
	Buckets   []jsonBucket         `json:"buckets,omitempty"`
}

type jsonBucket struct {
	LE    string    `json:"le"`
	Count jsonFloat `json:"count"`
}

// formatBound spells a float as Prometheus writes it in le and quantile
// labels.
func formatBound(v float64) string {
	switch {
	case math.IsInf(v, +1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// WriteJSON writes the snapshot in the schema the package documentation
// describes (SnapshotSchema).
func WriteJSON(w io.Writer, s *Snapshot) error {
	doc := jsonSnapshot{Schema: SnapshotSchema, Kind: "scrape", Pods: s.Pods, Families: []jsonFamily{}}
	if doc.Pods == nil {
		doc.Pods = []string{}
	}
	if s.Interval > 0 {
		doc.Kind = "rates"
		doc.IntervalSeconds = jf(s.Interval.Seconds())
	}
	for _, f := range s.Families {
		jfam := jsonFamily{Name: f.Name, Type: f.Type, Help: f.Help, Series: make([]jsonSeries, 0, len(f.Series))}
		for i := range f.Series {
			jfam.Series = append(jfam.Series, toJSONSeries(&f.Series[i], f.Type))
		}
		doc.Families = append(doc.Families, jfam)
	}
	return encodeJSON(w, doc)
}

func toJSONSeries(se *Series, t Type) jsonSeries {
	js := jsonSeries{Labels: make(map[string]string, len(se.Labels))}
	for _, l := range se.Labels {
		js.Labels[l.Name] = l.Value
	}
	switch t {
	case Summary, Histogram:
		if se.HasCount {
			js.Count = jf(se.Count)
		}
		if se.HasSum {
			js.Sum = jf(se.Sum)
		}
		if m := se.Mean(); !math.IsNaN(m) {
			js.Mean = jf(m)
		}
		js.Quantiles = map[string]jsonFloat{}
		if t == Summary {
			for _, q := range se.Quantiles {
				js.Quantiles[formatBound(q.Quantile)] = jsonFloat(q.Value)
			}
		} else {
			for _, q := range TableQuantiles {
				js.Quantiles[formatBound(q)] = jsonFloat(se.Quantile(q))
			}
			js.Buckets = make([]jsonBucket, 0, len(se.Buckets))
			for _, b := range se.Buckets {
				js.Buckets = append(js.Buckets, jsonBucket{LE: formatBound(b.UpperBound), Count: jsonFloat(b.Count)})
			}
		}
	default:
		js.Value = jf(se.Value)
	}
	return js
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Help texts hold & and <: keep them readable for jq and people.
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

type jsonReport struct {
	Schema          string          `json:"schema"`
	SinceStart      bool            `json:"since_start"`
	IntervalSeconds *jsonFloat      `json:"interval_seconds,omitempty"`
	Pods            []string        `json:"pods"`
	Total           jsonSection     `json:"total"`
	ByPod           []jsonSection   `json:"by_pod"`
	Thresholds      []jsonThreshold `json:"thresholds,omitempty"`
}

type jsonSection struct {
	Pod               string               `json:"pod,omitempty"`
	Requests          jsonFloat            `json:"requests"`
	RequestRate       jsonFloat            `json:"request_rate"`
	Errors4xx         jsonFloat            `json:"errors_4xx"`
	Errors5xx         jsonFloat            `json:"errors_5xx"`
	ErrorRatio        jsonFloat            `json:"error_ratio"`
	ErrorRatio4xx     jsonFloat            `json:"error_ratio_4xx"`
	ErrorRatio5xx     jsonFloat            `json:"error_ratio_5xx"`
	P99Seconds        jsonFloat            `json:"p99_seconds"`
	MeanSeconds       jsonFloat            `json:"mean_seconds"`
	Methods           []jsonMethod         `json:"methods"`
	InFlight          jsonFloat            `json:"in_flight"`
	DigestCache       jsonCache            `json:"digest_cache"`
	DigestCacheScoped jsonCache            `json:"digest_cache_scoped"`
	StorageErrors     []jsonStorageError   `json:"storage_errors"`
	PullthroughErrors []jsonPullthroughErr `json:"pullthrough_errors"`
	StorageLatency    []jsonLatency        `json:"storage_latency"`
}

type jsonMethod struct {
	Method        string    `json:"method"`
	Requests      jsonFloat `json:"requests"`
	Rate          jsonFloat `json:"rate"`
	Errors4xx     jsonFloat `json:"errors_4xx"`
	Errors5xx     jsonFloat `json:"errors_5xx"`
	ErrorRatio    jsonFloat `json:"error_ratio"`
	ErrorRatio4xx jsonFloat `json:"error_ratio_4xx"`
	ErrorRatio5xx jsonFloat `json:"error_ratio_5xx"`
	P99Seconds    jsonFloat `json:"p99_seconds"`
	MeanSeconds   jsonFloat `json:"mean_seconds"`
}

type jsonCache struct {
	Hits     jsonFloat `json:"hits"`
	Misses   jsonFloat `json:"misses"`
	HitRatio jsonFloat `json:"hit_ratio"`
}

type jsonStorageError struct {
	Operation string    `json:"operation"`
	Code      string    `json:"code"`
	Count     jsonFloat `json:"count"`
	Rate      jsonFloat `json:"rate"`
	Critical  bool      `json:"critical"`
}

type jsonPullthroughErr struct {
	Registry  string    `json:"registry"`
	Operation string    `json:"operation"`
	Code      string    `json:"code"`
	Count     jsonFloat `json:"count"`
	Rate      jsonFloat `json:"rate"`
}

type jsonLatency struct {
	Operation   string    `json:"operation"`
	P99Seconds  jsonFloat `json:"p99_seconds"`
	MeanSeconds jsonFloat `json:"mean_seconds"`
	Count       jsonFloat `json:"count"`
}

type jsonThreshold struct {
	Threshold string    `json:"threshold"`
	Name      string    `json:"name"`
	Op        string    `json:"op"`
	Value     jsonFloat `json:"value"`
	Actual    jsonFloat `json:"actual"`
	Failed    bool      `json:"failed"`
	Unknown   bool      `json:"unknown"`
}

// WriteReportJSON writes the report, and the threshold results if any, in
// the schema the package documentation describes (ReportSchema).
func WriteReportJSON(w io.Writer, r *Report, results []ThresholdResult) error {
	doc := jsonReport{Schema: ReportSchema, SinceStart: r.SinceStart, Pods: r.Pods, Total: toJSONSection(&r.Total), ByPod: []jsonSection{}}
	if doc.Pods == nil {
		doc.Pods = []string{}
	}
	if !r.SinceStart {
		doc.IntervalSeconds = jf(r.Interval.Seconds())
	}
	for i := range r.ByPod {
		doc.ByPod = append(doc.ByPod, toJSONSection(&r.ByPod[i]))
	}
	for _, res := range results {
		doc.Thresholds = append(doc.Thresholds, jsonThreshold{
			Threshold: res.Threshold.String(), Name: res.Threshold.Name, Op: res.Threshold.Op,
			Value: jsonFloat(res.Threshold.Value), Actual: jsonFloat(res.Actual), Failed: res.Failed, Unknown: res.Unknown,
		})
	}
	return encodeJSON(w, doc)
}

func toJSONSection(s *Section) jsonSection {
	js := jsonSection{
		Pod: s.Pod, Requests: jsonFloat(s.Requests), RequestRate: jsonFloat(s.RequestRate),
		Errors4xx: jsonFloat(s.Errors4xx), Errors5xx: jsonFloat(s.Errors5xx),
		ErrorRatio: jsonFloat(s.ErrorRatio), ErrorRatio4xx: jsonFloat(s.ErrorRatio4xx), ErrorRatio5xx: jsonFloat(s.ErrorRatio5xx),
		P99Seconds: jsonFloat(s.P99Seconds), MeanSeconds: jsonFloat(s.MeanSeconds), InFlight: jsonFloat(s.InFlight),
		DigestCache:       jsonCache{jsonFloat(s.DigestCache.Hits), jsonFloat(s.DigestCache.Misses), jsonFloat(s.DigestCache.HitRatio)},
		DigestCacheScoped: jsonCache{jsonFloat(s.DigestCacheScoped.Hits), jsonFloat(s.DigestCacheScoped.Misses), jsonFloat(s.DigestCacheScoped.HitRatio)},
		Methods:           []jsonMethod{}, StorageErrors: []jsonStorageError{}, PullthroughErrors: []jsonPullthroughErr{}, StorageLatency: []jsonLatency{},
	}
	for _, m := range s.Methods {
		js.Methods = append(js.Methods, jsonMethod{
			Method: m.Method, Requests: jsonFloat(m.Requests), Rate: jsonFloat(m.Rate),
			Errors4xx: jsonFloat(m.Errors4xx), Errors5xx: jsonFloat(m.Errors5xx),
			ErrorRatio: jsonFloat(m.ErrorRatio), ErrorRatio4xx: jsonFloat(m.ErrorRatio4xx), ErrorRatio5xx: jsonFloat(m.ErrorRatio5xx),
			P99Seconds: jsonFloat(m.P99Seconds), MeanSeconds: jsonFloat(m.MeanSeconds),
		})
	}
	for _, e := range s.StorageErrors {
		js.StorageErrors = append(js.StorageErrors, jsonStorageError{e.Operation, e.Code, jsonFloat(e.Count), jsonFloat(e.Rate), e.Critical})
	}
	for _, e := range s.PullthroughErrors {
		js.PullthroughErrors = append(js.PullthroughErrors, jsonPullthroughErr{e.Registry, e.Operation, e.Code, jsonFloat(e.Count), jsonFloat(e.Rate)})
	}
	for _, o := range s.StorageLatency {
		js.StorageLatency = append(js.StorageLatency, jsonLatency{o.Operation, jsonFloat(o.P99Seconds), jsonFloat(o.MeanSeconds), jsonFloat(o.Count)})
	}
	return js
}
