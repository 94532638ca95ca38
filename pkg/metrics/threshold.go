package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Threshold is one failure condition of a CI gate: the gate fails when the
// named value of the report's Total section satisfies "Value Op Number".
type Threshold struct {
	Name  string
	Op    string
	Value float64
}

func (t Threshold) String() string {
	return t.Name + t.Op + strconv.FormatFloat(t.Value, 'g', -1, 64)
}

// thresholdValues maps each threshold name to where it reads the report.
var thresholdValues = map[string]func(*Section) float64{
	"request_rate":                  func(s *Section) float64 { return s.RequestRate },
	"error_ratio":                   func(s *Section) float64 { return s.ErrorRatio },
	"error_ratio_4xx":               func(s *Section) float64 { return s.ErrorRatio4xx },
	"error_ratio_5xx":               func(s *Section) float64 { return s.ErrorRatio5xx },
	"p99_seconds":                   func(s *Section) float64 { return s.P99Seconds },
	"in_flight":                     func(s *Section) float64 { return s.InFlight },
	"digest_cache_hit_ratio":        func(s *Section) float64 { return s.DigestCache.HitRatio },
	"digest_cache_scoped_hit_ratio": func(s *Section) float64 { return s.DigestCacheScoped.HitRatio },
	"storage_errors": func(s *Section) float64 {
		n := 0.0
		for _, e := range s.StorageErrors {
			n += e.Count
		}
		return n
	},
	"storage_errors_critical": func(s *Section) float64 {
		n := 0.0
		for _, e := range s.StorageErrors {
			if e.Critical {
				n += e.Count
			}
		}
		return n
	},
	"pullthrough_errors": func(s *Section) float64 {
		n := 0.0
		for _, e := range s.PullthroughErrors {
			n += e.Count
		}
		return n
	},
}

// ThresholdNames lists the names ParseThresholds accepts.
var ThresholdNames = []string{
	"request_rate", "error_ratio", "error_ratio_4xx", "error_ratio_5xx", "p99_seconds", "in_flight",
	"digest_cache_hit_ratio", "digest_cache_scoped_hit_ratio",
	"storage_errors", "storage_errors_critical", "pullthrough_errors",
}

var thresholdOps = []string{">=", "<=", "==", "!=", ">", "<"} // two-byte operators first

// ParseThresholds reads the --fail-on grammar (see the package
// documentation): comma-separated NAME OP NUMBER, OP one of > >= < <= == !=,
// NUMBER a decimal or exponent float, optionally followed by % (5% = 0.05).
// Blanks around tokens are allowed; an empty string gives no thresholds.
func ParseThresholds(s string) ([]Threshold, error) {
	var out []Threshold
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			// A stray comma is most likely a gate lost to a typo.
			return nil, fmt.Errorf("empty threshold in %q: give NAME OP NUMBER items separated by single commas", s)
		}
		t, err := parseThreshold(item)
		if err != nil {
			return nil, fmt.Errorf("parsing threshold %q: %w", item, err)
		}
		out = append(out, t)
	}
	return out, nil
}

func parseThreshold(item string) (Threshold, error) {
	i := strings.IndexAny(item, "<>=!")
	if i < 0 {
		return Threshold{}, fmt.Errorf("expected NAME OP NUMBER with OP one of %s", strings.Join(thresholdOps, " "))
	}
	name := strings.TrimSpace(item[:i])
	if _, ok := thresholdValues[name]; !ok {
		return Threshold{}, fmt.Errorf("unknown name %q: use one of %s", name, strings.Join(ThresholdNames, ", "))
	}
	rest := item[i:]
	op := ""
	for _, o := range thresholdOps {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		return Threshold{}, fmt.Errorf("unknown operator at %q: use one of %s", rest, strings.Join(thresholdOps, " "))
	}
	num := strings.TrimSpace(rest[len(op):])
	scale := 1.0
	if n, ok := strings.CutSuffix(num, "%"); ok {
		num, scale = strings.TrimSpace(n), 0.01
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || strings.ContainsAny(num, "_xXpP") {
		return Threshold{}, fmt.Errorf("expected a number after %s, found %q", op, num)
	}
	return Threshold{Name: name, Op: op, Value: v * scale}, nil
}

// ThresholdResult is a threshold checked against a report.
type ThresholdResult struct {
	Threshold Threshold
	Actual    float64
	// Failed is true when the condition holds: the gate should fail.
	Failed bool
	// Unknown is true when the report has no such value (a ratio without
	// requests, a rate from one scrape, a missing gauge). Such a threshold
	// does not fail; a caller may choose to treat it as a failure.
	Unknown bool
}

func (r ThresholdResult) String() string {
	switch {
	case r.Unknown:
		return r.Threshold.String() + ": unknown (no data)"
	case r.Failed:
		return r.Threshold.String() + ": failed, value " + formatValue(r.Actual)
	}
	return r.Threshold.String() + ": ok, value " + formatValue(r.Actual)
}

// Check evaluates thresholds against the report's Total section.
func (r *Report) Check(ts []Threshold) []ThresholdResult {
	out := make([]ThresholdResult, 0, len(ts))
	for _, t := range ts {
		res := ThresholdResult{Threshold: t}
		get := thresholdValues[t.Name]
		if get == nil {
			res.Unknown = true
			out = append(out, res)
			continue
		}
		v := get(&r.Total)
		res.Actual = v
		if math.IsNaN(v) {
			res.Unknown = true
		} else {
			res.Failed = compare(v, t.Op, t.Value)
		}
		out = append(out, res)
	}
	return out
}

// AnyFailed reports whether any result failed.
func AnyFailed(rs []ThresholdResult) bool {
	for _, r := range rs {
		if r.Failed {
			return true
		}
	}
	return false
}

func compare(v float64, op string, x float64) bool {
	switch op {
	case ">":
		return v > x
	case ">=":
		return v >= x
	case "<":
		return v < x
	case "<=":
		return v <= x
	case "==":
		return v == x
	case "!=":
		return v != x
	}
	return false
}
