package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
)

// DefaultMaxLogRequests is kubectl's default for --max-log-requests.
const DefaultMaxLogRequests = 10

// Options configure a Streamer. Source and Printer are required.
type Options struct {
	Source  Source
	Printer *Printer
	// Filter selects the lines printed; nil prints all.
	Filter *Filter
	// Notes receives one line per event a reader should know of: a pod
	// appearing or going, a restart, a stream failing. Usually stderr; nil
	// discards them.
	Notes io.Writer

	// Follow keeps streams open and reopens them (see Streamer.Run).
	Follow bool
	// The first request of each stream; see LogRequest.
	SinceTime    *time.Time
	SinceSeconds *int64
	TailLines    *int64

	// MaxLogRequests bounds the streams open at once (default 10). Following
	// more is an error; reading once more than that many reads them in turn.
	MaxLogRequests int
	// MaxLineBytes is the longest line handled whole (default
	// DefaultMaxLineBytes). Longer lines are passed through unparsed, in
	// parts, so a stream never holds more than about this much.
	MaxLineBytes int
	// Backoff spaces reconnects and status polls. The zero value means
	// 250ms doubling to 5s, with jitter. It restarts after each stream that
	// delivered lines.
	Backoff wait.Backoff
	// Fatal says which errors end the whole run instead of being retried
	// while following. Default: Forbidden and Unauthorized, which no retry
	// mends.
	Fatal func(error) bool
	// RemoveGrace is how long a pod dropped from the tracked set may still
	// deliver its last lines (default 2s): a deleted pod's stream ends by
	// itself when its container stops, one that only stopped matching is
	// cut after this.
	RemoveGrace time.Duration
}

// Streamer reads, filters and prints the logs of many containers at once,
// merged line by line in order of arrival; each container's lines keep their
// order.
type Streamer struct {
	o       Options
	notesMu sync.Mutex
}

// NewStreamer checks o and fills in defaults.
func NewStreamer(o Options) (*Streamer, error) {
	if o.Source == nil || o.Printer == nil {
		return nil, errors.New("logs: Options.Source and Options.Printer are required")
	}
	if o.MaxLogRequests <= 0 {
		o.MaxLogRequests = DefaultMaxLogRequests
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.Backoff.Duration <= 0 {
		o.Backoff = wait.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: math.MaxInt32, Cap: 5 * time.Second}
	}
	if o.Fatal == nil {
		o.Fatal = func(err error) bool { return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) }
	}
	if o.RemoveGrace <= 0 {
		o.RemoveGrace = 2 * time.Second
	}
	if o.Notes == nil {
		o.Notes = io.Discard
	}
	return &Streamer{o: o}, nil
}

// TooManyStreamsError is returned when following would open more streams
// than Options.MaxLogRequests.
type TooManyStreamsError struct {
	Streams, Pods, Max int
}

func (e *TooManyStreamsError) Error() string {
	what := fmt.Sprintf("%d pods", e.Pods)
	if e.Streams != e.Pods {
		what = fmt.Sprintf("%d log streams (%d pods)", e.Streams, e.Pods)
	}
	return fmt.Sprintf("%s, above --max-log-requests=%d; raise it or narrow with -l", what, e.Max)
}

func (s *Streamer) checkLimit(targets []Target) error {
	if len(targets) <= s.o.MaxLogRequests {
		return nil
	}
	pods := map[string]bool{}
	for _, t := range targets {
		pods[t.Namespace+"/"+t.Pod] = true
	}
	return &TooManyStreamsError{Streams: len(targets), Pods: len(pods), Max: s.o.MaxLogRequests}
}

// Run reads the logs of a fixed set of containers and returns when all
// are read or, with Follow, when every pod is gone or every container is
// done. With Follow, any end of a stream of a running container (clean or
// not) reopens it where it stopped, without losing or repeating a line; a
// restarted container is followed from its start; a deleted pod is given up
// with a note. Cancelling ctx ends Run with a nil error.
func (s *Streamer) Run(ctx context.Context, targets []Target) error {
	if s.o.Follow {
		if err := s.checkLimit(targets); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.o.MaxLogRequests)
	for _, t := range targets {
		tl := s.newTail(t, s.firstRequest())
		g.Go(func() error { return tl.run(gctx) })
	}
	return s.finish(ctx, g.Wait())
}

