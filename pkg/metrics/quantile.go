package metrics

import (
	"math"
	"slices"
	"sort"
)

// smallDeltaTolerance is PromQL's: bucket counts closer than this relative
// difference are floating-point noise from summing rates, not a decrease.
const smallDeltaTolerance = 1e-12

// HistogramQuantile computes quantile q (0 <= q <= 1) of a classic histogram
// exactly as PromQL's histogram_quantile does (promql/quantile.go,
// BucketQuantile): buckets are sorted by upper bound, buckets with the same
// bound are added together, a +Inf bucket is required (NaN without one), a
// count that decreases with a higher bound is raised to the count below it
// (and near-equal counts made equal), the lowest bucket is taken to start at
// 0 unless its upper bound is <= 0, and the result is interpolated linearly
// inside the bucket holding the rank. A quantile in the +Inf bucket is the
// highest finite bound. q < 0 gives -Inf, q > 1 +Inf, and no observations
// NaN. The argument is not modified.
func HistogramQuantile(q float64, buckets []Bucket) float64 {
	switch {
	case math.IsNaN(q):
		return math.NaN()
	case q < 0:
		return math.Inf(-1)
	case q > 1:
		return math.Inf(+1)
	case len(buckets) == 0:
		return math.NaN()
	}
	bs := slices.Clone(buckets)
	slices.SortStableFunc(bs, func(a, b Bucket) int {
		switch {
		case a.UpperBound < b.UpperBound:
			return -1
		case a.UpperBound > b.UpperBound:
			return +1
		}
		return 0
	})
	if !math.IsInf(bs[len(bs)-1].UpperBound, +1) {
		return math.NaN()
	}
	bs = coalesceBuckets(bs)
	ensureMonotonic(bs)
	if len(bs) < 2 {
		return math.NaN()
	}
	observations := bs[len(bs)-1].Count
	if observations == 0 {
		return math.NaN()
	}
	rank := q * observations
	b := sort.Search(len(bs)-1, func(i int) bool { return bs[i].Count >= rank })
	switch {
	case b == len(bs)-1:
		return bs[len(bs)-2].UpperBound
	case b == 0 && bs[0].UpperBound <= 0:
		return bs[0].UpperBound
	}
	var (
		start = 0.0
		end   = bs[b].UpperBound
		count = bs[b].Count
	)
	if b > 0 {
		start = bs[b-1].UpperBound
		count -= bs[b-1].Count
		rank -= bs[b-1].Count
	}
	return start + (end-start)*(rank/count)
}

// coalesceBuckets adds up buckets with the same bound, as a sum over series
// whose le labels differ only in spelling ("1" and "1.0") produces.
func coalesceBuckets(bs []Bucket) []Bucket {
	last := bs[0]
	i := 0
	for _, b := range bs[1:] {
		if b.UpperBound == last.UpperBound {
			last.Count += b.Count
			continue
		}
		bs[i] = last
		last = b
		i++
	}
	bs[i] = last
	return bs[:i+1]
}

// ensureMonotonic removes decreases of the cumulative count, which appear
// when buckets are scraped or rated at slightly different moments: each
// count lower than the one below it is raised to it, and a difference within
// the tolerance is treated as equality, as PromQL does.
func ensureMonotonic(bs []Bucket) {
	prev := bs[0].Count
	for i := 1; i < len(bs); i++ {
		curr := bs[i].Count
		switch {
		case curr == prev:
		case almostEqual(prev, curr, smallDeltaTolerance), curr < prev:
			bs[i].Count = prev
		default:
			prev = curr
		}
	}
}

var minNormal = math.Float64frombits(0x0010000000000000)

// almostEqual is Prometheus's util/almost.Equal without the stale-marker case.
func almostEqual(a, b, epsilon float64) bool {
	if math.IsNaN(a) && math.IsNaN(b) {
		return true
	}
	if a == b {
		return true
	}
	absSum := math.Abs(a) + math.Abs(b)
	diff := math.Abs(a - b)
	if a == 0 || b == 0 || absSum < minNormal {
		return diff < epsilon*minNormal
	}
	return diff/math.Min(absSum, math.MaxFloat64) < epsilon
}
