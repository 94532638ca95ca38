package metrics

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseMatchers(t *testing.T) {
	tests := []struct {
		in   string
		want []string // Matcher.String() of each
		err  string   // substring of the error
	}{
		{in: "", want: nil},
		{in: "method=get", want: []string{`method="get"`}},
		{in: "method=get,code=~5..,type!=Hit", want: []string{`method="get"`, `code=~"5.."`, `type!="Hit"`}},
		{in: "method!~get|head", want: []string{`method!~"get|head"`}},
		{in: ` method = get , code =~ "5.." `, want: []string{`method="get"`, `code=~"5.."`}},
		{in: `a="x,y",b=z`, want: []string{`a="x,y"`, `b="z"`}},
		{in: `a="say \"hi\""`, want: []string{`a="say \"hi\""`}},
		{in: `{method="get",code="200"}`, want: []string{`method="get"`, `code="200"`}},
		{in: "method=get,", want: []string{`method="get"`}},
		{in: `a=`, want: []string{`a=""`}},
		{in: `a=b=c`, want: []string{`a="b=c"`}},
		{in: "method:get", err: "expected =, !=, =~ or !~"},
		{in: "=get", err: "expected a label name"},
		{in: "9a=b", err: "expected a label name"},
		{in: `a="unterminated`, err: "unterminated"},
		{in: `a="x"y`, err: "expected a comma"},
		{in: `a=~(`, err: "compiling regex"},
		{in: `a="\q"`, err: "quoted value"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ms, err := ParseMatchers(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				if !strings.Contains(err.Error(), strconv.Quote(tt.in)) {
					t.Errorf("error %q does not name the input", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.String())
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			// String() must read back to the same matchers.
			back, err := ParseMatchers(strings.Join(got, ","))
			if err != nil || len(back) != len(ms) {
				t.Fatalf("round trip of %q: %v", got, err)
			}
		})
	}
}

func TestMatcherMatches(t *testing.T) {
	tests := []struct {
		sel   string
		value string
		want  bool
	}{
		{"a=get", "get", true},
		{"a=get", "GET", false},
		{"a=get", "", false},
		{"a=", "", true}, // a missing label matches the empty string
		{"a!=Hit", "Miss", true},
		{"a!=Hit", "Hit", false},
		{"a!=Hit", "", true},
		{"a=~5..", "503", true},
		{"a=~5..", "5030", false}, // anchored at the end
		{"a=~5..", "1503", false}, // and at the start
		{"a=~get|head", "head", true},
		{"a=~get|head", "gethead", false}, // alternation inside the anchors
		{"a=~.*", "", true},
		{"a=~.+", "", false},
		{`a=~"x.y"`, "x\ny", true}, // (?s): dot matches newline, as in Prometheus
		{"a!~5..", "200", true},
		{"a!~5..", "500", false},
		{"a!~5..", "", true},
	}
	for _, tt := range tests {
		ms, err := ParseMatchers(tt.sel)
		if err != nil {
			t.Fatal(err)
		}
		if got := ms[0].Matches(tt.value); got != tt.want {
			t.Errorf("%s matches %q = %v, want %v", tt.sel, tt.value, got, tt.want)
		}
		if got := ms[0].matchesBytes([]byte(tt.value)); got != tt.want {
			t.Errorf("%s matchesBytes %q = %v, want %v", tt.sel, tt.value, got, tt.want)
		}
	}
}

func TestFilterNames(t *testing.T) {
	tests := []struct {
		patterns []string
		all      bool
		name     string
		want     bool
	}{
		{nil, false, "imageregistry_http_requests_total", true},
		{nil, false, "go_goroutines", false},
		{nil, true, "go_goroutines", true},
		{[]string{"http_.*"}, false, "imageregistry_http_requests_total", true},
		{[]string{"http_.*"}, false, "imageregistry_storage_errors_total", false},
		{[]string{"http_.*"}, false, "http_requests_total", false},              // the prefix is implied
		{[]string{"http_.*"}, true, "imageregistry_http_requests_total", false}, // not with --all
		{[]string{"http_.*"}, true, "http_requests_total", true},
		{[]string{"imageregistry_http_.*"}, false, "imageregistry_http_requests_total", true},
		{[]string{"http_requests"}, false, "imageregistry_http_requests_total", false}, // anchored
		{[]string{"requests_total"}, false, "imageregistry_http_requests_total", false},
		{[]string{"http_.*|storage_.*"}, false, "imageregistry_storage_errors_total", true},
		{[]string{"http_.*|storage_.*"}, false, "storage_errors_total", false},
		{[]string{"^http_.*$"}, false, "imageregistry_http_requests_total", true}, // habitual anchors
		{[]string{"go_.*"}, false, "go_goroutines", false},
		{[]string{"go_.*", "process_.*"}, true, "process_resident_memory_bytes", true},
	}
	for _, tt := range tests {
		f, err := NewFilter(FilterOptions{Patterns: tt.patterns, All: tt.all})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.MatchName(tt.name); got != tt.want {
			t.Errorf("patterns %q all=%v: MatchName(%s) = %v, want %v", tt.patterns, tt.all, tt.name, got, tt.want)
		}
	}
	if _, err := NewFilter(FilterOptions{Patterns: []string{"http_("}}); err == nil || !strings.Contains(err.Error(), `"http_("`) {
		t.Errorf("bad pattern: error %v does not name it", err)
	}
}

func TestParseTypes(t *testing.T) {
	ts, err := ParseTypes("counter, Gauge")
	if err != nil || len(ts) != 2 || ts[0] != Counter || ts[1] != Gauge {
		t.Errorf("ParseTypes = %v, %v", ts, err)
	}
	if _, err := ParseTypes("historgram"); err == nil || !strings.Contains(err.Error(), "histogram") {
		t.Errorf("a misspelt type should list the valid ones, got %v", err)
	}
}
