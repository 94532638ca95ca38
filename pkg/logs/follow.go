package logs

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Target names one container whose log is read.
type Target struct {
	Namespace, Pod, Container string
}

func (t Target) String() string {
	return fmt.Sprintf("pod %s container %s", t.Pod, t.Container)
}

// LogRequest asks a Source for one log stream. Its fields map one to one
// onto corev1.PodLogOptions. Timestamps is always set when following:
// resuming and dropping repeats both work on the kubelet timestamp, which
// is printed only if PrintOptions.Timestamps asks for it. A one-shot read
// asks for it only to print it: the kubelet spends about a quarter more
// time per line writing it (measured in bench/logs.sh's setting).
type LogRequest struct {
	Target
	Follow       bool
	Timestamps   bool
	Previous     bool
	SinceTime    *time.Time
	SinceSeconds *int64
	TailLines    *int64
}

// Source is what the engine needs from the cluster. The command implements
// it with client-go; tests with fakes.
type Source interface {
	// OpenLog opens one log stream (Pods(ns).GetLogs(pod, opts).Stream(ctx)).
	// The stream is closed when ctx ends, whether or not the Source does it.
	OpenLog(ctx context.Context, req LogRequest) (io.ReadCloser, error)
	// ContainerStatus reports the container's state now. A pod that no
	// longer exists is PodGone with a nil error, not an error.
	ContainerStatus(ctx context.Context, t Target) (ContainerStatus, error)
}

// ContainerStatus is the part of a pod's status that decides whether a
// stream that ended should be reopened.
type ContainerStatus struct {
	// PodGone: the pod was deleted (or replaced by another of the same name).
	PodGone bool
	// Running: the container runs now (state.running is set).
	Running bool
	// Finished: the container will not run again (pod phase Succeeded or
	// Failed). A container that is neither Running nor Finished is waiting
	// to start or restart, and is asked about again after a backoff.
	Finished bool
	// ContainerID changes when the container is restarted.
	ContainerID string
}

// tail reads one container's log: once, or, when following, for as long as
// the container may write, reconnecting after every end of stream.
type tail struct {
	s       *Streamer
	t       Target
	req     LogRequest // the first request
	removed *atomic.Bool
	lr      *lineReader
	line    Line

	// What has been read, to resume after it and drop what a resumed
	// stream repeats. Only lines of last's second are remembered: a resumed
	// stream starts at that second, because sinceTime has whole seconds.
	last        time.Time
	haveLast    bool
	replayUntil time.Time // while resuming, lines up to here may be repeats
	replaying   bool
	seen        map[seenKey]struct{}
	seed        maphash.Seed

	containerID string
	// pending is a last line the stream ended in the middle of. A resumed
	// stream sends it again whole, so it is printed only if none follows.
	pending []byte
	failing bool // a failure was noted and nothing has been read since
}

type seenKey struct {
	nanos int64
	sum   uint64
}

// outputError marks a failure to write the output, which ends everything,
// apart from failures to read, which a follower outlives.
type outputError struct{ err error }

