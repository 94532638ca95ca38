package metrics

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Type is a metric family's type as the exposition declares it.
type Type string

// The family types. Families without a TYPE line are Untyped; OpenMetrics
// gauge histograms are read as Histogram.
const (
	Counter   Type = "counter"
	Gauge     Type = "gauge"
	Summary   Type = "summary"
	Histogram Type = "histogram"
	Untyped   Type = "untyped"
)

// Types lists the values ParseTypes accepts, in the order help text shows them.
var Types = []Type{Counter, Gauge, Summary, Histogram, Untyped}

// ParseTypes reads a comma-separated list of family types ("counter,gauge").
// An empty string means every type.
func ParseTypes(s string) ([]Type, error) {
	var out []Type
	for part := range strings.SplitSeq(s, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		if part == "" {
			continue
		}
		t := Type(part)
		if !slices.Contains(Types, t) {
			return nil, fmt.Errorf("unknown metric type %q: use counter, gauge, summary, histogram or untyped", part)
		}
		out = append(out, t)
	}
	return out, nil
}

// PodLabel is the label that names the pod a series was scraped from.
// Parse adds it when given a pod name; an exposition's own "pod" label is
// kept as "exported_pod", as Prometheus does on a label clash.
const (
	PodLabel         = "pod"
	ExportedPodLabel = "exported_pod"
)

// Label is one name/value pair of a series.
type Label struct {
	Name, Value string
}

// Labels is a label set sorted by name.
type Labels []Label

// Get returns the value of the named label, or "" when the set lacks it,
// which is also how Prometheus matchers see a missing label.
func (ls Labels) Get(name string) string {
	for _, l := range ls {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// Without returns a copy of the set minus the named labels.
func (ls Labels) Without(names ...string) Labels {
	out := make(Labels, 0, len(ls))
	for _, l := range ls {
		if !slices.Contains(names, l.Name) {
			out = append(out, l)
		}
	}
	return out
}

// String renders the set in the syntax label matchers accept
// (code=200,method=get), quoting values that would not read back unquoted,
// so that a row of the table can be pasted into a -l flag.
func (ls Labels) String() string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name)
		b.WriteByte('=')
		if needsQuote(l.Value) {
			b.WriteString(quote(l.Value))
		} else {
			b.WriteString(l.Value)
		}
	}
	return b.String()
}

func needsQuote(v string) bool {
	if v == "" {
		return true
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case ',', '"', '\\', ' ', '\t', '\n', '{', '}', '=', '!', '~', '\'':
			return true
		default:
			if c < 0x20 || c >= 0x7f {
				return true
			}
		}
	}
	return false
}

// key is an injective string form of the set, for map keys.
func (ls Labels) key() string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Name)
		b.WriteByte(0xff)
		b.WriteString(l.Value)
		b.WriteByte(0xfe)
	}
	return b.String()
}

func compareLabels(a, b Labels) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i].Name, b[i].Name); c != 0 {
			return c
		}
		if c := strings.Compare(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// Quantile is one precomputed quantile of a summary.
type Quantile struct {
	Quantile float64 // 0.5, 0.9, 0.99
	Value    float64 // NaN when the summary's window holds no observations
}

// Bucket is one cumulative bucket of a histogram.
type Bucket struct {
	UpperBound float64 // the le label; +Inf for the last bucket
	Count      float64 // observations <= UpperBound
}

// Series is one labelled series of a family. Which fields are set depends on
// the family's type: Value for counters, gauges and untyped; Count, Sum and
// Quantiles for summaries; Count, Sum and Buckets for histograms.
type Series struct {
	Labels    Labels
	Value     float64
	Count     float64
	Sum       float64
	HasCount  bool // false when the exposition had no _count line (a truncated scrape)
	HasSum    bool
	Quantiles []Quantile // sorted by Quantile
	Buckets   []Bucket   // sorted by UpperBound
}

// Mean is Sum/Count, the mean observation (over the window, in a rates
// snapshot). It is NaN when either is missing or Count is zero.
func (s *Series) Mean() float64 {
	if !s.HasCount || !s.HasSum || s.Count == 0 {
		return math.NaN()
	}
	return s.Sum / s.Count
}

// Quantile returns quantile q of a summary (the exposed value, or NaN if the
// summary does not expose q) or of a histogram (computed as PromQL's
// histogram_quantile does).
func (s *Series) Quantile(q float64) float64 {
	if len(s.Buckets) > 0 {
		return HistogramQuantile(q, s.Buckets)
	}
	for _, sq := range s.Quantiles {
		// Quantile labels are decimal strings: 0.99 parses to the same
		// float64 everywhere, but allow for exporters that print 0.990000001.
		if math.Abs(sq.Quantile-q) < 1e-9 {
			return sq.Value
		}
	}
	return math.NaN()
}

func (s *Series) clone() Series {
	c := *s
	c.Labels = slices.Clone(s.Labels)
	c.Quantiles = slices.Clone(s.Quantiles)
	c.Buckets = slices.Clone(s.Buckets)
	return c
}

// Family is a metric family: a name, its type and its series sorted by labels.
type Family struct {
	Name   string
	Help   string
	Type   Type
	Series []Series
}

func (f *Family) sortSeries() {
	cmp := func(a, b Series) int { return compareLabels(a.Labels, b.Labels) }
	// Expositions usually come sorted (promhttp sorts), and checking is much
	// cheaper than sorting large structs.
	if !slices.IsSortedFunc(f.Series, cmp) {
		slices.SortFunc(f.Series, cmp)
	}
}

// Snapshot is the families of one scrape, of several merged, or the rates
// between two scrapes.
type Snapshot struct {
	// Pods names the pods whose expositions went into the snapshot, sorted.
	// It is empty when the caller gave no pod name (a scrape through the route).
	Pods []string
	// Interval is zero for a scrape. For the output of Rates it is the time
	// between the two scrapes, and the values of counters and the counts,
	// sums and buckets of summaries and histograms are per-second rates.
	Interval time.Duration
	// Families is sorted by name.
	Families []*Family
}

// Family returns the named family, or nil.
func (s *Snapshot) Family(name string) *Family {
	i := sort.Search(len(s.Families), func(i int) bool { return s.Families[i].Name >= name })
	if i < len(s.Families) && s.Families[i].Name == name {
		return s.Families[i]
	}
	return nil
}

// SeriesCount is the number of series in all families.
func (s *Snapshot) SeriesCount() int {
	n := 0
	for _, f := range s.Families {
		n += len(f.Series)
	}
	return n
}

func (s *Snapshot) sortFamilies() {
	slices.SortFunc(s.Families, func(a, b *Family) int { return strings.Compare(a.Name, b.Name) })
}
