package metrics

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The four matcher types are implemented here rather than imported from
// github.com/prometheus/prometheus/model/labels. Measured on this machine: a
// tiny main using that package is only ~0.3 MB larger than one using expfmt
// alone (6.08 vs 5.78 MB, -s -w), but requiring github.com/prometheus/prometheus
// v0.316.0 would raise k8s.io/api, apimachinery and client-go from v0.36.6 to
// v0.37.1 and prometheus/common to v0.72.1 for the whole module through
// minimal version selection. Prometheus's semantics are small enough to copy:
// regexes are fully anchored and (?s) (dot matches newline), a missing label
// matches as the empty string.

// MatchType is the operator of a label matcher.
type MatchType int

// The matcher operators, as in PromQL.
const (
	MatchEqual     MatchType = iota // =
	MatchNotEqual                   // !=
	MatchRegexp                     // =~
	MatchNotRegexp                  // !~
)

func (t MatchType) String() string {
	switch t {
	case MatchEqual:
		return "="
	case MatchNotEqual:
		return "!="
	case MatchRegexp:
		return "=~"
	case MatchNotRegexp:
		return "!~"
	}
	return "?"
}

// Matcher selects series by one label, with Prometheus semantics.
type Matcher struct {
	Name  string
	Type  MatchType
	Value string
	re    *regexp.Regexp
}

// NewMatcher builds a matcher; regex values are anchored at both ends.
func NewMatcher(t MatchType, name, value string) (*Matcher, error) {
	m := &Matcher{Name: name, Type: t, Value: value}
	if t == MatchRegexp || t == MatchNotRegexp {
		re, err := regexp.Compile("^(?s:" + value + ")$")
		if err != nil {
			return nil, fmt.Errorf("compiling regex %q of label %q: %w", value, name, err)
		}
		m.re = re
	}
	return m, nil
}

// Matches reports whether a label value (empty for a missing label) matches.
func (m *Matcher) Matches(v string) bool {
	switch m.Type {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.re.MatchString(v)
	case MatchNotRegexp:
		return !m.re.MatchString(v)
	}
	return false
}

// matchesBytes is Matches without converting a scanned value to a string,
// for the pre-filter that looks at every line of an exposition.
func (m *Matcher) matchesBytes(v []byte) bool {
	switch m.Type {
	case MatchEqual:
		return string(v) == m.Value
	case MatchNotEqual:
		return string(v) != m.Value
	case MatchRegexp:
		return m.re.Match(v)
	case MatchNotRegexp:
		return !m.re.Match(v)
	}
	return false
}

// String renders the matcher so that ParseMatchers reads it back.
func (m *Matcher) String() string {
	return m.Name + m.Type.String() + quote(m.Value)
}

func quote(s string) string { return strconv.Quote(s) }

// ParseMatchers reads a comma-separated list of label matchers in Prometheus
// syntax: method=get,code=~5..,type!=Hit,name!~"a,b". Operators are =, !=,
// =~ and !~. A value is either unquoted, running to the next comma, or
// double-quoted with Go/PromQL escapes. Surrounding braces, as in a PromQL
// selector, and spaces around items are allowed. An empty string gives no
// matchers.
func ParseMatchers(s string) ([]*Matcher, error) {
	in := strings.TrimSpace(s)
	if strings.HasPrefix(in, "{") && strings.HasSuffix(in, "}") {
		in = in[1 : len(in)-1]
	}
	var out []*Matcher
	for i := 0; ; {
		for i < len(in) && (in[i] == ' ' || in[i] == '\t' || in[i] == ',') {
			i++
		}
		if i >= len(in) {
			return out, nil
		}
		m, next, err := parseMatcher(in, i)
		if err != nil {
			return nil, fmt.Errorf("parsing label matchers %q: %w", s, err)
		}
		out = append(out, m)
		i = next
	}
}

// parseMatcher reads one matcher starting at in[i] and returns the index
// after it (at a comma or the end).
func parseMatcher(in string, i int) (*Matcher, int, error) {
	start := i
	for i < len(in) && isLabelNameByte(in[i], i == start) {
		i++
	}
	name := in[start:i]
	if name == "" {
		return nil, 0, fmt.Errorf("expected a label name at %q: use NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX", in[start:])
	}
	for i < len(in) && (in[i] == ' ' || in[i] == '\t') {
		i++
	}
	var t MatchType
	switch rest := in[i:]; {
	case strings.HasPrefix(rest, "=~"):
		t, i = MatchRegexp, i+2
	case strings.HasPrefix(rest, "!~"):
		t, i = MatchNotRegexp, i+2
	case strings.HasPrefix(rest, "!="):
		t, i = MatchNotEqual, i+2
	case strings.HasPrefix(rest, "="):
		t, i = MatchEqual, i+1
	default:
		return nil, 0, fmt.Errorf("expected =, !=, =~ or !~ after label %q, found %q", name, rest)
	}
	for i < len(in) && (in[i] == ' ' || in[i] == '\t') {
		i++
	}
	var value string
	if i < len(in) && in[i] == '"' {
		end := closingQuote(in, i)
		if end < 0 {
			return nil, 0, fmt.Errorf("unterminated quoted value of label %q", name)
		}
		v, err := strconv.Unquote(in[i : end+1])
		if err != nil {
			return nil, 0, fmt.Errorf("quoted value of label %q: %w", name, err)
		}
		value = v
		i = end + 1
		for i < len(in) && (in[i] == ' ' || in[i] == '\t') {
			i++
		}
		if i < len(in) && in[i] != ',' {
			return nil, 0, fmt.Errorf("expected a comma after the quoted value of label %q, found %q", name, in[i:])
		}
	} else {
		end := strings.IndexByte(in[i:], ',')
		if end < 0 {
			end = len(in) - i
		}
		value = strings.TrimRight(in[i:i+end], " \t")
		i += end
	}
	m, err := NewMatcher(t, name, value)
	if err != nil {
		return nil, 0, err
	}
	return m, i, nil
}

// closingQuote returns the index of the quote closing the one at in[i],
// skipping backslash escapes, or -1.
func closingQuote(in string, i int) int {
	for j := i + 1; j < len(in); j++ {
		switch in[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

func isLabelNameByte(b byte, first bool) bool {
	return b == '_' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (!first && b >= '0' && b <= '9')
}
