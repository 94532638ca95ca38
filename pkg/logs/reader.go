package logs

import (
	"bufio"
	"errors"
	"io"
)

// DefaultMaxLineBytes is how long a line may be and still be handled whole.
// Longer lines are passed through in parts (see Options.MaxLineBytes).
const DefaultMaxLineBytes = 2 << 20

// readBufferSize is the bufio.Reader size per stream: large enough that a
// registry line (a few hundred bytes, a few KiB with err.detail) is almost
// always a zero-copy slice of it.
const readBufferSize = 64 << 10

type lineKind uint8

const (
	lineWhole   lineKind = iota // a complete line, newline removed
	lineLong                    // the first max bytes of a longer line: call more until done
	linePartial                 // the stream ended before a newline; err says how
)

// lineReader splits a stream into lines with bounded memory: a line is held
// whole only up to max bytes.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
}

func newLineReader(max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(nil, readBufferSize), max: max}
}

func (r *lineReader) reset(rd io.Reader) {
	r.br.Reset(rd)
	// A long line grew buf; let it go rather than keep it per stream.
	if cap(r.buf) > 4*readBufferSize {
		r.buf = nil
	}
}

// buffered reports whether a next line may be ready without blocking.
func (r *lineReader) buffered() bool { return r.br.Buffered() > 0 }

// next returns the next line. The slice is valid until the next call.
// err is non-nil only with linePartial (io.EOF for a clean end).
func (r *lineReader) next() ([]byte, lineKind, error) {
	r.buf = r.buf[:0]
	for {
		frag, err := r.br.ReadSlice('\n')
		switch {
		case err == nil:
			frag = frag[:len(frag)-1]
			if len(r.buf) == 0 {
				return frag, lineWhole, nil
			}
			r.buf = append(r.buf, frag...)
			return r.buf, lineWhole, nil
		case errors.Is(err, bufio.ErrBufferFull):
			r.buf = append(r.buf, frag...)
			if len(r.buf) >= r.max {
				return r.buf, lineLong, nil
			}
		default:
			r.buf = append(r.buf, frag...)
			return r.buf, linePartial, err
		}
	}
}

// more returns the next part of a long line; done is true with its last
// part. A non-nil err (io.EOF included) also ends the line.
func (r *lineReader) more() (chunk []byte, done bool, err error) {
	frag, err := r.br.ReadSlice('\n')
	switch {
	case err == nil:
		return frag[:len(frag)-1], true, nil
	case errors.Is(err, bufio.ErrBufferFull):
		return frag, false, nil
	default:
		return frag, true, err
	}
}
