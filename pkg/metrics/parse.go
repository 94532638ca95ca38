package metrics

import (
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Format is an exposition format.
type Format int

// The formats Parse reads.
const (
	FormatText        Format = iota // Prometheus text format 0.0.4
	FormatOpenMetrics               // OpenMetrics 1.0 text
)

func (f Format) String() string {
	if f == FormatOpenMetrics {
		return "openmetrics"
	}
	return "text"
}

// AcceptHeader is the Accept header a scraper should send. The text format
// comes first because it is what promhttp serves by default and what the
// parser reads natively; OpenMetrics is translated line by line.
const AcceptHeader = "text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1"

// FormatOf picks the format from a response's Content-Type. An empty type is
// read as the text format, as Prometheus does. A type that is no metrics
// format (an HTML login page from a proxy, say) is an error, so that the
// caller reports the answer it got instead of a parse error at line 1.
func FormatOf(contentType string) (Format, error) {
	if strings.TrimSpace(contentType) == "" {
		return FormatText, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, fmt.Errorf("reading content type %q: %w", contentType, err)
	}
	switch mt {
	case "text/plain":
		return FormatText, nil
	case expfmt.OpenMetricsType:
		return FormatOpenMetrics, nil
	case expfmt.ProtoType:
		return 0, fmt.Errorf("content type %q (protobuf) is not supported: send Accept: %s", contentType, AcceptHeader)
	}
	return 0, fmt.Errorf("content type %q is not a metrics exposition (expected text/plain or %s)", contentType, expfmt.OpenMetricsType)
}

// ParseOptions says how to read one exposition.
type ParseOptions struct {
	// ContentType is the response's Content-Type header; see FormatOf.
	ContentType string
	// Pod names the pod the exposition came from. When set, every series
	// gets a pod label and the snapshot's Pods names it.
	Pod string
	// Filter drops families and series while parsing; nil keeps everything.
	// Lines of families the name or type filter excludes are skipped before
	// the full parser sees them, which is what makes a narrow filter over a
	// large exposition cheap. They are still checked for syntax (name,
	// labels, value), so that a malformed exposition is reported whatever
	// the filter.
	Filter *Filter
}

// Parse reads one exposition (one pod's scrape). A truncated exposition
// parses as far as its last complete line: a summary without its _count line
// has HasCount false. A malformed one gives an error naming the line.
func Parse(r io.Reader, o ParseOptions) (*Snapshot, error) {
	return parse(r, o, false)
}

// parse is Parse; viaParser makes the line filter pass every line it keeps
// to expfmt instead of building the series itself, for the tests.
func parse(r io.Reader, o ParseOptions, viaParser bool) (*Snapshot, error) {
	format, err := FormatOf(o.ContentType)
	if err != nil {
		return nil, err
	}
	in := r
	var lf *lineFilter
	// Without a Filter, expfmt reads the exposition alone: the tests use
	// that path as the reference for the filtered one.
	if format == FormatOpenMetrics || o.Filter != nil {
		lf = newLineFilter(r, format == FormatOpenMetrics, o.Filter, o.Pod)
		lf.viaParser = viaParser
		defer lf.sorting.Wait() // on errors too
		in = lf
	}
	// The zero TextParser panics since prometheus/common v0.66: the name
	// validation scheme must be chosen. The registry's names are legacy ones.
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(in)
	if err != nil {
		what := "metrics exposition"
		if o.Pod != "" {
			what += " of pod " + o.Pod
		}
		if le := (*lineError)(nil); errors.As(err, &le) {
			return nil, fmt.Errorf("parsing %s (%s format): %w", what, format, le.pe)
		}
		if pe := (expfmt.ParseError{}); errors.As(err, &pe) {
			if lf != nil {
				pe.Line = lf.inputLine(pe.Line)
			}
			return nil, fmt.Errorf("parsing %s (%s format): %w", what, format, pe)
		}
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	s := &Snapshot{}
	if o.Pod != "" {
		s.Pods = []string{o.Pod}
	}
	all := make([]*Family, 0, len(fams))
	for _, mf := range fams {
		all = append(all, convertFamily(mf, o.Pod))
	}
	var done map[*Family]parseDone
	if lf != nil {
		all, done = lf.mergeDirect(all)
	}
	for _, fam := range all {
		if !o.Filter.MatchName(fam.Name) || !o.Filter.MatchType(fam.Type) {
			continue
		}
		if !done[fam].filtered {
			fam.Series = slices.DeleteFunc(fam.Series, func(se Series) bool { return !o.Filter.MatchLabels(se.Labels) })
		}
		if len(fam.Series) == 0 {
			continue
		}
		if !done[fam].sorted {
			fam.sortSeries()
		}
		s.Families = append(s.Families, fam)
	}
	s.sortFamilies()
	return s, nil
}

func convertType(t dto.MetricType) Type {
	switch t {
	case dto.MetricType_COUNTER:
		return Counter
	case dto.MetricType_GAUGE:
		return Gauge
	case dto.MetricType_SUMMARY:
		return Summary
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return Histogram
	}
	return Untyped
}

func convertFamily(mf *dto.MetricFamily, pod string) *Family {
	fam := &Family{Name: mf.GetName(), Help: mf.GetHelp(), Type: convertType(mf.GetType())}
	fam.Series = make([]Series, 0, len(mf.GetMetric()))
	for _, m := range mf.GetMetric() {
		se := Series{Labels: convertLabels(m.GetLabel(), pod)}
		switch fam.Type {
		case Counter:
			se.Value = m.GetCounter().GetValue()
		case Gauge:
			se.Value = m.GetGauge().GetValue()
		case Untyped:
			se.Value = m.GetUntyped().GetValue()
		case Summary:
			sm := m.GetSummary()
			se.HasCount, se.Count = sm.SampleCount != nil, float64(sm.GetSampleCount())
			se.HasSum, se.Sum = sm.SampleSum != nil, sm.GetSampleSum()
			for _, q := range sm.GetQuantile() {
				se.Quantiles = append(se.Quantiles, Quantile{Quantile: q.GetQuantile(), Value: q.GetValue()})
			}
			slices.SortStableFunc(se.Quantiles, func(a, b Quantile) int { return cmpFloat(a.Quantile, b.Quantile) })
		case Histogram:
			h := m.GetHistogram()
			switch {
			case h.SampleCountFloat != nil:
				se.HasCount, se.Count = true, h.GetSampleCountFloat()
			case h.SampleCount != nil:
				se.HasCount, se.Count = true, float64(h.GetSampleCount())
			}
			se.HasSum, se.Sum = h.SampleSum != nil, h.GetSampleSum()
			for _, b := range h.GetBucket() {
				c := float64(b.GetCumulativeCount())
				if b.CumulativeCountFloat != nil {
					c = b.GetCumulativeCountFloat()
				}
				se.Buckets = append(se.Buckets, Bucket{UpperBound: b.GetUpperBound(), Count: c})
			}
			slices.SortStableFunc(se.Buckets, func(a, b Bucket) int { return cmpFloat(a.UpperBound, b.UpperBound) })
		}
		fam.Series = append(fam.Series, se)
	}
	return fam
}

func convertLabels(lps []*dto.LabelPair, pod string) Labels {
	ls := make(Labels, 0, len(lps)+1)
	for _, lp := range lps {
		name := lp.GetName()
		if pod != "" && name == PodLabel {
			name = ExportedPodLabel
		}
		ls = append(ls, Label{Name: name, Value: lp.GetValue()})
	}
	if pod != "" {
		ls = append(ls, Label{Name: PodLabel, Value: pod})
	}
	slices.SortFunc(ls, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	return ls
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case math.IsNaN(a) && !math.IsNaN(b):
		return -1
	case !math.IsNaN(a) && math.IsNaN(b):
		return 1
	}
	return 0
}
