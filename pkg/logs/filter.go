package logs

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Field names the filters read, as the OpenShift registry writes them.
const (
	FieldUser   = "openshift.auth.user"
	FieldRepo   = "vars.name"
	FieldStatus = "http.response.status"
	FieldMethod = "http.request.method"
)

// FilterOptions are the filters as the user types them. Empty means "do not
// filter on this".
type FilterOptions struct {
	Level   string // minimum level: "warn" keeps warning, error, fatal, panic
	Grep    string // regular expression the message must match
	Exclude string // regular expression the message must not match
	User    string // openshift.auth.user, exactly
	Repo    string // vars.name, a path.Match glob ("p/*")
	Status  string // http.response.status: "404", "4xx", ">=400", "<500", "401,403"
	Method  string // http.request.method, any case
}

// Filter keeps the lines that pass every filter set (they combine with AND).
// A nil *Filter keeps every line.
//
// Lines that did not parse have no level and no fields. They pass the level
// filter, because what does not parse in a registry log is mostly a Go panic
// or a crash trace, which someone asking for errors wants to see; grep and
// exclude look at the whole line; any field filter drops them.
type Filter struct {
	level   Level
	grep    *regexp.Regexp
	exclude *regexp.Regexp
	user    string
	repo    string
	repoLit bool // no glob characters: a plain comparison
	status  statusExpr
	method  string
}

