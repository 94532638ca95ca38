package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
)

var testBackoff = wait.Backoff{Duration: time.Millisecond, Factor: 1.5, Steps: 1 << 30, Cap: 5 * time.Millisecond}

func newTestStreamer(t *testing.T, src Source, out io.Writer, notes io.Writer, mod func(*Options)) *Streamer {
	t.Helper()
	o := Options{
		Source:  src,
		Printer: NewPrinter(out, PrintOptions{Prefix: true}),
		Notes:   notes,
		Follow:  true,
		Backoff: testBackoff,
	}
	if mod != nil {
		mod(&o)
	}
	s, err := NewStreamer(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func target(pod string) Target {
	return Target{Namespace: "openshift-image-registry", Pod: pod, Container: "registry"}
}

func assertExactlyOnce(t *testing.T, got map[string][]string, want map[string][]string) {
	t.Helper()
	for pod, w := range want {
		g := got[pod]
		if slices.Equal(g, w) {
			continue
		}
		// Say which line went missing, came twice, or came out of order.
		seen := map[string]int{}
		for _, l := range g {
			seen[l]++
		}
		for i, l := range w {
			if seen[l] == 0 {
				t.Errorf("pod %s: line %d lost: %.80s", pod, i, l)
				return
			}
		}
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Errorf("pod %s: at line %d got %.80q, want %.80q (%d lines, want %d)", pod, i, g[i], w[i], len(g), len(w))
				return
			}
		}
		t.Errorf("pod %s: %d lines, want %d", pod, len(g), len(w))
	}
	for pod := range got {
		if _, ok := want[pod]; !ok {
			t.Errorf("lines from unexpected pod %q", pod)
		}
	}
}

// The core promise: streams that end cleanly or with errors, mid-second and
// mid-line, a failing open, a failing status check, restarts (with lines
// only the previous container's log still has) and deleted pods; every line
// appears exactly once, in its pod's order.
func TestFollowExactlyOnce(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	genA, wantA := makeLog("a", 2, 60, start)
	genB, wantB := makeLog("b", 1, 80, start.Add(123*time.Millisecond))
	genC, wantC := makeLog("c", 3, 15, start.Add(77*time.Millisecond))
	// A 1 MiB line in B's log, which one stream is cut in the middle of.
	big := "level=info msg=big pod=b pad=" + strings.Repeat("x", 1<<20)
	bigStamp := "2026-01-01T10:00:06.050000001Z"
	genB[0].lines = slices.Insert(genB[0].lines, 40, []byte(bigStamp+" "+big))
	wantB = slices.Insert(wantB, 40, big)
	// Keep B's kubelet timestamps in order around the inserted line.
	if ParseLine(genB[0].lines[39]).KubeletTime.After(ParseLine(genB[0].lines[40]).KubeletTime) ||
		ParseLine(genB[0].lines[41]).KubeletTime.Before(ParseLine(genB[0].lines[40]).KubeletTime) {
		t.Fatal("test data: the big line is out of timestamp order")
	}

	src := &fakeSource{readSize: 97, targets: map[Target]*fakeTarget{
		target("a"): {gens: genA, end: "gone", statusErrs: 1, plan: []fault{
			{faultEOF, 4}, {faultErr, 3}, {faultCut, 5}, {faultCutEOF, 2}, {faultOpen, 0},
			{faultEOF, 7}, {faultRestart, 6}, {faultErr, 2}, {faultCut, 9},
		}},
		target("b"): {gens: genB, end: "finished", plan: []fault{
			{faultErr, 7}, {faultEOF, 1}, {faultCut, 33}, {faultEOF, 0}, {faultErr, 20},
		}},
		target("c"): {gens: genC, end: "gone", plan: []fault{{faultErr, 3}}},
	}}
	var out, notes bytes.Buffer
	s := newTestStreamer(t, src, &out, &notes, nil)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), []Target{target("a"), target("b"), target("c")}) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not end after every pod was gone or done")
	}
	assertExactlyOnce(t, byPod(out.String()), map[string][]string{"a": wantA, "b": wantB, "c": wantC})

	n := notes.String()
	for _, want := range []string{
		"container registry of pod a restarted; following the new one from its start",
		"pod a was deleted; stopped following it",
		"container registry of pod b has exited; stopped following it",
		"pod c was deleted; stopped following it",
		"logs of pod a container registry: connection reset by peer; reconnecting",
	} {
		if !strings.Contains(n, want) {
			t.Errorf("notes lack %q:\n%s", want, n)
		}
	}
	if c := strings.Count(n, "container registry of pod c restarted"); c != 2 {
		t.Errorf("%d restart notes for c, want 2:\n%s", c, n)
	}

	var resumed, previous int
	for _, r := range src.requests() {
		if r.Previous {
			previous++
		}
		if r.SinceTime != nil {
			resumed++
			if r.SinceTime.Nanosecond() != 0 {
				t.Errorf("resumed at %v: sinceTime must be whole seconds", r.SinceTime)
			}
		}
	}
	if resumed < 10 || previous < 3 {
		t.Errorf("%d resumed and %d previous requests: the faults did not make the engine resume", resumed, previous)
	}
}

