package metrics

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// RegistryPrefix starts the name of every family the image registry defines.
const RegistryPrefix = "imageregistry_"

// FilterOptions describes which families and series to keep.
type FilterOptions struct {
	// Patterns are family-name regexes, each fully anchored. RegistryPrefix
	// is implied unless a pattern starts with it or All is set, so "http_.*"
	// selects imageregistry_http_.*. No patterns select every registry
	// family, or every family with All.
	Patterns []string
	// All turns off the implied RegistryPrefix, so that go_*, process_* and
	// promhttp_* families can be selected too.
	All bool
	// Labels is a label-matcher list in Prometheus syntax (see
	// ParseMatchers). Matchers see the series labels, the pod label when the
	// exposition was parsed with a pod name, and not a summary's quantile or
	// a histogram's le label (a series is the whole summary or histogram).
	Labels string
	// Types keeps only families of these types; empty keeps every type.
	Types []Type
}

// Filter selects families by name and type and series by labels. The zero
// value and nil keep everything.
type Filter struct {
	names    []*regexp.Regexp // nil: every name
	matchers []*Matcher
	types    []Type
}

// NewFilter compiles the options.
func NewFilter(o FilterOptions) (*Filter, error) {
	f := &Filter{types: slices.Clone(o.Types)}
	patterns := o.Patterns
	if len(patterns) == 0 && !o.All {
		patterns = []string{RegistryPrefix + ".*"}
	}
	for _, p := range patterns {
		re, err := compileFamilyPattern(p, o.All)
		if err != nil {
			return nil, err
		}
		f.names = append(f.names, re)
	}
	ms, err := ParseMatchers(o.Labels)
	if err != nil {
		return nil, err
	}
	f.matchers = ms
	return f, nil
}

func compileFamilyPattern(p string, all bool) (*regexp.Regexp, error) {
	body := p
	// A user who anchors the pattern out of habit means the same thing; left
	// in, the inner ^ after the implied prefix would match nothing.
	body = strings.TrimPrefix(body, "^")
	if strings.HasSuffix(body, "$") && !strings.HasSuffix(body, `\$`) {
		body = strings.TrimSuffix(body, "$")
	}
	expr := "^(?:" + body + ")$"
	if !all && !strings.HasPrefix(body, RegistryPrefix) {
		expr = "^" + RegistryPrefix + "(?:" + body + ")$"
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("compiling family pattern %q: %w", p, err)
	}
	return re, nil
}

// keepsAll reports whether the filter can drop nothing, so that parsing may
// skip the pre-filter.
func (f *Filter) keepsAll() bool {
	return f == nil || (f.names == nil && len(f.matchers) == 0 && len(f.types) == 0)
}

// MatchName reports whether a family name passes the name patterns.
func (f *Filter) MatchName(name string) bool {
	if f == nil || f.names == nil {
		return true
	}
	for _, re := range f.names {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// MatchType reports whether a family type passes the type filter.
func (f *Filter) MatchType(t Type) bool {
	return f == nil || len(f.types) == 0 || slices.Contains(f.types, t)
}

// MatchLabels reports whether a series' labels pass every matcher.
func (f *Filter) MatchLabels(ls Labels) bool {
	if f == nil {
		return true
	}
	for _, m := range f.matchers {
		if !m.Matches(ls.Get(m.Name)) {
			return false
		}
	}
	return true
}

// Apply returns the families and series of s that pass the filter. Series
// are shared with s, not copied.
func (f *Filter) Apply(s *Snapshot) *Snapshot {
	out := &Snapshot{Pods: slices.Clone(s.Pods), Interval: s.Interval}
	for _, fam := range s.Families {
		if !f.MatchName(fam.Name) || !f.MatchType(fam.Type) {
			continue
		}
		nf := &Family{Name: fam.Name, Help: fam.Help, Type: fam.Type}
		for _, se := range fam.Series {
			if f.MatchLabels(se.Labels) {
				nf.Series = append(nf.Series, se)
			}
		}
		if len(nf.Series) > 0 {
			out.Families = append(out.Families, nf)
		}
	}
	return out
}
