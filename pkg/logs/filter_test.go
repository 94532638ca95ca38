package logs

import (
	"strings"
	"testing"
)

func TestStatusExpr(t *testing.T) {
	tests := []struct {
		expr      string
		match     []int
		noMatch   []int
		errSubstr string
	}{
		{expr: "404", match: []int{404}, noMatch: []int{400, 403, 405, 200}},
		{expr: "4xx", match: []int{400, 404, 499}, noMatch: []int{399, 500, 200}},
		{expr: "5XX", match: []int{500, 503, 599}, noMatch: []int{499}},
		{expr: ">=400", match: []int{400, 404, 500, 599}, noMatch: []int{399, 200}},
		{expr: ">400", match: []int{401}, noMatch: []int{400}},
		{expr: "<500", match: []int{100, 200, 499}, noMatch: []int{500, 503}},
		{expr: "<=404", match: []int{404}, noMatch: []int{405}},
		{expr: "=201", match: []int{201}, noMatch: []int{200}},
		{expr: "!=200", match: []int{201, 199, 404}, noMatch: []int{200}},
		{expr: "400-403", match: []int{400, 401, 403}, noMatch: []int{404, 399}},
		{expr: "401,403, 5xx", match: []int{401, 403, 500, 502}, noMatch: []int{402, 404, 200}},
		{expr: " >= 400 ", match: []int{400}, noMatch: []int{200}},
		{expr: "4xz", errSubstr: "want a code (404), a class (4xx)"},
		{expr: "40", errSubstr: "want a code"},
		{expr: "600", errSubstr: "want a code"},
		{expr: "099", errSubstr: "want a code"},
		{expr: "6xx", errSubstr: "want a code"},
		{expr: ">=abc", errSubstr: "want a code"},
		{expr: "404,", errSubstr: "empty term"},
		{expr: "404,4x4", errSubstr: `"4x4" is not a status`},
		{expr: "500-400", errSubstr: "want a code"},
		{expr: "=>400", errSubstr: "want a code"},
	}
	for _, tt := range tests {
		e, err := parseStatusExpr(tt.expr)
		if tt.errSubstr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errSubstr) {
				t.Errorf("%q: error %v, want one containing %q", tt.expr, err, tt.errSubstr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.expr, err)
			continue
		}
		for _, c := range tt.match {
			if !e.match(c) {
				t.Errorf("%q does not match %d", tt.expr, c)
			}
		}
		for _, c := range tt.noMatch {
			if e.match(c) {
				t.Errorf("%q matches %d", tt.expr, c)
			}
		}
	}
}

func TestNewFilterErrors(t *testing.T) {
	tests := []struct {
		o    FilterOptions
		want string
	}{
		{FilterOptions{Level: "loud"}, `invalid --level "loud": want trace, debug, info, warn, error, fatal or panic`},
		{FilterOptions{Grep: "(unclosed"}, `invalid --grep "(unclosed": error parsing regexp: missing closing )`},
		{FilterOptions{Exclude: "a**"}, `invalid --exclude "a**": error parsing regexp: invalid nested repetition operator`},
		{FilterOptions{Repo: "p/[app"}, `invalid --repo "p/[app": syntax error in pattern`},
		{FilterOptions{Repo: "p/app[x"}, `invalid --repo "p/app[x": syntax error in pattern`},
		{FilterOptions{Status: "4xz"}, `invalid --status "4xz": want a code (404), a class (4xx), a range (400-499) or a comparison (>=400, <500, !=200), comma-separated`},
		{FilterOptions{Method: "GE T"}, `invalid --method "GE T": want an HTTP method such as GET, HEAD, PUT`},
	}
	for _, tt := range tests {
		_, err := NewFilter(tt.o)
		if err == nil {
			t.Errorf("%+v: accepted", tt.o)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v:\n got  %q\n want %q, on one line", tt.o, err, tt.want)
		}
	}
	if _, err := NewFilter(FilterOptions{Level: "warn", Grep: "a", Exclude: "b", User: "alice", Repo: "p/*", Status: "4xx,500", Method: "get"}); err != nil {
		t.Errorf("valid options refused: %v", err)
	}
}

func TestFilterMatch(t *testing.T) {
	var lines []Line
	for _, b := range readLines(t, "local-registry-log.txt") {
		lines = append(lines, ParseLine(b))
	}
	// The lines by index (see testdata/README.md):
	//  0-2 info startup, 3 GET 200 alice p/app, 4 HEAD 404 (info) builder p/app,
	//  5 PUT 401 (error) mallory p/app, 6 error access denied q/secret,
	//  7 warning, 8 debug without msg, 9 trace, 10 info "response" GET 401.
	panicLine := ParseLine([]byte("2026-11-26T01:00:58Z panic: runtime error: index out of range"))
	lines = append(lines, panicLine) // 11
	tests := []struct {
		name string
		o    FilterOptions
		want []int
	}{
		{"none", FilterOptions{}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"level warn", FilterOptions{Level: "warn"}, []int{5, 6, 7, 11}},
		{"level error", FilterOptions{Level: "ERROR"}, []int{5, 6, 11}},
		{"level debug", FilterOptions{Level: "debug"}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11}},
		{"grep", FilterOptions{Grep: "^response completed"}, []int{3, 4, 5}},
		{"grep unparsed whole line", FilterOptions{Grep: "index out of range"}, []int{11}},
		{"exclude", FilterOptions{Exclude: "response|OpenShift"}, []int{0, 2, 7, 8, 9, 11}},
		{"user", FilterOptions{User: "alice"}, []int{3}},
		{"user with colons", FilterOptions{User: "system:serviceaccount:ci:builder"}, []int{4}},
		{"user is exact", FilterOptions{User: "alic"}, nil},
		{"repo literal", FilterOptions{Repo: "p/app"}, []int{3, 4, 5}},
		{"repo glob", FilterOptions{Repo: "q/*"}, []int{6}},
		{"repo glob does not cross /", FilterOptions{Repo: "*"}, nil},
		{"status class", FilterOptions{Status: "4xx"}, []int{4, 5, 10}},
		{"status exact", FilterOptions{Status: "404"}, []int{4}},
		{"status compare", FilterOptions{Status: "<300"}, []int{3}},
		{"status list", FilterOptions{Status: "200,404"}, []int{3, 4}},
		{"method any case", FilterOptions{Method: "head"}, []int{4}},
		{"method", FilterOptions{Method: "GET"}, []int{3, 10}},
		{"AND", FilterOptions{Repo: "p/app", Status: "4xx", Level: "info"}, []int{4, 5}},
		{"AND narrows", FilterOptions{Repo: "p/app", Status: "4xx", Level: "error"}, []int{5}},
		{"AND disjoint", FilterOptions{User: "alice", Status: "4xx"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewFilter(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for i := range lines {
				if f.Match(&lines[i].Entry) {
					got = append(got, i)
				}
			}
			if !equalInts(got, tt.want) {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
		})
	}
	var nilFilter *Filter
	if !nilFilter.Match(&lines[0].Entry) {
		t.Error("a nil filter drops a line")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
