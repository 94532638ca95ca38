package metrics

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// MergeMode says how Merge combines the series of several pods.
type MergeMode int

const (
	// MergeSum drops the pod label and adds up series that are then equal:
	// counters, gauges and untyped values are summed, histograms bucket by
	// bucket. Summaries keep their pod label, because quantiles of different
	// pods cannot be combined.
	MergeSum MergeMode = iota
	// MergeByPod keeps every series apart, with its pod label.
	MergeByPod
)

// Merge combines snapshots, normally one per pod as Parse returns them with
// a pod name. It also collapses a by-pod snapshot with MergeSum, which is how
// per-pod rates become fleet rates.
//
// Series that end up with equal labels are added up. Two summaries with
// equal labels (only possible without pod labels) keep the sum of their
// counts and sums, and their quantiles become NaN. Histogram buckets are
// matched by bound; a bound one side lacks counts, on that side, as the
// cumulative count of its highest lower bound, which keeps the counts
// monotonic. A family with different types in two snapshots is an error, as
// is merging a scrape with rates.
//
// The result may share series with the snapshots: neither is modified.
func Merge(mode MergeMode, snaps ...*Snapshot) (*Snapshot, error) {
	if len(snaps) == 1 && mergesToItself(mode, snaps[0]) {
		// One pod's scrape, or a scrape through the route: nothing to add
		// up, drop or sort. Cloning and indexing every series would give
		// the same snapshot, at a cost that shows with 50,000 of them.
		s := snaps[0]
		out := &Snapshot{Pods: sortedPods(s.Pods), Interval: max(0, s.Interval), Families: make([]*Family, len(s.Families))}
		for i, f := range s.Families {
			out.Families[i] = &Family{Name: f.Name, Help: f.Help, Type: f.Type, Series: slices.Clip(f.Series)}
		}
		return out, nil
	}
	return mergeAll(mode, snaps...)
}

// mergeAll is Merge without its shortcut for one snapshot.
func mergeAll(mode MergeMode, snaps ...*Snapshot) (*Snapshot, error) {
	out := &Snapshot{}
	type acc struct {
		fam   *Family
		index map[string]int
		from  string // where the type was first seen, for the error
	}
	fams := map[string]*acc{}
	var interval time.Duration
	for i, s := range snaps {
		if i > 0 && (interval == 0) != (s.Interval == 0) {
			return nil, fmt.Errorf("merging metrics: cannot merge a scrape with rates")
		}
		interval = max(interval, s.Interval)
		for _, p := range s.Pods {
			if !slices.Contains(out.Pods, p) {
				out.Pods = append(out.Pods, p)
			}
		}
		for _, f := range s.Families {
			a := fams[f.Name]
			if a == nil {
				a = &acc{fam: &Family{Name: f.Name, Help: f.Help, Type: f.Type}, index: map[string]int{}, from: describePods(s)}
				fams[f.Name] = a
				out.Families = append(out.Families, a.fam)
			} else if a.fam.Type != f.Type {
				return nil, fmt.Errorf("merging metrics: family %s is a %s in %s and a %s in %s", f.Name, a.fam.Type, a.from, f.Type, describePods(s))
			}
			for _, se := range f.Series {
				ns := se.clone()
				if mode == MergeSum && f.Type != Summary {
					ns.Labels = ns.Labels.Without(PodLabel)
				}
				k := ns.Labels.key()
				j, ok := a.index[k]
				if !ok {
					a.index[k] = len(a.fam.Series)
					a.fam.Series = append(a.fam.Series, ns)
					continue
				}
				addSeries(&a.fam.Series[j], &ns, f.Type)
			}
		}
	}
	slices.Sort(out.Pods)
	out.Interval = interval
	for _, f := range out.Families {
		f.sortSeries()
	}
	out.sortFamilies()
	return out, nil
}

// mergesToItself reports whether merging s alone gives s again: families
// sorted by name without one twice, series sorted by labels without two
// equal ones (which Merge adds up: Labels.key is injective), and no pod
// label MergeSum would drop.
func mergesToItself(mode MergeMode, s *Snapshot) bool {
	for i, f := range s.Families {
		if i > 0 && s.Families[i-1].Name >= f.Name {
			return false
		}
		dropPod := mode == MergeSum && f.Type != Summary
		for j := range f.Series {
			ls := f.Series[j].Labels
			if j > 0 && compareLabels(f.Series[j-1].Labels, ls) >= 0 {
				return false
			}
			if dropPod && slices.ContainsFunc(ls, func(l Label) bool { return l.Name == PodLabel }) {
				return false
			}
		}
	}
	return true
}

// sortedPods is Merge's list of pods: each once, sorted.
func sortedPods(pods []string) []string {
	var out []string
	for _, p := range pods {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func describePods(s *Snapshot) string {
	switch len(s.Pods) {
	case 0:
		return "an unnamed source"
	case 1:
		return "pod " + s.Pods[0]
	}
	return fmt.Sprintf("pods %v", s.Pods)
}

func addSeries(dst, src *Series, t Type) {
	switch t {
	case Counter, Gauge, Untyped:
		dst.Value += src.Value
		return
	}
	dst.HasCount = dst.HasCount && src.HasCount
	dst.HasSum = dst.HasSum && src.HasSum
	dst.Count += src.Count
	dst.Sum += src.Sum
	if t == Summary {
		for i := range dst.Quantiles {
			dst.Quantiles[i].Value = math.NaN()
		}
		return
	}
	dst.Buckets = addBuckets(dst.Buckets, src.Buckets)
}

// addBuckets adds two sorted cumulative bucket lists over the union of their
// bounds.
func addBuckets(a, b []Bucket) []Bucket {
	out := make([]Bucket, 0, max(len(a), len(b)))
	var ca, cb float64 // cumulative counts at the last bound seen on each side
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var ub float64
		switch {
		case j >= len(b) || (i < len(a) && a[i].UpperBound < b[j].UpperBound):
			ub, ca = a[i].UpperBound, a[i].Count
			i++
		case i >= len(a) || b[j].UpperBound < a[i].UpperBound:
			ub, cb = b[j].UpperBound, b[j].Count
			j++
		default:
			ub, ca, cb = a[i].UpperBound, a[i].Count, b[j].Count
			i++
			j++
		}
		out = append(out, Bucket{UpperBound: ub, Count: ca + cb})
	}
	return out
}