// The seen-set must hold only the latest second: memory bounded by one
// second of lines.
func TestIsRepeatBounded(t *testing.T) {
	s := newTestStreamer(t, &fakeSource{}, io.Discard, nil, nil)
	tl := s.newTail(target("a"), LogRequest{})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		ts := base.Add(time.Duration(i) * 7 * time.Millisecond)
		if tl.isRepeat(ts, []byte(fmt.Sprint(i))) {
			t.Fatalf("line %d taken for a repeat", i)
		}
		if len(tl.seen) > 143 {
			t.Fatalf("%d lines remembered: more than a second's worth", len(tl.seen))
		}
	}
	last := base.Add(9_999 * 7 * time.Millisecond)
	if !tl.isRepeat(last, []byte("9999")) {
		t.Error("the last line read again is not a repeat")
	}
	if tl.isRepeat(last, []byte("other")) {
		t.Error("another line with the same timestamp is taken for a repeat")
	}
	// Outside a resume, an older second is a clock step back, not a repeat.
	if tl.isRepeat(base, []byte("0")) {
		t.Error("a line from an earlier second outside a resume was dropped")
	}
	tl.resumeRequest()
	if !tl.isRepeat(base, []byte("0")) {
		t.Error("during a resume, a line before the resumed second was kept")
	}
}

func TestFollowCancel(t *testing.T) {
	gens, want := makeLog("a", 1, 30, time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC))
	src := &fakeSource{targets: map[Target]*fakeTarget{target("a"): {gens: gens, end: "forever"}}}
	var out syncBuffer
	s := newTestStreamer(t, src, &out, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, []Target{target("a")}) }()
	waitFor(t, func() bool { return len(byPod(out.String())["a"]) == len(want) })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("cancelled Run returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end on cancel")
	}
	assertExactlyOnce(t, byPod(out.String()), map[string][]string{"a": want})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestFollowFatal(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods/log"}, "a", errors.New(`User "alice" cannot get resource "pods/log"`))
	gens, _ := makeLog("a", 1, 3, time.Now())
	src := &fakeSource{targets: map[Target]*fakeTarget{target("a"): {gens: gens, end: "forever", openErr: forbidden}}}
	s := newTestStreamer(t, src, io.Discard, nil, nil)
	err := s.Run(context.Background(), []Target{target("a")})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "reading logs of pod a container registry") {
		t.Fatalf("got %v, want the Forbidden error, naming the pod", err)
	}
}

func TestMaxLogRequests(t *testing.T) {
	s := newTestStreamer(t, &fakeSource{}, io.Discard, nil, func(o *Options) { o.MaxLogRequests = 2 })
	err := s.Run(context.Background(), []Target{target("a"), target("b"), target("c")})
	var tm *TooManyStreamsError
	if !errors.As(err, &tm) || err.Error() != "3 pods, above --max-log-requests=2; raise it or narrow with -l" {
		t.Fatalf("got %v", err)
	}
	two := []Target{target("a"), {Namespace: "openshift-image-registry", Pod: "a", Container: "sidecar"}, target("b")}
	if err := s.Run(context.Background(), two); err == nil || err.Error() != "3 log streams (2 pods), above --max-log-requests=2; raise it or narrow with -l" {
		t.Fatalf("got %v", err)
	}
}

// Without -f, more pods than the limit are read in turn, and an unfinished
// last line is printed, since nothing will send it again.
func TestRunOnce(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	targets := map[Target]*fakeTarget{}
	want := map[string][]string{}
	var all []Target
	for i := range 5 {
		pod := fmt.Sprintf("p%d", i)
		gens, w := makeLog(pod, 1, 50, start)
		targets[target(pod)] = &fakeTarget{gens: gens, end: "forever"}
		want[pod] = w
		all = append(all, target(pod))
	}
	src := &fakeSource{targets: targets, readSize: 61}
	var out bytes.Buffer
	s := newTestStreamer(t, src, &out, nil, func(o *Options) { o.Follow = false; o.MaxLogRequests = 2 })
	if err := s.Run(context.Background(), all); err != nil {
		t.Fatal(err)
	}
	assertExactlyOnce(t, byPod(out.String()), want)

	// A read error without -f is the command's error, naming the pod.
	src = &fakeSource{targets: map[Target]*fakeTarget{target("x"): {gens: targets[target("p0")].gens, openErr: errors.New("EOF from kubelet")}}}
	s = newTestStreamer(t, src, io.Discard, nil, func(o *Options) { o.Follow = false })
	if err := s.Run(context.Background(), []Target{target("x")}); err == nil || err.Error() != "reading logs of pod x container registry: EOF from kubelet" {
		t.Fatalf("got %v", err)
	}
}