func (e *outputError) Error() string { return e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

func (s *Streamer) newTail(t Target, req LogRequest) *tail {
	req.Target = t
	return &tail{
		s:       s,
		t:       t,
		req:     req,
		removed: new(atomic.Bool),
		lr:      newLineReader(s.o.MaxLineBytes),
		line:    Line{Pod: t.Pod, Container: t.Container},
		seen:    map[seenKey]struct{}{},
		seed:    maphash.MakeSeed(),
	}
}

// run returns nil when ctx ends: stopping is not a failure.
func (t *tail) run(ctx context.Context) error {
	o := &t.s.o
	if !t.req.Follow {
		_, err := t.stream(ctx, t.req)
		if ctx.Err() != nil {
			return nil
		}
		if ferr := t.flushPending(); ferr != nil {
			return ferr
		}
		var oe *outputError
		if errors.As(err, &oe) {
			return oe.err
		}
		if err != nil {
			return fmt.Errorf("reading logs of %s: %w", t.t, err)
		}
		return nil
	}

	// The container ID before the first stream tells a restart apart from
	// the container the stream came from.
	if st, err := o.Source.ContainerStatus(ctx, t.t); err == nil {
		t.containerID = st.ContainerID
	} else if ctx.Err() != nil {
		return nil
	} else if o.Fatal(err) {
		return fmt.Errorf("checking %s: %w", t.t, err)
	}

	req := t.req
	bo := o.Backoff
	for {
		n, err := t.stream(ctx, req)
		if ctx.Err() != nil {
			return nil
		}
		var oe *outputError
		if errors.As(err, &oe) {
			return oe.err
		}
		if err != nil && o.Fatal(err) {
			return fmt.Errorf("reading logs of %s: %w", t.t, err)
		}
		if t.removed.Load() {
			return t.flushPending()
		}
		if n > 0 {
			bo, t.failing = o.Backoff, false
		}
		next, ok, err := t.resume(ctx, &bo, err)
		if err != nil || !ok {
			return err
		}
		req = next
	}
}

// resume decides what follows the end of a stream: reconnecting where it
// stopped, following a restarted container from its start, or giving up on
// a pod that is gone or a container that is done. ok is false when
// following ends.
//
// streamErr is why the stream ended (nil for a clean end). It is noted only
// when reconnecting to a running container, once per run of failures: the
// end of a deleted pod's stream is no news, and kubelets end idle streams
// cleanly every few hours.
func (t *tail) resume(ctx context.Context, bo *wait.Backoff, streamErr error) (next LogRequest, ok bool, err error) {
	o := &t.s.o
	for {
		st, err := o.Source.ContainerStatus(ctx, t.t)
		switch {
		case ctx.Err() != nil:
			return next, false, nil
		case err != nil:
			if o.Fatal(err) {
				return next, false, fmt.Errorf("checking %s: %w", t.t, err)
			}
			if !t.failing {
				t.failing = true
				t.s.notef("checking %s: %v; retrying", t.t, err)
			}
		case st.PodGone:
			if err := t.flushPending(); err != nil {
				return next, false, err
			}
			if !t.removed.Load() {
				t.s.notef("pod %s was deleted; stopped following it", t.t.Pod)
			}
			return next, false, nil
		case st.ContainerID != "" && t.containerID != "" && st.ContainerID != t.containerID:
			// The old container's last words may have been written while
			// no stream was open: read them from its log first. What it
			// was cut in the middle of is final.
			t.pending = t.pending[:0]
			if err := t.catchUpPrevious(ctx); err != nil || ctx.Err() != nil {
				return next, false, err
			}
			t.containerID = st.ContainerID
			t.s.notef("container %s of pod %s restarted; following the new one from its start", t.t.Container, t.t.Pod)
			// Without sinceTime the new container's log is read from its
			// start; the remembered position still drops anything already
			// printed, should the stream before have been the new one.
			return LogRequest{Target: t.t, Follow: true}, true, nil
		case st.Running:
			if t.containerID == "" {
				t.containerID = st.ContainerID
			}
			if streamErr != nil && !t.failing {
				t.failing = true
				t.s.notef("logs of %s: %v; reconnecting", t.t, streamErr)
			}
			t.pending = t.pending[:0]
			if !sleepCtx(ctx, bo.Step()) {
				return next, false, nil
			}
			return t.resumeRequest(), true, nil
		case st.Finished:
			if err := t.flushPending(); err != nil {
				return next, false, err
			}
			t.s.notef("container %s of pod %s has exited; stopped following it", t.t.Container, t.t.Pod)
			return next, false, nil
		}
		// Waiting to start or to restart: ask again later.
		if !sleepCtx(ctx, bo.Step()) {
			return next, false, nil
		}
	}
}

// resumeRequest reopens at the second of the last line read: the API takes
// whole seconds, so that second is read again and its lines are dropped by
// isRepeat. With nothing read yet, the first request is asked again.
func (t *tail) resumeRequest() LogRequest {
	if !t.haveLast {
		return t.req
	}
	since := t.last.Truncate(time.Second)
	t.replaying, t.replayUntil = true, t.last
	return LogRequest{Target: t.t, Follow: true, SinceTime: &since}
}

func (t *tail) catchUpPrevious(ctx context.Context) error {
	req := LogRequest{Target: t.t, Previous: true, Timestamps: true}
	if t.haveLast {
		since := t.last.Truncate(time.Second)
		req.SinceTime = &since
		t.replaying, t.replayUntil = true, t.last
	} else {
		req.SinceTime, req.SinceSeconds, req.TailLines = t.req.SinceTime, t.req.SinceSeconds, t.req.TailLines
	}
	_, err := t.stream(ctx, req)
	if ctx.Err() != nil {
		return nil
	}
	if ferr := t.flushPending(); ferr != nil {
		return ferr
	}
	var oe *outputError
	if errors.As(err, &oe) {
		return oe.err
	}
	if err != nil {
		if t.s.o.Fatal(err) {
			return fmt.Errorf("reading logs of the previous container of %s: %w", t.t, err)
		}
		t.s.notef("could not read the end of the previous container of %s: %v", t.t, err)
	}
	return nil
}

// stream reads one stream to its end and returns how many lines it read.
// A clean end returns a nil error; output failures come as *outputError.
func (t *tail) stream(ctx context.Context, req LogRequest) (int, error) {
	rc, err := t.s.o.Source.OpenLog(ctx, req)
	if err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { rc.Close() })
	defer func() {
		stop()
		rc.Close()
	}()
	t.lr.reset(rc)
	t.pending = t.pending[:0]
	n := 0
	for {
		b, kind, rerr := t.lr.next()
		switch kind {
		case lineWhole:
			n++
			if err := t.handle(b); err != nil {
				return n, err
			}
		case lineLong:
			n++
			if err := t.handleLong(b); err != nil {
				if errors.Is(err, io.EOF) {
					return n, t.flush()
				}
				return n, err
			}
		case linePartial:
			if len(b) > 0 {
				t.pending = append(t.pending[:0], b...)
			}
			if err := t.flush(); err != nil {
				return n, err
			}
			if errors.Is(rerr, io.EOF) {
				return n, nil
			}
			return n, rerr
		}
		// Following, a line is shown as soon as its stream pauses. Reading
		// what is there, the 64 KiB output buffer fills and is written
		// whole, and the end flushes the rest: a write per network read
		// cost more than the parsing.
		if t.s.o.Follow && !t.lr.buffered() {
			if err := t.flush(); err != nil {
				return n, err
			}
		}
	}
}

