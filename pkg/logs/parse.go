package logs

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Format says which logrus formatter wrote a parsed line.
type Format uint8

// Formats a line can be parsed from.
const (
	FormatNone Format = iota // not parsed
	FormatText               // logrus TextFormatter: time="..." level=info msg="..." k=v ...
	FormatJSON               // logrus JSONFormatter: {"level":"info","msg":"...",...}
)

// Field is one key and its value, unquoted. Values that were JSON numbers,
// booleans, objects or arrays keep their JSON text.
type Field struct {
	Key, Value string
}

// Entry is one registry log line, without the kubelet timestamp.
type Entry struct {
	// Raw is the line as the container wrote it, without its newline.
	Raw string
	// Parsed is false when Raw is not a logrus line; then only Raw is set.
	Parsed bool
	Format Format
	// Time, LevelText and Msg are the values of time, level and msg as
	// written; Level is LevelText understood.
	Time      string
	LevelText string
	Level     Level
	Msg       string
	// Fields are the other keys in the order the line has them (logrus sorts
	// them).
	Fields []Field
}

// Line is an Entry with where it came from and the kubelet's timestamp.
type Line struct {
	Pod, Container string
	// Stamp is the kubelet timestamp text as read (RFC 3339 with
	// nanoseconds) and KubeletTime its value; both are zero when the line
	// had none.
	Stamp       string
	KubeletTime time.Time
	Entry
}

// Field returns the value of key and whether the line has it.
func (e *Entry) Field(key string) (string, bool) {
	for i := range e.Fields {
		if e.Fields[i].Key == key {
			return e.Fields[i].Value, true
		}
	}
	return "", false
}

// ParseEntry parses one line as the registry wrote it. A line that is not a
// logrus text or JSON line comes back with Parsed false and Raw set.
func ParseEntry(line []byte) Entry {
	var e Entry
	e.parse(string(line))
	return e
}

// ParseLine parses one line as the pod log API returns it with
// timestamps=true: an RFC 3339 timestamp, a space, then the container's
// line. Without a leading timestamp the whole line is the container's.
func ParseLine(line []byte) Line {
	var l Line
	l.parse(line)
	return l
}

// parse reuses l's field storage, which is why the engine keeps one Line
// per stream. One string conversion per line: every value that needs no
// unquoting is a substring of it.
func (l *Line) parse(b []byte) { l.parseString(string(b)) }

// parseView parses b without copying it: l's strings then point into b,
// so l is valid only while b is. The engine parses, filters and prints
// each line before its reader reuses the buffer, and most lines are
// dropped by the filter: a copy per line was most of its allocations and
// so of its garbage-collection work.
func (l *Line) parseView(b []byte) { l.parseString(view(b)) }

// parseBody is parseView for a line without a kubelet timestamp.
func (l *Line) parseBody(b []byte) {
	l.Stamp, l.KubeletTime = "", time.Time{}
	l.Entry.parse(view(b))
}

// view is b as a string without a copy: valid only while b is unchanged.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func (l *Line) parseString(s string) {
	// splitStamp only reads: a byte view of s, not a copy.
	n, ts, ok := splitStamp(unsafe.Slice(unsafe.StringData(s), len(s)))
	if ok {
		l.Stamp, l.KubeletTime = s[:n], ts
		s = s[n+1:]
	} else {
		l.Stamp, l.KubeletTime = "", time.Time{}
	}
	l.Entry.parse(s)
}

// splitStamp finds a kubelet timestamp at the start of b and returns its
// length (the separating space is at b[n]).
func splitStamp(b []byte) (n int, ts time.Time, ok bool) {
	// The shortest RFC 3339 UTC stamp is 20 bytes, the longest with
	// nanoseconds and an offset 35; checking the shape first keeps
	// time.Parse off lines that cannot be stamps.
	if len(b) < 21 || b[4] != '-' || b[10] != 'T' {
		return 0, time.Time{}, false
	}
	end := min(len(b), 36)
	n = bytes.IndexByte(b[19:end], ' ')
	if n < 0 {
		return 0, time.Time{}, false
	}
	n += 19
	ts, err := time.Parse(time.RFC3339Nano, string(b[:n]))
	if err != nil {
		return 0, time.Time{}, false
	}
	return n, ts, true
}