type partialSource struct{ fakeSource }

func (p *partialSource) OpenLog(ctx context.Context, req LogRequest) (io.ReadCloser, error) {
	body := "2026-01-01T10:00:00Z level=info msg=one\n2026-01-01T10:00:01Z level=info msg=two-without-newline"
	if !req.Timestamps {
		body = "level=info msg=one\nlevel=info msg=two-without-newline"
	}
	return io.NopCloser(strings.NewReader(body)), nil
}

func TestRunOncePrintsUnfinishedLine(t *testing.T) {
	var out bytes.Buffer
	s := newTestStreamer(t, &partialSource{}, &out, nil, func(o *Options) { o.Follow = false })
	if err := s.Run(context.Background(), []Target{target("a")}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "[a] level=info msg=one\n[a] level=info msg=two-without-newline\n" {
		t.Fatalf("got %q", out.String())
	}
}

func TestFollowOutputError(t *testing.T) {
	gens, _ := makeLog("a", 1, 20, time.Now())
	src := &fakeSource{targets: map[Target]*fakeTarget{target("a"): {gens: gens, end: "forever"}}}
	s := newTestStreamer(t, src, failWriter{}, nil, nil)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), []Target{target("a")}) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "writing output: broken pipe") {
			t.Fatalf("got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a broken output did not end the run")
	}
}

// Track: a pod appearing after the start is read from its start; one that
// goes is stopped after the grace; one above the limit waits its turn.
func TestTrack(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	genA, wantA := makeLog("a", 1, 20, start)
	genB, wantB := makeLog("b", 1, 30, start)
	genC, wantC := makeLog("c", 1, 10, start)
	src := &fakeSource{targets: map[Target]*fakeTarget{
		target("a"): {gens: genA, end: "forever"},
		target("b"): {gens: genB, end: "forever", plan: []fault{{faultErr, 5}}},
		target("c"): {gens: genC, end: "finished"},
	}}
	var out, notes syncBuffer
	tail := int64(3)
	s := newTestStreamer(t, src, &out, &notes, func(o *Options) {
		o.TailLines = &tail
		o.MaxLogRequests = 2
		o.RemoveGrace = 20 * time.Millisecond
	})
	sets := make(chan []Target)
	done := make(chan error, 1)
	go func() { done <- s.Track(context.Background(), sets) }()

	sets <- []Target{target("a")}
	waitFor(t, func() bool { return len(byPod(out.String())["a"]) == 3 })
	// b appears: all of it, not its tail. c is over the limit and waits.
	sets <- []Target{target("a"), target("b"), target("c")}
	waitFor(t, func() bool { return len(byPod(out.String())["b"]) == len(wantB) })
	waitFor(t, func() bool { return strings.Contains(notes.String(), "not following pod c container registry yet") })
	time.Sleep(20 * time.Millisecond)
	if len(byPod(out.String())["c"]) != 0 {
		t.Fatal("c was followed above --max-log-requests")
	}
	// a goes: its stream, which would stay open, is cut after the grace,
	// which frees its slot for c.
	sets <- []Target{target("b"), target("c")}
	waitFor(t, func() bool { return len(byPod(out.String())["c"]) == len(wantC) })
	waitFor(t, func() bool { return strings.Contains(notes.String(), "container registry of pod c has exited") })
	sets <- []Target{target("c")}
	close(sets)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Track did not end once its set was closed and its streams ended")
	}
	assertExactlyOnce(t, byPod(out.String()), map[string][]string{"a": wantA[len(wantA)-3:], "b": wantB, "c": wantC})
	for _, want := range []string{
		"pod b container registry appeared; following it",
		"following pod c container registry now",
		"pod a container registry no longer matches (deleted or relabelled); stopped following it",
		"pod b container registry no longer matches",
	} {
		if !strings.Contains(notes.String(), want) {
			t.Errorf("notes lack %q:\n%s", want, notes.String())
		}
	}
	for _, r := range src.requests() {
		if r.Pod == "b" && r.TailLines != nil {
			t.Errorf("b appeared after the start but was asked for its tail only: %+v", r)
		}
	}

	// The first set is held to the limit like Run.
	s = newTestStreamer(t, src, io.Discard, nil, func(o *Options) { o.MaxLogRequests = 1 })
	sets = make(chan []Target, 1)
	sets <- []Target{target("a"), target("b")}
	var tm *TooManyStreamsError
	if err := s.Track(context.Background(), sets); !errors.As(err, &tm) {
		t.Fatalf("got %v, want TooManyStreamsError", err)
	}
}

