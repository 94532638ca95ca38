package logs

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestPrintRaw(t *testing.T) {
	line := []byte(`2026-01-01T10:00:00.100000000Z time="2026-01-01T10:00:00Z" level=info msg=hi`)
	l := ParseLine(line)
	l.Pod, l.Container = "image-registry-a", "registry"
	other := l
	other.Pod = "image-registry-b"
	tests := []struct {
		name string
		o    PrintOptions
		want string
	}{
		{"bare", PrintOptions{}, l.Raw + "\n" + l.Raw + "\n" + l.Raw + "\n"},
		{"timestamps", PrintOptions{Timestamps: true}, strings.Repeat(string(line)+"\n", 3)},
		{"prefix", PrintOptions{Prefix: true}, "[image-registry-a] " + l.Raw + "\n[image-registry-b] " + l.Raw + "\n[image-registry-a] " + l.Raw + "\n"},
		{"prefix container", PrintOptions{Prefix: true, PrefixContainer: true, Timestamps: true},
			"[image-registry-a/registry] " + string(line) + "\n[image-registry-b/registry] " + string(line) + "\n[image-registry-a/registry] " + string(line) + "\n"},
		{"colour per pod", PrintOptions{Prefix: true, Color: true},
			"\x1b[36m[image-registry-a]\x1b[0m " + l.Raw + "\n\x1b[32m[image-registry-b]\x1b[0m " + l.Raw + "\n\x1b[36m[image-registry-a]\x1b[0m " + l.Raw + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			p := NewPrinter(&b, tt.o)
			for _, x := range []*Line{&l, &other, &l} {
				if err := p.Print(x); err != nil {
					t.Fatal(err)
				}
			}
			if b.Len() != 0 {
				t.Error("printed before Flush: the output is not buffered")
			}
			if err := p.Flush(); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}

func TestPrintJSON(t *testing.T) {
	var lines []Line
	for _, b := range readLines(t, "local-registry-log.txt") {
		l := ParseLine(b)
		l.Pod, l.Container = "image-registry-a", "registry"
		lines = append(lines, l)
	}
	extra := []string{
		"2026-01-01T10:00:00Z this is not logrus \xff\x01 \u2028",
		`2026-01-01T10:00:00Z level=info msg=clash pod=spoof level2=x time2=y parsed=maybe`,
		`no stamp level=info`,
	}
	for _, s := range extra {
		l := ParseLine([]byte(s))
		l.Pod, l.Container = "p", "c"
		lines = append(lines, l)
	}
	var b bytes.Buffer
	p := NewPrinter(&b, PrintOptions{Format: OutputJSON, Prefix: true, Color: true, Timestamps: true})
	for i := range lines {
		if err := p.Print(&lines[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	out := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(out) != len(lines) {
		t.Fatalf("%d JSON lines for %d lines", len(out), len(lines))
	}
	for i, s := range out {
		var m map[string]string // every value must be a string
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, s)
		}
		l := &lines[i]
		if m["pod"] != l.Pod || m["container"] != l.Container || m["kubelet_time"] != l.Stamp || m["time"] != l.Time || m["level"] != l.LevelText {
			t.Errorf("line %d: head %v", i, m)
		}
		if !strings.HasPrefix(s, `{"pod":`) || strings.Contains(s, "\x1b") {
			t.Errorf("line %d: JSON not in the documented shape: %s", i, s)
		}
		if !l.Parsed {
			if m["parsed"] != "false" || m["msg"] != strings.ToValidUTF8(l.Raw, "\ufffd") {
				t.Errorf("line %d: unparsed line as %v", i, m)
			}
			continue
		}
		if _, ok := m["parsed"]; ok && l.Msg != "clash" {
			t.Errorf("line %d: parsed line carries parsed: %s", i, s)
		}
		if m["msg"] != strings.ToValidUTF8(l.Msg, "\ufffd") {
			t.Errorf("line %d: msg %q, want %q", i, m["msg"], l.Msg)
		}
		for _, f := range l.Fields {
			key := f.Key
			if reservedKeys[key] {
				key = "fields." + key
			}
			if m[key] != strings.ToValidUTF8(f.Value, "\ufffd") {
				t.Errorf("line %d: %s = %q, want %q", i, key, m[key], f.Value)
			}
		}
	}
	if !strings.Contains(out[3], `"http.response.status":"200"`) || !strings.Contains(out[3], `"openshift.auth.user":"alice"`) {
		t.Errorf("request line lacks its fields: %s", out[3])
	}
	clash := out[len(out)-2]
	if !strings.Contains(clash, `"pod":"p"`) || !strings.Contains(clash, `"fields.pod":"spoof"`) || !strings.Contains(clash, `"fields.parsed":"maybe"`) {
		t.Errorf("a field named like a fixed key must not replace it: %s", clash)
	}
	if strings.Contains(out[len(out)-1], "kubelet_time") {
		t.Errorf("kubelet_time written for a line without one: %s", out[len(out)-1])
	}
}

// Our JSON string escaping must read back as encoding/json reads it.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", "\"\\/", "\n\r\t\x00\x1f\x7f", "é😀", "\xff\xfe", "a\xe2\x82", "\u2028\u2029", "<>&"} {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: %s is not JSON: %v", s, b, err)
			continue
		}
		want, _ := json.Marshal(s)
		var w string
		_ = json.Unmarshal(want, &w)
		if got != w {
			t.Errorf("%q read back as %q; encoding/json gives %q", s, got, w)
		}
	}
}

// A long line is escaped in chunks; a UTF-8 sequence cut between two chunks
// must come out as the whole rune, not as two replacement characters.
func TestLongLineJSONChunks(t *testing.T) {
	content := strings.Repeat("é😀x\"", 1000) + "\xff"
	var whole bytes.Buffer
	p := NewPrinter(&whole, PrintOptions{Format: OutputJSON})
	l := &Line{Pod: "p", Container: "c"}
	for _, size := range []int{1, 2, 3, 5, 7, 64, 4096} {
		whole.Reset()
		data := []byte(content)
		if err := p.beginLong(l, data[:size]); err != nil {
			t.Fatal(err)
		}
		for rest := data[size:]; len(rest) > 0; {
			n := min(size, len(rest))
			if err := p.writeLong(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if err := p.endLong(); err != nil {
			t.Fatal(err)
		}
		if err := p.Flush(); err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(whole.Bytes(), &m); err != nil {
			t.Fatalf("chunk %d: %v", size, err)
		}
		if m["msg"] != strings.ToValidUTF8(content, "\ufffd") || m["parsed"] != "false" {
			t.Fatalf("chunk %d: msg differs from the line (len %d vs %d)", size, len(m["msg"]), len(content))
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestPrintWriteError(t *testing.T) {
	p := NewPrinter(failWriter{}, PrintOptions{})
	l := ParseLine([]byte("level=info msg=x"))
	_ = p.Print(&l)
	err := p.Flush()
	if err == nil || !strings.Contains(err.Error(), "writing output: broken pipe") {
		t.Fatalf("flush error %v", err)
	}
	if err := p.Print(&l); err == nil {
		t.Fatal("printing after a write error succeeds")
	}
}

func TestParseOutputFormat(t *testing.T) {
	for in, want := range map[string]OutputFormat{"": OutputRaw, "raw": OutputRaw, "json": OutputJSON} {
		if got, err := ParseOutputFormat(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseOutputFormat("yaml"); err == nil || err.Error() != `invalid --output "yaml": want raw or json` {
		t.Errorf("yaml: %v", err)
	}
}