// Track follows a changing set of containers. Each value received is the
// whole set that should be followed now: the command sends one from a pod
// watch or a periodic list. The first set is read with the first-request
// options (since, tail) and may not exceed MaxLogRequests; containers that
// appear later are read from their start (or SinceTime), and those above
// the limit wait, with a note, until others end. A container that leaves the
// set is given RemoveGrace to deliver its last lines, then stopped. Each
// appearance and departure is noted. Track returns when ctx ends (nil), on
// a fatal error, or once sets is closed and every stream has ended. After a
// fatal error nothing receives from sets any more: the sender should select
// on a context that the caller cancels once Track returns.
func (s *Streamer) Track(ctx context.Context, sets <-chan []Target) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.o.MaxLogRequests)
	tr := &tracker{s: s, g: g, ctx: gctx, tails: map[Target]*tracked{}, deferred: map[Target]bool{}, wake: make(chan struct{}, 1)}
	var current []Target
	first := true
loop:
	for {
		select {
		case <-gctx.Done():
			break loop
		case set, ok := <-sets:
			if !ok {
				break loop
			}
			if first {
				if err := s.checkLimit(set); err != nil {
					_ = g.Wait() // nothing started; this releases gctx
					return err
				}
			}
			current = set
			tr.apply(set, first)
			first = false
		case <-tr.wake:
			if !first {
				tr.apply(current, false)
			}
		}
	}
	return s.finish(ctx, g.Wait())
}

func (s *Streamer) finish(ctx context.Context, err error) error {
	ferr := s.o.Printer.Flush()
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	return ferr
}

func (s *Streamer) firstRequest() LogRequest {
	return LogRequest{Follow: s.o.Follow, Timestamps: s.o.Follow || s.o.Printer.Stamps(), SinceTime: s.o.SinceTime, SinceSeconds: s.o.SinceSeconds, TailLines: s.o.TailLines}
}

// notef writes one note. Output is flushed first so that a note lands after
// the lines it follows.
func (s *Streamer) notef(format string, a ...any) {
	_ = s.o.Printer.Flush()
	s.notesMu.Lock()
	defer s.notesMu.Unlock()
	fmt.Fprintf(s.o.Notes, format+"\n", a...)
}

type tracker struct {
	s        *Streamer
	g        *errgroup.Group
	ctx      context.Context
	mu       sync.Mutex
	tails    map[Target]*tracked
	deferred map[Target]bool
	wake     chan struct{}
}

type tracked struct {
	cancel  context.CancelFunc
	removed *atomic.Bool
	ended   bool
	timer   *time.Timer
}

func (tr *tracker) apply(set []Target, first bool) {
	s := tr.s
	want := make(map[Target]bool, len(set))
	for _, t := range set {
		want[t] = true
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for t, h := range tr.tails {
		if want[t] {
			continue
		}
		delete(tr.tails, t)
		if !h.ended {
			h.removed.Store(true)
			h.timer = time.AfterFunc(s.o.RemoveGrace, h.cancel)
			s.notef("%s no longer matches (deleted or relabelled); stopped following it", t)
		}
	}
	for t := range tr.deferred {
		if !want[t] {
			delete(tr.deferred, t)
		}
	}
	for _, t := range set {
		if _, ok := tr.tails[t]; ok {
			continue
		}
		req := s.firstRequest()
		if !first {
			// It appeared after we started: everything it wrote is new.
			req = LogRequest{SinceTime: s.o.SinceTime}
		}
		req.Follow, req.Timestamps = true, true
		tl := s.newTail(t, req)
		ctx, cancel := context.WithCancel(tr.ctx)
		h := &tracked{cancel: cancel, removed: tl.removed}
		started := tr.g.TryGo(func() error {
			defer cancel()
			err := tl.run(ctx)
			tr.mu.Lock()
			h.ended = true
			if h.timer != nil {
				h.timer.Stop()
			}
			tr.mu.Unlock()
			select {
			case tr.wake <- struct{}{}:
			default:
			}
			return err
		})
		if !started {
			cancel()
			if !tr.deferred[t] {
				tr.deferred[t] = true
				s.notef("not following %s yet: %d log streams wanted, above --max-log-requests=%d; raise it or narrow with -l", t, len(set), s.o.MaxLogRequests)
			}
			continue
		}
		tr.tails[t] = h
		switch {
		case tr.deferred[t]:
			delete(tr.deferred, t)
			s.notef("following %s now", t)
		case !first:
			s.notef("%s appeared; following it", t)
		}
	}
}
