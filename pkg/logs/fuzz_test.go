package logs

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseLine: any line parses without panicking, keeps its raw text,
// prints back byte for byte in raw mode, and prints as valid JSON whose
// values are all strings.
func FuzzParseLine(f *testing.F) {
	for _, name := range []string{"seed-registry-log.txt", "local-registry-log.txt", "logrus-json-log.txt"} {
		for _, l := range readLines(f, name) {
			f.Add(l)
		}
	}
	for _, s := range []string{
		"", " ", "=", `"`, `level=`, `level="`, `level="\`, `msg="\x"`, `{`, `{"level":`, `{"level":"info"}`,
		"2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z ", "2026-01-01T00:00:00.000000000+99:99 x",
		"level=info msg=\xff\xfe", `level=info k="\U0010ffff\u2028"`, "{\"msg\":\"\\ud800\"}",
	} {
		f.Add([]byte(s))
	}
	var p bytes.Buffer
	raw := NewPrinter(&p, PrintOptions{Timestamps: true})
	var q bytes.Buffer
	js := NewPrinter(&q, PrintOptions{Format: OutputJSON})
	f.Fuzz(func(t *testing.T, b []byte) {
		if bytes.IndexByte(b, '\n') >= 0 {
			return // the reader splits lines before parsing
		}
		l := ParseLine(b)
		if l.Stamp != "" {
			if string(b) != l.Stamp+" "+l.Raw {
				t.Fatalf("stamp %q + raw %q is not the line %q", l.Stamp, l.Raw, b)
			}
		} else if l.Raw != string(b) {
			t.Fatalf("raw %q is not the line %q", l.Raw, b)
		}
		if !l.Parsed && (len(l.Fields) > 0 || l.Msg != "") {
			t.Fatalf("unparsed line with results: %+v", l)
		}
		p.Reset()
		if err := raw.Print(&l); err != nil {
			t.Fatal(err)
		}
		raw.Flush()
		if !bytes.Equal(p.Bytes(), append(bytes.Clone(b), '\n')) {
			t.Fatalf("raw output %q, want the line %q", p.Bytes(), b)
		}
		q.Reset()
		if err := js.Print(&l); err != nil {
			t.Fatal(err)
		}
		js.Flush()
		var m map[string]string
		if err := json.Unmarshal(q.Bytes(), &m); err != nil {
			t.Fatalf("JSON output %q: %v", q.Bytes(), err)
		}
		if bytes.Count(q.Bytes(), []byte("\n")) != 1 {
			t.Fatalf("JSON output is not one line: %q", q.Bytes())
		}
	})
}

// parseTextReference is the plain byte-by-byte reading of logrus text that
// parseText once was; parseText now uses strings.IndexByte for speed and
// must read every input exactly as this does.
func parseTextReference(e *Entry, s string) bool {
	seen := false
	i, n := 0, len(s)
	for {
		for i < n && s[i] == ' ' {
			i++
		}
		if i >= n {
			break
		}
		ks := i
		for i < n && s[i] != '=' && s[i] != ' ' && s[i] != '"' {
			i++
		}
		if i >= n || s[i] != '=' || i == ks {
			return false
		}
		key := s[ks:i]
		i++
		var val string
		if i < n && s[i] == '"' {
			vs := i
			i++
			for i < n && s[i] != '"' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			if i >= n {
				return false
			}
			i++
			// Without an escape the value is taken as it stands: Unquote
			// would turn stray invalid UTF-8 into U+FFFD, which logrus
			// never writes (it escapes such bytes), and the raw bytes say
			// more.
			if !strings.Contains(s[vs:i], "\\") {
				val = s[vs+1 : i-1]
			} else {
				v, err := strconv.Unquote(s[vs:i])
				if err != nil {
					return false
				}
				val = v
			}
		} else {
			vs := i
			for i < n && s[i] != ' ' {
				i++
			}
			val = s[vs:i]
		}
		if i < n && s[i] != ' ' {
			return false
		}
		seen = e.set(key, val) || seen
	}
	return seen
}

func FuzzParseTextMatchesReference(f *testing.F) {
	for _, l := range readLines(f, "local-registry-log.txt") {
		f.Add(string(l))
	}
	for _, s := range []string{`level=info a="b\"c" d=`, `a"b=c level=x`, `level=info k="x\`, `k="a"b level=info`, `level=info msg="a\\" b="c"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var a, b Entry
		okA, okB := a.parseText(s), parseTextReference(&b, s)
		if okA != okB {
			t.Fatalf("%q: parseText %v, reference %v", s, okA, okB)
		}
		if okA && !reflect.DeepEqual(a, b) {
			t.Fatalf("%q:\n got  %+v\n want %+v", s, a, b)
		}
	})
}