// A line of 1 MiB is an ordinary line: parsed, filtered by its fields,
// printed whole. One beyond MaxLineBytes passes through unparsed in parts,
// byte for byte, and the reader's memory stays bounded.
func TestLongLines(t *testing.T) {
	pad := strings.Repeat("x", 1<<20)
	lines := []string{
		`2026-01-01T10:00:00.1Z level=info msg="response completed" openshift.auth.user=alice pad=` + pad,
		`2026-01-01T10:00:00.2Z level=info msg="response completed" openshift.auth.user=bob pad=` + pad,
		`2026-01-01T10:00:00.3Z level=info msg=small openshift.auth.user=alice`,
	}
	src := &stringSource{body: strings.Join(lines, "\n") + "\n"}
	var out bytes.Buffer
	f, _ := NewFilter(FilterOptions{User: "alice"})
	s := newTestStreamer(t, src, &out, nil, func(o *Options) { o.Follow = false; o.Filter = f })
	if err := s.Run(context.Background(), []Target{target("a")}); err != nil {
		t.Fatal(err)
	}
	want := "[a] " + lines[0][23:] + "\n[a] " + lines[2][23:] + "\n"
	if out.String() != want {
		t.Fatalf("1 MiB lines: got %d bytes, want %d", out.Len(), len(want))
	}

	// Beyond the limit (4 KiB here, 2 MiB by default): raw and JSON.
	long := "2026-01-01T10:00:00.4Z " + strings.Repeat("é", 50_000) + "end"
	for _, format := range []OutputFormat{OutputRaw, OutputJSON} {
		src := &stringSource{body: long + "\n" + lines[2] + "\n", readSize: 1000}
		out.Reset()
		o := Options{Source: src, Printer: NewPrinter(&out, PrintOptions{Format: format, Timestamps: true}), MaxLineBytes: 4096, Backoff: testBackoff}
		s, err := NewStreamer(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background(), []Target{target("a")}); err != nil {
			t.Fatal(err)
		}
		got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(got) != 2 {
			t.Fatalf("%s: %d lines, want 2", format, len(got))
		}
		if format == OutputRaw {
			if got[0] != long {
				t.Fatalf("raw: the long line changed (%d bytes, want %d)", len(got[0]), len(long))
			}
			continue
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(got[0]), &m); err != nil {
			t.Fatal(err)
		}
		if m["msg"] != long[23:] || m["kubelet_time"] != long[:22] || m["parsed"] != "false" {
			t.Fatalf("json: long line became %q... (%d bytes)", m["msg"][:min(40, len(m["msg"]))], len(m["msg"]))
		}
	}

	r := newLineReader(DefaultMaxLineBytes)
	r.reset(strings.NewReader(strings.Repeat("y", 3<<20) + "\nnext\n"))
	first, kind, _ := r.next()
	total := len(first)
	for kind == lineLong {
		chunk, done, err := r.more()
		total += len(chunk)
		if done || err != nil {
			break
		}
	}
	if kind != lineLong || total != 3<<20 {
		t.Fatalf("kind %v, %d bytes read", kind, total)
	}
	if c := cap(r.buf); c > DefaultMaxLineBytes+2*readBufferSize {
		t.Fatalf("reader holds %d bytes for a 3 MiB line", c)
	}
	if next, kind, _ := r.next(); string(next) != "next" || kind != lineWhole {
		t.Fatalf("line after the long one: %q", next)
	}
}

type stringSource struct {
	fakeSource
	body     string
	readSize int
}

func (s *stringSource) OpenLog(ctx context.Context, req LogRequest) (io.ReadCloser, error) {
	body := s.body
	if !req.Timestamps && !req.Follow {
		var lines [][]byte
		for _, l := range strings.SplitAfter(body, "\n") {
			lines = append(lines, []byte(l))
		}
		body = string(bytes.Join(unstamped(lines), nil))
	}
	var r io.Reader = strings.NewReader(body)
	if s.readSize > 0 {
		r = &smallReader{r: r, n: s.readSize}
	}
	return io.NopCloser(r), nil
}

type smallReader struct {
	r io.Reader
	n int
}

func (s *smallReader) Read(p []byte) (int, error) {
	if len(p) > s.n {
		p = p[:s.n]
	}
	return s.r.Read(p)
}
