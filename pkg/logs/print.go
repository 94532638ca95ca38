package logs

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// OutputFormat is how lines are written: "raw" or "json".
type OutputFormat string

// Output formats.
const (
	OutputRaw  OutputFormat = "raw"
	OutputJSON OutputFormat = "json"
)

// ParseOutputFormat checks -o; empty means raw.
func ParseOutputFormat(s string) (OutputFormat, error) {
	switch OutputFormat(s) {
	case "", OutputRaw:
		return OutputRaw, nil
	case OutputJSON:
		return OutputJSON, nil
	}
	return "", fmt.Errorf("invalid --output %q: want raw or json", s)
}

// PrintOptions shape raw output; JSON output ignores them, since it always
// carries the pod, the container and both timestamps.
type PrintOptions struct {
	Format OutputFormat
	// Prefix writes "[pod] " before each line, or "[pod/container] " with
	// PrefixContainer (for --all-containers).
	Prefix          bool
	PrefixContainer bool
	// Color colours the prefix, one colour per pod in the order pods are
	// first seen, so that the first few pods never share one. Deciding it
	// (--color, NO_COLOR, a terminal) is the caller's job.
	Color bool
	// Timestamps writes the kubelet timestamp, as read, before each line.
	Timestamps bool
}

// Printer writes lines to one writer. It is safe for concurrent use: a
// mutex keeps each line whole, and a bufio.Writer keeps the syscall count
// down. Streams flush it whenever they have no more input buffered, so a
// followed line is never held back waiting for the next one.
type Printer struct {
	mu     sync.Mutex
	w      *bufio.Writer
	o      PrintOptions
	buf    []byte
	colors map[string]string
	carry  []byte // the start of a UTF-8 sequence split between chunks of a long line
	err    error  // the first write error: every later call returns it
}

// NewPrinter returns a Printer writing to w.
func NewPrinter(w io.Writer, o PrintOptions) *Printer {
	if o.Format == "" {
		o.Format = OutputRaw
	}
	return &Printer{w: bufio.NewWriterSize(w, 64<<10), o: o, colors: map[string]string{}}
}

// palette avoids red, which reads as an error, and black and white, which
// vanish on one terminal background or the other.
var palette = []string{"36", "32", "35", "33", "34", "96", "92", "95", "93", "94"}

// Stamps reports whether the kubelet timestamps are printed.
func (p *Printer) Stamps() bool { return p != nil && p.o.Timestamps }

// Print writes one line.
func (p *Printer) Print(l *Line) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.o.Format == OutputJSON {
		p.buf = appendJSONLine(p.buf[:0], l)
	} else {
		p.buf = p.appendRawHead(p.buf[:0], l)
		p.buf = append(p.buf, l.Raw...)
		p.buf = append(p.buf, '\n')
	}
	return p.write(p.buf)
}

// Flush writes out what is buffered.
func (p *Printer) Flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if err := p.w.Flush(); err != nil {
		p.err = fmt.Errorf("writing output: %w", err)
	}
	return p.err
}

func (p *Printer) write(b []byte) error {
	if _, err := p.w.Write(b); err != nil {
		p.err = fmt.Errorf("writing output: %w", err)
	}
	return p.err
}

func (p *Printer) appendRawHead(b []byte, l *Line) []byte {
	if p.o.Prefix {
		color := ""
		if p.o.Color {
			color = p.colorOf(l.Pod)
			b = append(b, "\x1b["...)
			b = append(b, color...)
			b = append(b, 'm')
		}
		b = append(b, '[')
		b = append(b, l.Pod...)
		if p.o.PrefixContainer {
			b = append(b, '/')
			b = append(b, l.Container...)
		}
		b = append(b, ']')
		if p.o.Color {
			b = append(b, "\x1b[0m"...)
		}
		b = append(b, ' ')
	}
	if p.o.Timestamps && l.Stamp != "" {
		b = append(b, l.Stamp...)
		b = append(b, ' ')
	}
	return b
}