// NewFilter checks and compiles o. Its errors are one line that names the
// flag and the bad value.
func NewFilter(o FilterOptions) (*Filter, error) {
	f := &Filter{user: o.User, method: strings.TrimSpace(o.Method)}
	var err error
	if o.Level != "" {
		if f.level, err = ParseLevel(o.Level); err != nil {
			return nil, fmt.Errorf("invalid --level %q: want trace, debug, info, warn, error, fatal or panic", o.Level)
		}
	}
	if o.Grep != "" {
		if f.grep, err = regexp.Compile(o.Grep); err != nil {
			return nil, fmt.Errorf("invalid --grep %q: %w", o.Grep, err)
		}
	}
	if o.Exclude != "" {
		if f.exclude, err = regexp.Compile(o.Exclude); err != nil {
			return nil, fmt.Errorf("invalid --exclude %q: %w", o.Exclude, err)
		}
	}
	if o.Repo != "" {
		if err := checkGlob(o.Repo); err != nil {
			return nil, fmt.Errorf("invalid --repo %q: %w", o.Repo, err)
		}
		f.repo = o.Repo
		f.repoLit = !strings.ContainsAny(o.Repo, `*?[\`)
	}
	if o.Status != "" {
		if f.status, err = parseStatusExpr(o.Status); err != nil {
			return nil, fmt.Errorf("invalid --status %q: %w", o.Status, err)
		}
	}
	if f.method != "" {
		for _, c := range f.method {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				return nil, fmt.Errorf("invalid --method %q: want an HTTP method such as GET, HEAD, PUT", o.Method)
			}
		}
	}
	return f, nil
}

// checkGlob reports path.ErrBadPattern for any malformed pattern. path.Match
// stops at the first mismatch, so a single probe can miss a bad bracket
// further on; matching the pattern against each of its own prefixes and
// suffixes walks every part of it.
func checkGlob(p string) error {
	for i := 0; i <= len(p); i++ {
		for _, name := range []string{p[:i], p[i:]} {
			if _, err := path.Match(p, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// Match reports whether e passes every filter.
func (f *Filter) Match(e *Entry) bool {
	if f == nil {
		return true
	}
	if !e.Parsed {
		return f.matchUnparsed(e.Raw)
	}
	if f.level != LevelUnknown && e.Level != LevelUnknown && e.Level < f.level {
		return false
	}
	if f.grep != nil && !f.grep.MatchString(e.Msg) {
		return false
	}
	if f.exclude != nil && f.exclude.MatchString(e.Msg) {
		return false
	}
	if f.user != "" {
		if v, ok := e.Field(FieldUser); !ok || v != f.user {
			return false
		}
	}
	if f.repo != "" {
		v, ok := e.Field(FieldRepo)
		if !ok {
			return false
		}
		if f.repoLit {
			if v != f.repo {
				return false
			}
		} else if m, _ := path.Match(f.repo, v); !m {
			return false
		}
	}
	if f.status != nil {
		v, ok := e.Field(FieldStatus)
		if !ok {
			return false
		}
		code, err := strconv.Atoi(v)
		if err != nil || !f.status.match(code) {
			return false
		}
	}
	if f.method != "" {
		if v, ok := e.Field(FieldMethod); !ok || !strings.EqualFold(v, f.method) {
			return false
		}
	}
	return true
}

func (f *Filter) hasFieldFilter() bool {
	return f.user != "" || f.repo != "" || f.status != nil || f.method != ""
}

func (f *Filter) matchUnparsed(raw string) bool {
	if f.hasFieldFilter() {
		return false
	}
	if f.grep != nil && !f.grep.MatchString(raw) {
		return false
	}
	return f.exclude == nil || !f.exclude.MatchString(raw)
}

// matchLong decides for a line too long to hold whole, from its first part.
func (f *Filter) matchLong(first []byte) bool {
	if f == nil {
		return true
	}
	if f.hasFieldFilter() {
		return false
	}
	if f.grep != nil && !f.grep.Match(first) {
		return false
	}
	return f.exclude == nil || !f.exclude.Match(first)
}

// statusExpr is a list of inclusive ranges; a code matches if any holds it.
type statusExpr []statusRange

type statusRange struct{ lo, hi int }

func (s statusExpr) match(code int) bool {
	for _, r := range s {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

const statusHelp = "want a code (404), a class (4xx), a range (400-499) or a comparison (>=400, <500, !=200), comma-separated"

// parseStatusExpr reads "404", "4xx", "400-499", ">=400", ">400", "<=499",
// "<500", "=404", "!=200", and comma-separated lists of them (any may match).
func parseStatusExpr(s string) (statusExpr, error) {
	var out statusExpr
	terms := strings.Split(s, ",")
	for _, term := range terms {
		term = strings.TrimSpace(term)
		r, err := parseStatusTerm(term)
		if err != nil {
			if len(terms) == 1 {
				// The caller already quotes the whole input.
				return nil, errors.New(statusHelp)
			}
			return nil, err
		}
		out = append(out, r...)
	}
	return out, nil
}

func parseStatusTerm(t string) ([]statusRange, error) {
	const lo, hi = 100, 599
	bad := func() ([]statusRange, error) {
		if t == "" {
			return nil, fmt.Errorf("empty term; %s", statusHelp)
		}
		return nil, fmt.Errorf("%q is not a status: %s", t, statusHelp)
	}
	code := func(s string) (int, bool) {
		if len(s) != 3 {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= lo && n <= hi
	}
	for _, op := range []string{">=", "<=", "!=", ">", "<", "="} {
		rest, ok := strings.CutPrefix(t, op)
		if !ok {
			continue
		}
		n, ok := code(strings.TrimSpace(rest))
		if !ok {
			return bad()
		}
		switch op {
		case ">=":
			return []statusRange{{n, hi}}, nil
		case "<=":
			return []statusRange{{lo, n}}, nil
		case ">":
			return []statusRange{{n + 1, hi}}, nil
		case "<":
			return []statusRange{{lo, n - 1}}, nil
		case "!=":
			return []statusRange{{lo, n - 1}, {n + 1, hi}}, nil
		default:
			return []statusRange{{n, n}}, nil
		}
	}
	if a, b, ok := strings.Cut(t, "-"); ok {
		x, ok1 := code(strings.TrimSpace(a))
		y, ok2 := code(strings.TrimSpace(b))
		if !ok1 || !ok2 || x > y {
			return bad()
		}
		return []statusRange{{x, y}}, nil
	}
	if len(t) == 3 && t[0] >= '1' && t[0] <= '5' && strings.EqualFold(t[1:], "xx") {
		c := int(t[0]-'0') * 100
		return []statusRange{{c, c + 99}}, nil
	}
	if n, ok := code(t); ok {
		return []statusRange{{n, n}}, nil
	}
	return bad()
}
