package metrics

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Rates turns two scrapes taken interval apart into per-second rates: for
// counters the increase divided by the interval, for summaries and
// histograms the same for the count, the sum and each bucket (so that the
// mean is d_sum/d_count and a histogram's quantiles are those of the
// observations made during the interval, as
// histogram_quantile(q, rate(x_bucket[...])) would give). Gauges, untyped
// values and summary quantiles are the current ones.
//
// A counter lower than before was reset (the pod restarted): the increase
// is then its new value, as Prometheus counts it. A series absent from prev
// was created during the interval (client libraries create labelled series
// on first use), so it counts from zero. Series and families gone from cur
// are left out. There is no extrapolation: two scrapes bound the interval.
//
// Compute rates on snapshots that keep pods apart (Parse with a pod name, or
// Merge with MergeByPod) and sum them afterwards with Merge(MergeSum, ...):
// the sum of several pods' counters can fall while every pod's grows less
// than one restarted, which would look like a reset.
func Rates(prev, cur *Snapshot, interval time.Duration) (*Snapshot, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("computing rates: interval %v is not positive", interval)
	}
	d, err := increase(prev, cur)
	if err != nil {
		return nil, err
	}
	secs := interval.Seconds()
	for _, f := range d.Families {
		for i := range f.Series {
			se := &f.Series[i]
			switch f.Type {
			case Counter:
				se.Value /= secs
			case Summary, Histogram:
				se.Count /= secs
				se.Sum /= secs
				for j := range se.Buckets {
					se.Buckets[j].Count /= secs
				}
			}
		}
	}
	d.Interval = interval
	return d, nil
}

// increase is Rates without the division: what each counter, count, sum and
// bucket grew by between prev and cur. Its Interval is zero.
func increase(prev, cur *Snapshot) (*Snapshot, error) {
	if prev == nil || cur == nil {
		return nil, errors.New("computing rates: two scrapes are needed")
	}
	if prev.Interval != 0 || cur.Interval != 0 {
		return nil, errors.New("computing rates: the snapshots must be scrapes, not rates")
	}
	out := &Snapshot{Pods: slices.Clone(cur.Pods)}
	for _, f := range cur.Families {
		pf := prev.Family(f.Name)
		var old map[string]*Series
		if pf != nil && pf.Type == f.Type {
			old = make(map[string]*Series, len(pf.Series))
			for i := range pf.Series {
				old[pf.Series[i].Labels.key()] = &pf.Series[i]
			}
		}
		nf := &Family{Name: f.Name, Help: f.Help, Type: f.Type, Series: make([]Series, 0, len(f.Series))}
		for _, se := range f.Series {
			ns := se.clone()
			if p := old[se.Labels.key()]; p != nil {
				subtract(&ns, p, f.Type)
			}
			nf.Series = append(nf.Series, ns)
		}
		out.Families = append(out.Families, nf)
	}
	return out, nil
}

// subtract turns cur (a clone) into its increase since p, with resets.
func subtract(cur, p *Series, t Type) {
	switch t {
	case Counter:
		if cur.Value >= p.Value {
			cur.Value -= p.Value
		}
	case Summary, Histogram:
		// One reset test for the whole series: count, sum and buckets are
		// reset together when the process restarts. The sum alone may fall
		// legitimately (negative observations), so it does not count.
		reset := cur.HasCount && p.HasCount && cur.Count < p.Count
		if t == Histogram {
			reset = reset || bucketsFell(cur.Buckets, p.Buckets)
		}
		if reset {
			return
		}
		cur.HasCount = cur.HasCount && p.HasCount
		cur.HasSum = cur.HasSum && p.HasSum
		cur.Count -= p.Count
		cur.Sum -= p.Sum
		// Both bucket lists are sorted by bound; a bound prev lacks was
		// added during the interval and keeps its whole count.
		j := 0
		for i := range cur.Buckets {
			for j < len(p.Buckets) && p.Buckets[j].UpperBound < cur.Buckets[i].UpperBound {
				j++
			}
			if j < len(p.Buckets) && p.Buckets[j].UpperBound == cur.Buckets[i].UpperBound {
				cur.Buckets[i].Count -= p.Buckets[j].Count
			}
		}
	}
}

func bucketsFell(cur, prev []Bucket) bool {
	j := 0
	for _, c := range cur {
		for j < len(prev) && prev[j].UpperBound < c.UpperBound {
			j++
		}
		if j < len(prev) && prev[j].UpperBound == c.UpperBound && c.Count < prev[j].Count {
			return true
		}
	}
	return false
}
