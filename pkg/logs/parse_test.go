package logs

import (
	"bufio"
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readLines(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out
}

func TestParseSeedLines(t *testing.T) {
	lines := readLines(t, "seed-registry-log.txt")
	want := []struct {
		stamp, msg string
		fields     map[string]string
	}{
		{"2015-05-01T19:48:36.300593110Z", "version=v2.0.0+unknown", nil},
		{"2015-05-01T19:48:36.303294724Z", "redis not configured", map[string]string{"instance.id": "9ed6c43d-23ee-453f-9a4b-031fea646002"}},
		{"2015-05-01T19:48:36.303422845Z", "using inmemory layerinfo cache", map[string]string{"instance.id": "9ed6c43d-23ee-453f-9a4b-031fea646002"}},
		{"2015-05-01T19:48:36.303433991Z", "Using OpenShift Auth handler", nil},
		{"2015-05-01T19:48:36.303439084Z", "listening on :5000", map[string]string{"instance.id": "9ed6c43d-23ee-453f-9a4b-031fea646002"}},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		l := ParseLine(lines[i])
		if !l.Parsed || l.Format != FormatText {
			t.Fatalf("line %d not parsed: %q", i+1, lines[i])
		}
		if l.Stamp != w.stamp || l.Msg != w.msg || l.Level != LevelInfo || l.Time != "2015-05-01T19:48:36Z" {
			t.Errorf("line %d: stamp %q msg %q level %v time %q", i+1, l.Stamp, l.Msg, l.Level, l.Time)
		}
		wantTime, _ := time.Parse(time.RFC3339Nano, w.stamp)
		if !l.KubeletTime.Equal(wantTime) || l.KubeletTime.Nanosecond() == 0 {
			t.Errorf("line %d: kubelet time %v, want %v", i+1, l.KubeletTime, wantTime)
		}
		if got := fieldMap(l.Fields); !reflect.DeepEqual(got, w.fields) && !(len(got) == 0 && len(w.fields) == 0) {
			t.Errorf("line %d: fields %v, want %v", i+1, got, w.fields)
		}
		if !strings.HasSuffix(string(lines[i]), l.Raw) || len(l.Stamp)+1+len(l.Raw) != len(lines[i]) {
			t.Errorf("line %d: raw %q is not the line after the stamp", i+1, l.Raw)
		}
	}
}

func fieldMap(fs []Field) map[string]string {
	m := map[string]string{}
	for _, f := range fs {
		m[f.Key] = f.Value
	}
	return m
}

// The lines logrus wrote with the local registry's formatter settings.
func TestParseLocalRegistryLines(t *testing.T) {
	lines := readLines(t, "local-registry-log.txt")
	type want struct {
		level  Level
		msg    string
		fields map[string]string // a subset to check
		n      int               // number of fields
	}
	wants := []want{
		{LevelInfo, "version=v3.1.2", map[string]string{"openshift.logger": "registry", "go.version": "go1.26.8"}, 3},
		{LevelInfo, "Using OpenShift Auth handler", nil, 3},
		{LevelInfo, "listening on 127.0.0.1:15000", nil, 3},
		{LevelInfo, "response completed", map[string]string{
			"http.request.host": "127.0.0.1:15000", "http.request.method": "GET", "http.request.remoteaddr": "127.0.0.1:51234",
			"http.request.uri": "/v2/p/app/manifests/latest", "http.request.useragent": "containers/5.42.1 (github.com/containers/image)",
			"http.response.status": "200", "http.response.written": "1234", "http.response.duration": "3.412907ms",
			"openshift.auth.user": "alice", "openshift.auth.userid": "a1b2c3", "vars.name": "p/app", "vars.reference": "latest",
		}, 17},
		{LevelInfo, "response completed with error", map[string]string{
			"err.code": "manifest unknown", "err.detail": "map[Tag:v2]", "http.request.method": "HEAD", "http.response.status": "404",
			"openshift.auth.user": "system:serviceaccount:ci:builder",
			"vars.reference":      "sha256:3b5e9f0c6a2a8e1f4d7c0b9a8e7f6d5c4b3a2918070605040302010009080706",
		}, 20},
		{LevelError, "response completed with error", map[string]string{
			"err.code": "unauthorized", "err.message": "authentication required", "http.response.status": "401", "openshift.auth.user": "mallory",
			"err.detail": "[map[Action:push Name:p/app Type:repository]]",
		}, 20},
		{LevelError, `OpenShift access denied: user "mallory" cannot update imagestreams/layers in "q"`, map[string]string{"vars.name": "q/secret", "http.request.id": "0b1c9a4e"}, 5},
		{LevelWarn, "odd \x01 control \x7f and invalid \xff bytes, \a bell \v vtab, emoji 😀 and quote \" backslash \\", map[string]string{"err": "tab\there"}, 4},
		{LevelDebug, "", map[string]string{"empty": "", "eq": "a=b"}, 5},
		{LevelTrace, "trace line", nil, 3},
		{LevelInfo, "response", map[string]string{"http.request.remoteaddr": "[::1]:40000", "http.request.uri": "/v2/", "http.response.status": "401"}, 7},
	}
	if len(lines) != len(wants) {
		t.Fatalf("%d lines, want %d", len(lines), len(wants))
	}
	for i, w := range wants {
		l := ParseLine(lines[i])
		if !l.Parsed || l.Stamp == "" || !strings.HasPrefix(l.Time, "2026-11-26T01:01:01.") {
			t.Fatalf("line %d: parsed %v stamp %q time %q", i+1, l.Parsed, l.Stamp, l.Time)
		}
		if l.Level != w.level || l.Msg != w.msg || len(l.Fields) != w.n {
			t.Errorf("line %d: level %v msg %q %d fields; want %v %q %d", i+1, l.Level, l.Msg, len(l.Fields), w.level, w.msg, w.n)
		}
		for k, v := range w.fields {
			if got, ok := l.Field(k); !ok || got != v {
				t.Errorf("line %d: %s = %q (present %v), want %q", i+1, k, got, ok, v)
			}
		}
		for j := 1; j < len(l.Fields); j++ {
			if l.Fields[j-1].Key >= l.Fields[j].Key {
				t.Errorf("line %d: fields out of the line's (sorted) order: %q before %q", i+1, l.Fields[j-1].Key, l.Fields[j].Key)
			}
		}
	}
}

// The JSON formatter's lines must read the same as the text formatter's,
// apart from time and from err.detail, which logrus renders differently.
func TestParseJSONMatchesText(t *testing.T) {
	text, js := readLines(t, "local-registry-log.txt"), readLines(t, "logrus-json-log.txt")
	if len(text) != len(js) {
		t.Fatalf("%d text lines, %d JSON lines", len(text), len(js))
	}
	for i := range text {
		a, b := ParseLine(text[i]), ParseLine(js[i])
		if !b.Parsed || b.Format != FormatJSON {
			t.Fatalf("JSON line %d not parsed: %q", i+1, js[i])
		}
		if a.Level != b.Level || a.LevelText != b.LevelText {
			t.Errorf("line %d: level %q vs %q", i+1, a.LevelText, b.LevelText)
		}
		// JSON cannot carry invalid UTF-8 or escape DEL, so line 8 differs
		// in those bytes only.
		if am := strings.ToValidUTF8(a.Msg, "\ufffd"); am != b.Msg {
			t.Errorf("line %d: msg %q vs %q", i+1, am, b.Msg)
		}
		am, bm := fieldMap(a.Fields), fieldMap(b.Fields)
		delete(am, "err.detail")
		delete(bm, "err.detail")
		if !reflect.DeepEqual(am, bm) {
			t.Errorf("line %d: fields\n text %v\n json %v", i+1, am, bm)
		}
	}
	l := ParseLine(js[4])
	if d, _ := l.Field("err.detail"); d != `{"Tag":"v2"}` {
		t.Errorf("an object value keeps its compact JSON text, got %q", d)
	}
}

func TestParseEntry(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		parsed bool
		format Format
		msg    string
		fields []Field
	}{
		{"minimal", `level=info msg=hi`, true, FormatText, "hi", nil},
		{"level only", `level=warning`, true, FormatText, "", nil},
		{"msg only", `msg="x y"`, true, FormatText, "x y", nil},
		{"no level or msg", `a=b c=d`, false, 0, "", nil},
		{"empty value", `level=info k= msg=m`, true, FormatText, "m", []Field{{"k", ""}}},
		{"quoted =", `level=info k="a=b c"`, true, FormatText, "", []Field{{"k", "a=b c"}}},
		{"escapes", `level=info k="\x00\u00e9\U0001f600\"\\"`, true, FormatText, "", []Field{{"k", "\x00é😀\"\\"}}},
		{"trailing CR", "level=info msg=hi\r", true, FormatText, "hi", nil},
		{"double spaces", `level=info  msg=hi  k=v `, true, FormatText, "hi", []Field{{"k", "v"}}},
		{"bare key", `level=info oops`, false, 0, "", nil},
		{"unterminated quote", `level=info msg="abc`, false, 0, "", nil},
		{"backslash at end", `level=info msg="abc\`, false, 0, "", nil},
		{"bad escape", `level=info msg="\q"`, false, 0, "", nil},
		{"junk after quote", `level=info msg="a"b`, false, 0, "", nil},
		{"empty key", `=x level=info`, false, 0, "", nil},
		{"empty line", ``, false, 0, "", nil},
		{"panic", `panic: runtime error: invalid memory address or nil pointer dereference`, false, 0, "", nil},
		{"goroutine", `goroutine 1 [running]:`, false, 0, "", nil},
		{"plain text", `I0101 12:00:00.000000       1 main.go:10] starting`, false, 0, "", nil},
		{"json", `{"level":"error","msg":"boom","http.response.status":500,"ok":true,"x":null,"a":[1, 2]}`, true, FormatJSON, "boom",
			[]Field{{"http.response.status", "500"}, {"ok", "true"}, {"x", ""}, {"a", "[1,2]"}}},
		{"json no level or msg", `{"a":1}`, false, 0, "", nil},
		{"json not an object", `[1,2]`, false, 0, "", nil},
		{"json trailing junk", `{"level":"info"} x`, false, 0, "", nil},
		{"json two objects", `{"level":"info"}{"level":"info"}`, false, 0, "", nil},
		{"json broken", `{"level":"info",`, false, 0, "", nil},
		{"json non-string level", `{"level":3,"msg":"m"}`, true, FormatJSON, "m", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ParseEntry([]byte(tt.line))
			if e.Raw != tt.line {
				t.Errorf("raw %q, want the line unchanged", e.Raw)
			}
			if e.Parsed != tt.parsed {
				t.Fatalf("parsed = %v, want %v", e.Parsed, tt.parsed)
			}
			if !e.Parsed {
				if e.Format != FormatNone || e.Msg != "" || len(e.Fields) != 0 || e.Level != LevelUnknown {
					t.Errorf("unparsed line carries parse results: %+v", e)
				}
				return
			}
			if e.Format != tt.format || e.Msg != tt.msg {
				t.Errorf("format %v msg %q, want %v %q", e.Format, e.Msg, tt.format, tt.msg)
			}
			if len(e.Fields) != len(tt.fields) || (len(tt.fields) > 0 && !reflect.DeepEqual(e.Fields, tt.fields)) {
				t.Errorf("fields %q, want %q", e.Fields, tt.fields)
			}
		})
	}
}

// Reusing a Line must not leak fields from the previous line.
func TestParseReuse(t *testing.T) {
	var l Line
	l.parse([]byte(`2026-01-01T00:00:00Z level=info msg=a k=v x=y`))
	l.parse([]byte(`level=error msg=b`))
	if l.Stamp != "" || !l.KubeletTime.IsZero() || len(l.Fields) != 0 || l.Msg != "b" || l.Level != LevelError {
		t.Fatalf("stale state after reuse: %+v", l)
	}
	l.parse([]byte(`not logrus`))
	if l.Parsed || l.Msg != "" || l.LevelText != "" {
		t.Fatalf("stale state after an unparsed line: %+v", l)
	}
}

func TestSplitStamp(t *testing.T) {
	tests := []struct {
		line  string
		stamp string
		nanos int
	}{
		{"2026-01-02T03:04:05.123456789Z rest", "2026-01-02T03:04:05.123456789Z", 123456789},
		{"2026-01-02T03:04:05.1Z rest", "2026-01-02T03:04:05.1Z", 100000000},
		{"2026-01-02T03:04:05Z rest", "2026-01-02T03:04:05Z", 0},
		{"2026-01-02T03:04:05.000000001+02:00 rest", "2026-01-02T03:04:05.000000001+02:00", 1},
		{"2026-01-02T03:04:05.123456789Z ", "2026-01-02T03:04:05.123456789Z", 123456789},
		{"2026-01-02T03:04:05.123456789Z", "", 0}, // no separating space
		{"2026-13-02T03:04:05Z rest", "", 0},      // bad month
		{"2026-01-02 03:04:05Z rest", "", 0},      // not RFC 3339
		{`time="2026-01-02T03:04:05Z" level=info`, "", 0},
		{"short", "", 0},
	}
	for _, tt := range tests {
		l := ParseLine([]byte(tt.line))
		if l.Stamp != tt.stamp {
			t.Errorf("%q: stamp %q, want %q", tt.line, l.Stamp, tt.stamp)
			continue
		}
		if tt.stamp == "" {
			if !l.KubeletTime.IsZero() || l.Raw != tt.line {
				t.Errorf("%q: no stamp, but time %v raw %q", tt.line, l.KubeletTime, l.Raw)
			}
			continue
		}
		if l.KubeletTime.Nanosecond() != tt.nanos || l.Raw != tt.line[len(tt.stamp)+1:] {
			t.Errorf("%q: time %v raw %q", tt.line, l.KubeletTime, l.Raw)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"trace": LevelTrace, "DEBUG": LevelDebug, "info": LevelInfo, "warn": LevelWarn,
		"Warning": LevelWarn, "error": LevelError, "fatal": LevelFatal, "panic": LevelPanic, " warn ": LevelWarn} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "warnings", "err", "5"} {
		if _, err := ParseLevel(in); err == nil {
			t.Errorf("ParseLevel(%q) accepted", in)
		}
	}
	if !(LevelTrace < LevelDebug && LevelDebug < LevelInfo && LevelInfo < LevelWarn && LevelWarn < LevelError && LevelError < LevelFatal && LevelFatal < LevelPanic) {
		t.Error("levels out of order")
	}
	if LevelWarn.String() != "warning" {
		t.Errorf("LevelWarn prints as %q, logrus writes warning", LevelWarn)
	}
}

// Every generated line parses, and its fields read back as written.
func TestGenerateLinesParse(t *testing.T) {
	var a, b bytes.Buffer
	if err := GenerateLines(&a, 3000, 7); err != nil {
		t.Fatal(err)
	}
	if err := GenerateLines(&b, 3000, 7); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same seed gave different lines")
	}
	levels := map[Level]int{}
	statuses := map[string]int{}
	users := map[string]int{}
	n := 0
	for line := range bytes.Lines(a.Bytes()) {
		n++
		e := ParseEntry(bytes.TrimSuffix(line, []byte("\n")))
		if !e.Parsed || e.Level == LevelUnknown || e.Time == "" {
			t.Fatalf("generated line does not parse: %s", line)
		}
		levels[e.Level]++
		if s, ok := e.Field(FieldStatus); ok {
			statuses[s[:1]]++
		}
		if u, ok := e.Field(FieldUser); ok {
			users[u]++
		}
	}
	if n != 3000 {
		t.Fatalf("%d lines, want 3000", n)
	}
	for _, l := range []Level{LevelDebug, LevelInfo, LevelWarn, LevelError} {
		if levels[l] == 0 {
			t.Errorf("no %v lines in the mix: %v", l, levels)
		}
	}
	if statuses["2"] == 0 || statuses["4"] == 0 || statuses["5"] == 0 || len(users) < 5 {
		t.Errorf("mix too narrow: statuses %v users %v", statuses, users)
	}
	var c bytes.Buffer
	if err := GenerateCRILines(&c, 10, 7); err != nil {
		t.Fatal(err)
	}
	for line := range bytes.Lines(c.Bytes()) {
		stamp, rest, _ := bytes.Cut(line, []byte(" stdout F "))
		if _, err := time.Parse(time.RFC3339Nano, string(stamp)); err != nil || !bytes.HasPrefix(rest, []byte(`time="`)) {
			t.Fatalf("not a CRI line: %q", line)
		}
	}
}