func (e *Entry) parse(s string) {
	fields := e.Fields[:0]
	*e = Entry{Raw: s, Fields: fields}
	body := strings.TrimSuffix(s, "\r")
	i := 0
	for i < len(body) && body[i] == ' ' {
		i++
	}
	var ok bool
	if i < len(body) && body[i] == '{' {
		ok = e.parseJSON(body[i:])
		e.Format = FormatJSON
	} else {
		ok = e.parseText(body)
		e.Format = FormatText
	}
	if !ok {
		*e = Entry{Raw: s, Fields: fields[:0]}
		return
	}
	e.Parsed = true
	e.Level = levelOf(e.LevelText)
}

// parseText reads logrus's text format by hand rather than with
// github.com/go-logfmt/logfmt, for two reasons measured and tested in
// parse_test.go and bench_test.go:
//   - logrus quotes with Go's %q, and go-logfmt unquotes JSON-style: a value
//     holding a control byte (\x01), \a, \v or invalid UTF-8 (\xff) makes
//     go-logfmt reject the whole line, while strconv.Unquote reads it back;
//   - go-logfmt reads through a bufio.Scanner and copies every key and value,
//     while here values without escapes are substrings of the line. On an
//     800-byte registry request line (BenchmarkParseRequestLine*, 2 shared
//     cores, medians of 5) this took 0.9µs and 1 allocation, go-logfmt 4.2µs
//     with a Decoder per line (which pass-through needs) and 2.3µs with one
//     reused Decoder, 40 allocations either way. Parsing is most of the CPU
//     `logs` spends per line, so the difference matters.
//
// The grammar is strict where logrus is: key=value pairs separated by
// spaces, a key without '=' makes the line unparsed. A line needs a level or
// a msg key to count as a logrus line.
func (e *Entry) parseText(s string) bool {
	seen := false
	i, n := 0, len(s)
	for {
		for i < n && s[i] == ' ' {
			i++
		}
		if i >= n {
			break
		}
		// strings.IndexByte is vectorised; scanning byte by byte in Go was
		// half the cost of a registry line.
		k := strings.IndexByte(s[i:], '=')
		if k <= 0 {
			return false
		}
		key := s[i : i+k]
		if strings.IndexByte(key, ' ') >= 0 || strings.IndexByte(key, '"') >= 0 {
			return false
		}
		i += k + 1
		var val string
		if i < n && s[i] == '"' {
			vs := i
			q := strings.IndexByte(s[i+1:], '"')
			if q < 0 {
				return false
			}
			end := i + 1 + q
			if strings.IndexByte(s[vs:end], '\\') < 0 {
				val = s[vs+1 : end]
				i = end + 1
			} else {
				// An escape: the closing quote is the first one not escaped.
				j := vs + 1
				for j < n && s[j] != '"' {
					if s[j] == '\\' {
						j++
					}
					j++
				}
				if j >= n {
					return false
				}
				i = j + 1
				v, err := strconv.Unquote(s[vs:i])
				if err != nil {
					return false
				}
				val = v
			}
		} else {
			sp := strings.IndexByte(s[i:], ' ')
			if sp < 0 {
				sp = n - i
			}
			val = s[i : i+sp]
			i += sp
		}
		if i < n && s[i] != ' ' {
			return false
		}
		seen = e.set(key, val) || seen
	}
	return seen
}

// set stores one key of a logrus line: time, level and msg in their
// fields, every other key in Fields. It reports whether the key makes the
// line a logrus line (a level or a msg).
func (e *Entry) set(key, val string) bool {
	switch key {
	case "time":
		e.Time = val
	case "level":
		e.LevelText = val
		return true
	case "msg":
		e.Msg = val
		return true
	default:
		e.Fields = append(e.Fields, Field{key, val})
	}
	return false
}

// parseJSON reads one logrus JSON object, keeping its key order. The
// registry only writes JSON when its formatter is changed, so this favours
// exactness over speed.
func (e *Entry) parseJSON(s string) bool {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	seen := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		key, ok := t.(string)
		if !ok {
			return false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return false
		}
		val, ok := jsonText(raw)
		if !ok {
			return false
		}
		seen = e.set(key, val) || seen
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return false
	}
	// Anything after the object (a second object, text) means the line is
	// not one logrus entry.
	if _, err := dec.Token(); err != io.EOF {
		return false
	}
	return seen
}

// jsonText turns a JSON value into the string a field holds: strings
// unquoted, null empty, anything else its compact JSON text.
func jsonText(raw json.RawMessage) (string, bool) {
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case 'n':
		return "", true
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return "", false
		}
		return b.String(), true
	}
	return string(raw), true
}
