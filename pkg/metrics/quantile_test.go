package metrics

import (
	"math"
	"slices"
	"testing"
)

func TestHistogramQuantile(t *testing.T) {
	inf := math.Inf(+1)
	// 50 observations: 10 <= 0.1, 20 in (0.1, 0.5], 10 in (0.5, 1], 10 above 1.
	std := []Bucket{{0.1, 10}, {0.5, 30}, {1, 40}, {inf, 50}}
	tests := []struct {
		name    string
		q       float64
		buckets []Bucket
		want    float64
	}{
		// rank 25 falls in (0.1, 0.5], 15 of its 20: 0.1 + 0.4*15/20.
		{"median interpolates", 0.5, std, 0.4},
		// rank 5 in the first bucket, which starts at 0: 0.1*5/10.
		{"first bucket starts at 0", 0.1, std, 0.05},
		// rank 35 in (0.5, 1], 5 of its 10: 0.5 + 0.5*5/10.
		{"third bucket", 0.7, std, 0.75},
		{"upper bound exactly", 0.8, std, 1},
		// rank 45 is in the +Inf bucket: the highest finite bound.
		{"+Inf bucket gives highest finite bound", 0.9, std, 1},
		{"q=1", 1, std, 1},
		{"q=0", 0, std, 0},
		{"q<0", -0.1, std, math.Inf(-1)},
		{"q>1", 1.1, std, math.Inf(+1)},
		{"q NaN", math.NaN(), std, math.NaN()},
		{"unsorted input", 0.5, []Bucket{{inf, 50}, {1, 40}, {0.1, 10}, {0.5, 30}}, 0.4},
		{"no +Inf bucket", 0.5, []Bucket{{0.1, 10}, {0.5, 30}, {1, 40}}, math.NaN()},
		{"only +Inf", 0.5, []Bucket{{inf, 10}}, math.NaN()},
		{"no buckets", 0.5, nil, math.NaN()},
		{"no observations", 0.5, []Bucket{{0.1, 0}, {inf, 0}}, math.NaN()},
		// Lowest bound <= 0: the quantile is that bound, no interpolation from 0.
		{"negative lowest bound", 0.25, []Bucket{{-1, 10}, {0, 20}, {inf, 20}}, -1},
		{"zero lowest bound", 0.25, []Bucket{{0, 10}, {1, 20}, {inf, 20}}, 0},
		// rank 15 in (-1, 1], 5 of its 10: -1 + 2*5/10.
		{"negative start interpolates", 0.75, []Bucket{{-1, 10}, {1, 20}, {inf, 20}}, 0},
		// 0.5's count 4 is below 0.1's 10: raised to 10, so rank 12 is 2 of
		// the 10 in (0.5, 1]: 0.5 + 0.5*2/10 = 0.6 (0.75 without the fix).
		{"non-monotonic counts are fixed", 0.6, []Bucket{{0.1, 10}, {0.5, 4}, {1, 20}, {inf, 20}}, 0.6},
		// "1" and "1.0" are the same bound: added together (1:10), rank 5 of 10.
		{"equal bounds coalesce", 0.25, []Bucket{{1, 5}, {1, 5}, {inf, 20}}, 0.5},
		{"all in +Inf", 0.75, []Bucket{{0.1, 10}, {inf, 20}}, 0.1},
		// A count a hair below the one before is float noise: made equal.
		{"tiny decrease", 0.5, []Bucket{{1, 10}, {2, 10 - 1e-14}, {3, 20}, {inf, 20}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.buckets)
			got := HistogramQuantile(tt.q, tt.buckets)
			if !(got == tt.want || math.IsNaN(got) && math.IsNaN(tt.want)) && math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("HistogramQuantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
			if !slices.Equal(in, tt.buckets) {
				t.Errorf("the buckets were modified: %v", tt.buckets)
			}
		})
	}
}

func TestSeriesQuantile(t *testing.T) {
	s := Series{Quantiles: []Quantile{{0.5, 1}, {0.99, 3}}}
	if got := s.Quantile(0.99); got != 3 {
		t.Errorf("summary p99 = %v", got)
	}
	if got := s.Quantile(0.9); !math.IsNaN(got) {
		t.Errorf("a quantile the summary lacks = %v, want NaN", got)
	}
	h := Series{Buckets: []Bucket{{0.1, 10}, {0.5, 30}, {1, 40}, {math.Inf(1), 50}}}
	if got := h.Quantile(0.5); math.Abs(got-0.4) > 1e-12 {
		t.Errorf("histogram median = %v, want 0.4", got)
	}
}
