package metrics

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
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
	return string(ls.appendTo(nil))
}

// appendTo appends what String returns.
func (ls Labels) appendTo(b []byte) []byte {
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l.Name...)
		b = append(b, '=')
		if needsQuote(l.Value) {
			b = strconv.AppendQuote(b, l.Value)
		} else {
			b = append(b, l.Value...)
		}
	}
	return b
}

func needsQuote(v string) bool {
	if v == "" {
		return true
	}
	for i := 0; i < len(v); i++ {
		if quotedBytes[v[i]] {
			return true
		}
	}
	return false
}

// quotedBytes are the bytes that make needsQuote quote a value.
var quotedBytes = func() (tab [256]bool) {
	for c := range 256 {
		tab[c] = c < 0x20 || c >= 0x7f || strings.IndexByte(",\"\\ \t\n{}=!~'", byte(c)) >= 0
	}
	return tab
}()

// key is an injective string form of the set, for map keys: each name and
// value after its length.
func (ls Labels) key() string {
	n := 0
	for _, l := range ls {
		n += len(l.Name) + len(l.Value) + 4
	}
	b := make([]byte, 0, n)
	for _, l := range ls {
		b = binary.AppendUvarint(b, uint64(len(l.Name)))
		b = append(b, l.Name...)
		b = binary.AppendUvarint(b, uint64(len(l.Value)))
		b = append(b, l.Value...)
	}
	return string(b)
}

func compareLabels(a, b Labels) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		// Equal strings are the rule, and often the same string (Parse
		// interns names and common values): == is the cheaper test.
		if a[i].Name != b[i].Name {
			return strings.Compare(a[i].Name, b[i].Name)
		}
		if a[i].Value != b[i].Value {
			return strings.Compare(a[i].Value, b[i].Value)
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

// sortSeries sorts the series by labels, keeping equal ones in order.
func (f *Family) sortSeries() { sortSeries(f.Series) }

func sortSeries(ss []Series) {
	cmp := func(a, b Series) int { return compareLabels(a.Labels, b.Labels) }
	// Expositions usually come sorted (promhttp sorts), and checking is much
	// cheaper than sorting large structs.
	if slices.IsSortedFunc(ss, cmp) {
		return
	}
	if len(ss) < 64 {
		slices.SortStableFunc(ss, cmp)
		return
	}
	// Thousands of series: sort keys that order as compareLabels does and
	// end with the series' index, plain strings compared as such, then
	// move each series once.
	size := 0
	for i := range ss {
		for _, l := range ss[i].Labels {
			size += len(l.Name) + len(l.Value) + 4
		}
		size += 6
	}
	b := make([]byte, 0, size)
	order := make([]int, len(ss)) // first where each key ends
	for i := range ss {
		b = appendSortKey(b, ss[i].Labels)
		b = append(b, 0, 0, byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
		order[i] = len(b)
	}
	all := string(b)
	keys := make([]string, len(ss))
	for i := range keys {
		start := 0
		if i > 0 {
			start = order[i-1]
		}
		keys[i] = all[start:order[i]]
	}
	sortKeys(keys, make([]string, len(keys)), 0)
	for i, k := range keys {
		n := len(k)
		order[i] = int(k[n-4])<<24 | int(k[n-3])<<16 | int(k[n-2])<<8 | int(k[n-1])
	}
	// ss[i] becomes the old ss[order[i]], one cycle of the permutation at a
	// time.
	for i := range order {
		if order[i] < 0 || order[i] == i {
			continue
		}
		held := ss[i]
		j := i
		for {
			k := order[j]
			order[j] = -1
			if k == i {
				ss[j] = held
				break
			}
			ss[j] = ss[k]
			j = k
		}
	}
}

// sortKeys sorts distinct keys, none the beginning of another, that agree
// on their first depth bytes: by their byte at depth (a radix sort), after
// skipping the bytes they all share, which with series keys are most. It
// reads each byte that tells keys apart about once, where comparing keys
// reads their shared beginnings again at every comparison.
func sortKeys(keys, tmp []string, depth int) {
	for len(keys) > 24 {
		// Skip what they share.
		first := keys[0]
		end := len(first)
		for _, k := range keys[1:] {
			end = min(end, len(k))
			j := depth
			for j+8 <= end && first[j:j+8] == k[j:j+8] {
				j += 8
			}
			for j < end && first[j] == k[j] {
				j++
			}
			end = j
		}
		depth = end
		// Deal them out by the next byte; a key that ends comes first.
		var counts [257]int
		for _, k := range keys {
			counts[keyByte(k, depth)]++
		}
		var starts [257]int
		for b, sum := 0, 0; b < len(counts); b++ {
			starts[b] = sum
			sum += counts[b]
		}
		next := starts
		for _, k := range keys {
			b := keyByte(k, depth)
			tmp[next[b]] = k
			next[b]++
		}
		copy(keys, tmp[:len(keys)])
		// Each pile in turn, the largest by looping.
		largest := 0
		for b := range counts {
			if counts[b] > counts[largest] {
				largest = b
			}
		}
		for b := range counts {
			if b != largest && counts[b] > 1 {
				sortKeys(keys[starts[b]:starts[b]+counts[b]], tmp, depth+1)
			}
		}
		keys = keys[starts[largest] : starts[largest]+counts[largest]]
		depth++
	}
	slices.Sort(keys)
}

// keyByte is k's byte at depth plus one, 0 past its end.
func keyByte(k string, depth int) int {
	if depth < len(k) {
		return int(k[depth]) + 1
	}
	return 0
}

// appendSortKey appends a key for ls that orders as compareLabels does:
// each name and value ends with 0 1, the 0 and 1 bytes within them are
// written as 1 1 and 1 2, and the caller ends the list with 0 0, which
// comes before any name.
func appendSortKey(b []byte, ls Labels) []byte {
	for _, l := range ls {
		b = appendSortKeyString(b, l.Name)
		b = appendSortKeyString(b, l.Value)
	}
	return b
}

func appendSortKeyString(b []byte, s string) []byte {
	start := len(b)
	b = append(b, s...)
	for i := start; i < len(b); i++ {
		if b[i] < 2 {
			// Rare: write it again with the escapes.
			b = b[:start]
			for i := 0; i < len(s); i++ {
				switch c := s[i]; c {
				case 0, 1:
					b = append(b, 1, c+1)
				default:
					b = append(b, c)
				}
			}
			break
		}
	}
	return append(b, 0, 1)
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