func (p *Printer) colorOf(pod string) string {
	c, ok := p.colors[pod]
	if !ok {
		c = palette[len(p.colors)%len(palette)]
		p.colors[pod] = c
	}
	return c
}

// A line too long to hold whole is written in parts while the lock is held,
// so other pods wait for it rather than cut into it. beginLong takes the
// lock; endLong must follow, and releases it.
func (p *Printer) beginLong(l *Line, first []byte) error {
	p.mu.Lock()
	if p.err != nil {
		return p.err
	}
	if p.o.Format == OutputJSON {
		p.buf = appendJSONHead(p.buf[:0], l)
		p.buf = append(p.buf, `"msg":"`...)
		p.carry = p.carry[:0]
	} else {
		p.buf = p.appendRawHead(p.buf[:0], l)
	}
	if err := p.write(p.buf); err != nil {
		return err
	}
	return p.writeLong(first)
}

func (p *Printer) writeLong(chunk []byte) error {
	if p.err != nil {
		return p.err
	}
	if p.o.Format != OutputJSON {
		return p.write(chunk)
	}
	s := string(append(p.carry, chunk...))
	var n int
	p.buf, n = appendJSONEscaped(p.buf[:0], s, false)
	p.carry = append(p.carry[:0], s[n:]...)
	return p.write(p.buf)
}

func (p *Printer) endLong() error {
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.o.Format != OutputJSON {
		return p.write([]byte{'\n'})
	}
	p.buf, _ = appendJSONEscaped(p.buf[:0], string(p.carry), true)
	p.buf = append(p.buf, `","parsed":"false"}`+"\n"...)
	return p.write(p.buf)
}

// The keys every JSON line starts with. A field of the same name is written
// as "fields.<name>", as logrus's own JSON formatter does on a clash.
var reservedKeys = map[string]bool{"pod": true, "container": true, "kubelet_time": true, "time": true, "level": true, "msg": true, "parsed": true}

func appendJSONHead(b []byte, l *Line) []byte {
	b = append(b, `{"pod":`...)
	b = appendJSONString(b, l.Pod)
	b = append(b, `,"container":`...)
	b = appendJSONString(b, l.Container)
	if l.Stamp != "" {
		b = append(b, `,"kubelet_time":`...)
		b = appendJSONString(b, l.Stamp)
	}
	b = append(b, `,"time":`...)
	b = appendJSONString(b, l.Time)
	b = append(b, `,"level":`...)
	b = appendJSONString(b, l.LevelText)
	return append(b, ',')
}

func appendJSONLine(b []byte, l *Line) []byte {
	b = appendJSONHead(b, l)
	b = append(b, `"msg":`...)
	if !l.Parsed {
		b = appendJSONString(b, l.Raw)
		return append(b, `,"parsed":"false"}`+"\n"...)
	}
	b = appendJSONString(b, l.Msg)
	for _, f := range l.Fields {
		b = append(b, ',')
		if reservedKeys[f.Key] {
			b = appendJSONString(b, "fields."+f.Key)
		} else {
			b = appendJSONString(b, f.Key)
		}
		b = append(b, ':')
		b = appendJSONString(b, f.Value)
	}
	return append(b, "}\n"...)
}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b, _ = appendJSONEscaped(b, s, true)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONEscaped escapes s as encoding/json does, without its HTML
// escaping: invalid UTF-8 becomes U+FFFD. Unless final, an incomplete UTF-8
// sequence at the end is left unwritten, and n says how much of s was
// consumed, so that a long line can be escaped chunk by chunk.
func appendJSONEscaped(b []byte, s string, final bool) (_ []byte, n int) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			if !final && !utf8.FullRuneInString(s[i:]) {
				b = append(b, s[start:i]...)
				return b, i
			}
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but end lines in JavaScript;
		// encoding/json escapes them, and so do we.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return b, len(s)
}