func (t *tail) flush() error {
	if err := t.s.o.Printer.Flush(); err != nil {
		return &outputError{err}
	}
	return nil
}

// flushPending prints the unfinished last line once no stream will send it
// whole.
func (t *tail) flushPending() error {
	if len(t.pending) == 0 {
		return nil
	}
	err := t.handle(t.pending)
	t.pending = t.pending[:0]
	if err != nil {
		return err
	}
	return t.flush()
}

func (t *tail) handle(b []byte) error {
	// t.line points into b until the next line: it is filtered and printed
	// (copied) before handle returns, and kept nowhere.
	if !(t.req.Timestamps || t.req.Follow) {
		// No kubelet stamp was asked for: a line of the container's own
		// that starts with a timestamp keeps it.
		t.line.parseBody(b)
	} else {
		if n, ts, ok := splitStamp(b); ok && t.isRepeat(ts, b[n+1:]) {
			return nil
		}
		t.line.parseView(b)
	}
	if !t.s.o.Filter.Match(&t.line.Entry) {
		return nil
	}
	if err := t.s.o.Printer.Print(&t.line); err != nil {
		return &outputError{err}
	}
	return nil
}

// handleLong passes a line longer than MaxLineBytes through in parts, so
// its length costs no memory. It is not parsed; grep and exclude see its
// first part. It returns the stream's error if the stream ends inside it.
func (t *tail) handleLong(first []byte) error {
	l := Line{Pod: t.t.Pod, Container: t.t.Container}
	content := first
	keep := true
	if n, ts, ok := splitStamp(first); ok && (t.req.Timestamps || t.req.Follow) {
		l.Stamp, l.KubeletTime = string(first[:n]), ts
		content = first[n+1:]
		keep = !t.isRepeat(ts, content)
	}
	keep = keep && t.s.o.Filter.matchLong(content)
	var werr error
	if keep {
		werr = t.s.o.Printer.beginLong(&l, content)
	}
	var rerr error
	for {
		chunk, done, err := t.lr.more()
		if keep && werr == nil {
			werr = t.s.o.Printer.writeLong(chunk)
		}
		if done {
			rerr = err
			break
		}
	}
	if keep {
		if err := t.s.o.Printer.endLong(); werr == nil {
			werr = err
		}
	}
	if werr != nil {
		return &outputError{werr}
	}
	return rerr
}

// isRepeat remembers a line by its kubelet timestamp and a hash of its
// content, and reports whether a resumed stream sends it again. Only lines
// of the latest second are remembered, which bounds memory by the rate of
// one second.
func (t *tail) isRepeat(ts time.Time, content []byte) bool {
	key := seenKey{ts.UnixNano(), maphash.Bytes(t.seed, content)}
	if t.replaying && ts.After(t.replayUntil) {
		t.replaying = false
	}
	if t.haveLast {
		sec, lastSec := ts.Unix(), t.last.Unix()
		switch {
		case sec < lastSec:
			// Before the resumed second: a server that rounds sinceTime
			// differently may send it again, and then it is a repeat.
			// Outside a resume it can only be a clock step back on the node,
			// and the line is new.
			return t.replaying
		case sec == lastSec:
			if _, dup := t.seen[key]; dup {
				return true
			}
			t.seen[key] = struct{}{}
			if ts.After(t.last) {
				t.last = ts
			}
			return false
		}
	}
	if len(t.seen) > 4096 {
		// A burst grew the map; let it go rather than keep its buckets.
		t.seen = make(map[seenKey]struct{})
	} else {
		clear(t.seen)
	}
	t.seen[key] = struct{}{}
	t.last, t.haveLast = ts, true
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
