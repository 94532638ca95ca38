package metrics

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

func TestReadAhead(t *testing.T) {
	var data bytes.Buffer
	if err := GenerateExposition(&data, 3000); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 7, 4096, 1 << 20} {
		// Short reads, data and EOF together, a failing body.
		body := &closeCounter{Reader: iotest.HalfReader(iotest.DataErrReader(bytes.NewReader(data.Bytes())))}
		ra := newReadAhead(body, size, 2)
		got, err := io.ReadAll(iotest.OneByteReader(ra))
		if err != nil || !bytes.Equal(got, data.Bytes()) {
			t.Errorf("size %d: read %d bytes of %d, %v", size, len(got), data.Len(), err)
		}
		ra.stop()
		if body.closed != 1 {
			t.Errorf("size %d: body closed %d times", size, body.closed)
		}
		boom := errors.New("boom")
		ra = newReadAhead(&closeCounter{Reader: io.MultiReader(strings.NewReader("a 1\n"), iotest.ErrReader(boom))}, size, 2)
		got, err = io.ReadAll(ra)
		if string(got) != "a 1\n" || !errors.Is(err, boom) {
			t.Errorf("size %d: read %q, %v; want the data, then the error", size, got, err)
		}
		ra.stop()
	}
}

// blockingBody blocks in Read until closed, as a stalled response does.
type blockingBody struct{ closed chan struct{} }

func (b *blockingBody) Read(p []byte) (int, error) {
	<-b.closed
	return 0, errors.New("closed")
}

func (b *blockingBody) Close() error { close(b.closed); return nil }

func TestReadAheadStop(t *testing.T) {
	// The parser gave up (an error) while the goroutine waits on the body,
	// or on its reader with every buffer full.
	ra := newReadAhead(&blockingBody{closed: make(chan struct{})}, 16, 2)
	ra.stop()
	ra = newReadAhead(&closeCounter{Reader: strings.NewReader(strings.Repeat("x", 1000))}, 16, 2)
	if _, err := ra.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	ra.stop()
}
