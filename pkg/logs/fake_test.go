package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A fake cluster for the engine: each target has container generations
// (a restart starts a new one), each with its log, and a plan of faults
// that the next follow streams suffer. It behaves as the kubelet does:
// sinceTime is whole seconds, lines at or after it are sent, previous=true
// reads the generation before.

type faultKind int

const (
	faultNone    faultKind = iota // send the rest; then the generation ends (see fakeTarget.end)
	faultEOF                      // after n lines, a clean EOF, container still running
	faultErr                      // after n lines, an error
	faultCut                      // after n lines and half of the next, an error
	faultCutEOF                   // after n lines and half of the next, a clean EOF
	faultOpen                     // opening fails
	faultRestart                  // after n lines an error, and the container restarts: the rest is only in previous
)

type fault struct {
	kind faultKind
	n    int
}

type fakeGen struct {
	id    string
	lines [][]byte // kubelet lines: "<stamp> <content>"
}

type fakeTarget struct {
	gens []*fakeGen
	cur  int
	// end is what happens once the last generation has sent everything:
	// "gone" (pod deleted), "finished" (container done) or "forever" (the
	// stream stays open).
	end        string
	ended      bool
	plan       []fault
	statusErrs int
	openErr    error // every open fails with it
}

type fakeSource struct {
	mu      sync.Mutex
	targets map[Target]*fakeTarget
	reqs    []LogRequest
	// readSize bounds each Read, to make lines arrive in pieces.
	readSize int
}

func (f *fakeSource) OpenLog(ctx context.Context, req LogRequest) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	ft := f.targets[req.Target]
	if ft == nil || (ft.ended && ft.end == "gone") {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, req.Pod)
	}
	if ft.openErr != nil {
		return nil, ft.openErr
	}
	gen := ft.gens[ft.cur]
	if req.Previous {
		if ft.cur == 0 {
			return nil, apierrors.NewBadRequest("previous terminated container not found")
		}
		gen = ft.gens[ft.cur-1]
	}
	sel := gen.lines
	if req.SinceTime != nil {
		// The API server sends sinceTime in whole seconds.
		since := req.SinceTime.Truncate(time.Second)
		for len(sel) > 0 {
			l := ParseLine(sel[0])
			if !l.KubeletTime.Before(since) {
				break
			}
			sel = sel[1:]
		}
	}
	if req.TailLines != nil && int(*req.TailLines) < len(sel) {
		sel = sel[len(sel)-int(*req.TailLines):]
	}
	s := &fakeStream{f: f, closed: make(chan struct{}), readSize: f.readSize, end: io.EOF}
	if !req.Timestamps && !req.Follow {
		sel = unstamped(sel)
	}
	if req.Previous || !req.Follow {
		s.r = bytes.NewReader(joinLines(sel))
		return s, nil
	}
	var fl fault
	if len(ft.plan) > 0 {
		fl, ft.plan = ft.plan[0], ft.plan[1:]
	}
	n := min(fl.n, len(sel))
	reset := errors.New("connection reset by peer")
	switch fl.kind {
	case faultOpen:
		return nil, errors.New("dial tcp: connection refused")
	case faultEOF:
		s.r = bytes.NewReader(joinLines(sel[:n]))
	case faultErr:
		s.r, s.end = bytes.NewReader(joinLines(sel[:n])), reset
	case faultCut, faultCutEOF:
		b := joinLines(sel[:n])
		if n < len(sel) {
			b = append(b, sel[n][:len(sel[n])/2]...)
		}
		s.r = bytes.NewReader(b)
		if fl.kind == faultCut {
			s.end = reset
		}
	case faultRestart:
		s.r, s.end = bytes.NewReader(joinLines(sel[:n])), reset
		s.onEnd = func() {
			if ft.cur < len(ft.gens)-1 {
				ft.cur++
			}
		}
	default:
		s.r = bytes.NewReader(joinLines(sel))
		s.onEnd = func() {
			switch {
			case ft.cur < len(ft.gens)-1:
				ft.cur++ // exited and restarted
			case ft.end == "forever":
				s.block = true
			default:
				ft.ended = true
			}
		}
	}
	return s, nil
}

