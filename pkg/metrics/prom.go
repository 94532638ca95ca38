package metrics

import (
	"errors"
	"fmt"
	"io"
	"math"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// WriteProm re-exposes the snapshot in the Prometheus text format (0.0.4),
// through expfmt's encoder, for promtool, a textfile collector or a
// Pushgateway. Rates are refused: they are not what a scrape exposes.
//
// A summary whose _count or _sum line was missing (a truncated scrape) is
// left out: the encoder would write 0 for it, and a count of 0 beside a
// non-zero sum is a lie downstream. So is a histogram without _sum; one
// without _count uses its +Inf bucket, which is the same number.
func WriteProm(w io.Writer, s *Snapshot) error {
	if s.Interval != 0 {
		return errors.New("writing metrics in the prom format: rates cannot be re-exposed, only scrapes")
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range s.Families {
		mf := toDTO(f)
		if len(mf.Metric) == 0 {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("writing metric family %s: %w", f.Name, err)
		}
	}
	return nil
}

func toDTO(f *Family) *dto.MetricFamily {
	mf := &dto.MetricFamily{Name: proto.String(f.Name)}
	if f.Help != "" {
		mf.Help = proto.String(f.Help)
	}
	switch f.Type {
	case Counter:
		mf.Type = dto.MetricType_COUNTER.Enum()
	case Gauge:
		mf.Type = dto.MetricType_GAUGE.Enum()
	case Summary:
		mf.Type = dto.MetricType_SUMMARY.Enum()
	case Histogram:
		mf.Type = dto.MetricType_HISTOGRAM.Enum()
	default:
		mf.Type = dto.MetricType_UNTYPED.Enum()
	}
	for i := range f.Series {
		se := &f.Series[i]
		m := &dto.Metric{}
		for _, l := range se.Labels {
			m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(l.Name), Value: proto.String(l.Value)})
		}
		switch f.Type {
		case Counter:
			m.Counter = &dto.Counter{Value: proto.Float64(se.Value)}
		case Gauge:
			m.Gauge = &dto.Gauge{Value: proto.Float64(se.Value)}
		case Summary:
			if !se.HasCount || !se.HasSum {
				continue
			}
			sm := &dto.Summary{SampleCount: proto.Uint64(uint64(se.Count)), SampleSum: proto.Float64(se.Sum)}
			for _, q := range se.Quantiles {
				sm.Quantile = append(sm.Quantile, &dto.Quantile{Quantile: proto.Float64(q.Quantile), Value: proto.Float64(q.Value)})
			}
			m.Summary = sm
		case Histogram:
			h := &dto.Histogram{SampleSum: proto.Float64(se.Sum)}
			count, whole := se.Count, se.HasCount
			if !whole && len(se.Buckets) > 0 && math.IsInf(se.Buckets[len(se.Buckets)-1].UpperBound, +1) {
				count, whole = se.Buckets[len(se.Buckets)-1].Count, true
			}
			if !whole || !se.HasSum {
				continue
			}
			// Counts become floats when any is fractional (a merged or
			// rated histogram), as the parser does: one kind per histogram.
			float := count != math.Trunc(count)
			for _, b := range se.Buckets {
				float = float || b.Count != math.Trunc(b.Count)
			}
			if float {
				h.SampleCountFloat = proto.Float64(count)
			} else {
				h.SampleCount = proto.Uint64(uint64(count))
			}
			for _, b := range se.Buckets {
				pb := &dto.Bucket{UpperBound: proto.Float64(b.UpperBound)}
				if float {
					pb.CumulativeCountFloat = proto.Float64(b.Count)
				} else {
					pb.CumulativeCount = proto.Uint64(uint64(b.Count))
				}
				h.Bucket = append(h.Bucket, pb)
			}
			m.Histogram = h
		default:
			m.Untyped = &dto.Untyped{Value: proto.Float64(se.Value)}
		}
		mf.Metric = append(mf.Metric, m)
	}
	return mf
}
