package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/oc-registry/oc-registry/pkg/registry"
	"golang.org/x/sync/errgroup"
)

// Path is where the registry serves its metrics.
const Path = "/extensions/v2/metrics"

// Endpoint is one place to scrape: a registry pod through its
// port-forward, or the route host (one replica's view).
type Endpoint struct {
	Pod    string // the pod's name; "" through the route
	Client *registry.Client
}

// ErrDenied is a 401 from the metrics endpoint. OpenShift answers both a
// token that does not authenticate and one without get registry/metrics
// with `Basic realm=openshift,error="access denied"` (auth.go wrapErr),
// so the caller tells them apart by asking the API server.
var ErrDenied = errors.New("the registry refused the metrics request (HTTP 401)")

// ErrNotServed is a 404: the host serves no /extensions/v2/metrics.
var ErrNotServed = errors.New("no metrics endpoint here (HTTP 404)")

// ScrapeError names the pod or host a scrape failed on.
type ScrapeError struct {
	Where string
	Err   error
}

func (e *ScrapeError) Error() string { return fmt.Sprintf("scraping %s: %v", e.Where, e.Err) }
func (e *ScrapeError) Unwrap() error { return e.Err }

// Scrape reads every endpoint at once and parses each exposition with f.
// The first failure cancels the others.
func Scrape(ctx context.Context, eps []Endpoint, f *Filter) ([]*Snapshot, error) {
	out := make([]*Snapshot, len(eps))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, ep := range eps {
		g.Go(func() error {
			s, err := scrapeOne(ctx, ep, f)
			if err != nil {
				where := ep.Client.Host()
				if ep.Pod != "" {
					where = "pod " + ep.Pod
				}
				return &ScrapeError{Where: where, Err: err}
			}
			out[i] = s
			return nil
		})
	}
	return out, g.Wait()
}

func scrapeOne(ctx context.Context, ep Endpoint, f *Filter) (*Snapshot, error) {
	resp, err := ep.Client.Get(ctx, Path, http.Header{"Accept": {AcceptHeader}})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, ErrDenied
	case http.StatusNotFound:
		return nil, ErrNotServed
	default:
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	body := newReadAhead(resp.Body, 64<<10, 4)
	defer body.stop()
	return Parse(body, ParseOptions{ContentType: resp.Header.Get("Content-Type"), Pod: ep.Pod, Filter: f})
}

// readAhead reads a response body in a goroutine, a few chunks ahead of its
// reader: receiving and decrypting the next part of an exposition then
// overlaps parsing the last, and with megabytes of it the two take about
// as long. It holds at most chunks+1 buffers of size bytes, allocated as
// needed.
type readAhead struct {
	body   io.ReadCloser
	size   int
	bufs   int // buffers left to allocate
	chunks chan chunk
	free   chan []byte
	done   chan struct{}
	exited chan struct{}
	cur    []byte // what is left of the chunk being read
	buf    []byte // its buffer, to give back
	err    error
}

type chunk struct {
	b   []byte
	err error
}

func newReadAhead(body io.ReadCloser, size, chunks int) *readAhead {
	ra := &readAhead{body: body, size: size, bufs: chunks + 1, chunks: make(chan chunk, chunks), free: make(chan []byte, chunks+1),
		done: make(chan struct{}), exited: make(chan struct{})}
	go ra.fill()
	return ra
}

func (ra *readAhead) fill() {
	defer close(ra.exited)
	for {
		var b []byte
		select {
		case b = <-ra.free:
		default:
			if ra.bufs > 0 {
				ra.bufs--
				b = make([]byte, ra.size)
				break
			}
			select {
			case b = <-ra.free:
			case <-ra.done:
				return
			}
		}
		n := 0
		var err error
		for n < len(b) && err == nil {
			var m int
			m, err = ra.body.Read(b[n:])
			n += m
		}
		select {
		case ra.chunks <- chunk{b[:n], err}:
		case <-ra.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.err != nil {
			return 0, ra.err
		}
		if ra.buf != nil {
			ra.free <- ra.buf // never blocks: there are as many places as buffers
			ra.buf = nil
		}
		c := <-ra.chunks
		ra.buf, ra.cur, ra.err = c.b[:cap(c.b)], c.b, c.err
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// stop ends the goroutine, closing the body to interrupt a read.
func (ra *readAhead) stop() {
	close(ra.done)
	ra.body.Close()
	<-ra.exited
}