func (f *fakeSource) ContainerStatus(ctx context.Context, t Target) (ContainerStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft := f.targets[t]
	if ft.statusErrs > 0 {
		ft.statusErrs--
		return ContainerStatus{}, errors.New("the server is currently unable to handle the request")
	}
	id := ft.gens[ft.cur].id
	switch {
	case ft.ended && ft.end == "gone":
		return ContainerStatus{PodGone: true}, nil
	case ft.ended:
		return ContainerStatus{Finished: true, ContainerID: id}, nil
	}
	return ContainerStatus{Running: true, ContainerID: id}, nil
}

func (f *fakeSource) requests() []LogRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]LogRequest(nil), f.reqs...)
}

func joinLines(ls [][]byte) []byte {
	var b []byte
	for _, l := range ls {
		b = append(b, l...)
		b = append(b, '\n')
	}
	return b
}

type fakeStream struct {
	f         *fakeSource
	r         *bytes.Reader
	end       error
	onEnd     func()
	ended     bool
	block     bool
	readSize  int
	closeOnce sync.Once
	closed    chan struct{}
}

func (s *fakeStream) Read(p []byte) (int, error) {
	if s.r.Len() > 0 {
		if s.readSize > 0 && len(p) > s.readSize {
			p = p[:s.readSize]
		}
		return s.r.Read(p)
	}
	if !s.ended {
		s.ended = true
		if s.onEnd != nil {
			s.f.mu.Lock()
			s.onEnd()
			s.f.mu.Unlock()
		}
	}
	if s.block {
		<-s.closed
		return 0, errors.New("use of closed network connection")
	}
	return 0, s.end
}

func (s *fakeStream) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

// makeLog builds a pod's lines over its generations: logrus lines with a
// sequence number, and every fifth line the same heartbeat content, so that
// repeats are told apart by timestamp and not by content alone. Lines are
// 150ms apart, several to a second.
func makeLog(pod string, gens, perGen int, start time.Time) ([]*fakeGen, []string) {
	var out []*fakeGen
	var want []string
	k := 0
	for g := range gens {
		fg := &fakeGen{id: fmt.Sprintf("containerd://%s-%d", pod, g)}
		for range perGen {
			ts := start.Add(time.Duration(k) * 150 * time.Millisecond)
			content := fmt.Sprintf(`time=%q level=info msg="line %d" seq=%d pod=%s`, ts.Format(time.RFC3339), k, k, pod)
			if k%5 == 4 {
				content = `level=info msg=heartbeat pod=` + pod
			}
			fg.lines = append(fg.lines, []byte(ts.Format(time.RFC3339Nano)+" "+content))
			want = append(want, content)
			k++
		}
		out = append(out, fg)
	}
	return out, want
}

// byPod splits raw output written with PrintOptions{Prefix: true}.
func byPod(out string) map[string][]string {
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		pod, content, _ := strings.Cut(strings.TrimPrefix(line, "["), "] ")
		m[pod] = append(m[pod], content)
	}
	return m
}

// syncBuffer is a bytes.Buffer that tests may read while streams write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The follow tests are only as good as the fake: it must treat sinceTime
// as the kubelet does (whole seconds, lines at or after it) and read the
// previous generation with previous=true.
func TestFakeSourceActsAsTheKubelet(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	gens, want := makeLog("p", 2, 10, start)
	tg := Target{Namespace: "ns", Pod: "p", Container: "c"}
	f := &fakeSource{targets: map[Target]*fakeTarget{tg: {gens: gens, cur: 1, end: "finished"}}}
	read := func(req LogRequest) []string {
		rc, err := f.OpenLog(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	// Line 17 is at 2.55 s; sinceTime 2.55 s is sent as 2 s: lines 14 on.
	since := start.Add(2550 * time.Millisecond)
	got := read(LogRequest{Target: tg, SinceTime: &since})
	if len(got) != 6 || !strings.HasSuffix(got[0], want[14]) {
		t.Fatalf("sinceTime in whole seconds: got %d lines from %q", len(got), got[0])
	}
	if prev := read(LogRequest{Target: tg, Previous: true}); len(prev) != 10 || !strings.HasSuffix(prev[0], want[0]) {
		t.Fatalf("previous=true: got %d lines", len(prev))
	}
}

// unstamped is lines as the kubelet sends them without timestamps=true.
func unstamped(lines [][]byte) [][]byte {
	out := make([][]byte, len(lines))
	for i, l := range lines {
		if n, _, ok := splitStamp(l); ok {
			l = l[n+1:]
		}
		out[i] = l
	}
	return out
}
