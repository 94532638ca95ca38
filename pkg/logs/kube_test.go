package logs

import (
	"context"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const testNS = "openshift-image-registry"

func testPod(name string, lbls map[string]string, containers ...string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, Labels: lbls, UID: "uid-1"},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c})
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c, ContainerID: "cri-o://" + name + "-" + c,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		})
	}
	return p
}

var registryLabels = map[string]string{"docker-registry": "default"}

func TestContainerStatusOf(t *testing.T) {
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	waiting := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	exited := func(code int32) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}
	}
	now := metav1.Now()
	always := corev1.ContainerRestartPolicyAlways
	tests := []struct {
		name      string
		phase     corev1.PodPhase
		policy    corev1.RestartPolicy
		deleting  bool
		state     corev1.ContainerState
		init      bool
		sidecar   bool
		container string
		want      ContainerStatus
	}{
		{name: "running", state: running, want: ContainerStatus{Running: true, ContainerID: "id"}},
		{name: "waiting to restart", state: waiting, want: ContainerStatus{ContainerID: "id"}},
		{name: "exited, restartPolicy Always: will restart", state: exited(0), want: ContainerStatus{ContainerID: "id"}},
		{name: "exited, restartPolicy Never", policy: corev1.RestartPolicyNever, state: exited(1), want: ContainerStatus{Finished: true, ContainerID: "id"}},
		{name: "failed, OnFailure restarts it", policy: corev1.RestartPolicyOnFailure, state: exited(2), want: ContainerStatus{ContainerID: "id"}},
		{name: "succeeded, OnFailure does not", policy: corev1.RestartPolicyOnFailure, state: exited(0), want: ContainerStatus{Finished: true, ContainerID: "id"}},
		{name: "pod succeeded", phase: corev1.PodSucceeded, state: exited(0), want: ContainerStatus{Finished: true, ContainerID: "id"}},
		{name: "pod failed (evicted)", phase: corev1.PodFailed, want: ContainerStatus{Finished: true, ContainerID: "id"}},
		{name: "deleting, nothing runs", deleting: true, state: exited(0), want: ContainerStatus{PodGone: true}},
		{name: "deleting, still running", deleting: true, state: running, want: ContainerStatus{Running: true, ContainerID: "id"}},
		{name: "unknown container: waiting", state: running, container: "other", want: ContainerStatus{}},
		{name: "init container done", init: true, state: exited(0), want: ContainerStatus{Finished: true, ContainerID: "id"}},
		{name: "sidecar init container restarts", init: true, sidecar: true, state: exited(0), want: ContainerStatus{ContainerID: "id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{RestartPolicy: tt.policy}, Status: corev1.PodStatus{Phase: tt.phase}}
			if pod.Status.Phase == "" {
				pod.Status.Phase = corev1.PodRunning
			}
			if tt.deleting {
				pod.DeletionTimestamp = &now
			}
			cs := corev1.ContainerStatus{Name: "c", ContainerID: "id", State: tt.state}
			if tt.init {
				ic := corev1.Container{Name: "c"}
				if tt.sidecar {
					ic.RestartPolicy = &always
				}
				pod.Spec.InitContainers = []corev1.Container{ic}
				pod.Status.InitContainerStatuses = []corev1.ContainerStatus{cs}
			} else {
				pod.Spec.Containers = []corev1.Container{{Name: "c"}}
				pod.Status.ContainerStatuses = []corev1.ContainerStatus{cs}
			}
			name := "c"
			if tt.container != "" {
				name = tt.container
			}
			if got := containerStatusOf(pod, name); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPodSourceOpenLog(t *testing.T) {
	cs := fake.NewClientset(testPod("r1", registryLabels, "registry"))
	var got *corev1.PodLogOptions
	var gotNS string
	cs.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "log" {
			return false, nil, nil
		}
		got = a.(k8stesting.GenericAction).GetValue().(*corev1.PodLogOptions)
		gotNS = a.(k8stesting.GenericAction).GetNamespace()
		return true, &runtime.Unknown{Raw: []byte("2026-01-01T10:00:00.1Z hello\n")}, nil
	})
	src := NewPodSource(cs.CoreV1())
	since := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	tail := int64(5)
	rc, err := src.OpenLog(context.Background(), LogRequest{
		Target: Target{Namespace: testNS, Pod: "r1", Container: "registry"},
		Follow: true, SinceTime: &since, TailLines: &tail,
	})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != "2026-01-01T10:00:00.1Z hello\n" {
		t.Errorf("body %q", body)
	}
	if got == nil || !got.Timestamps || !got.Follow || got.Container != "registry" || got.SinceTime == nil ||
		!got.SinceTime.Time.Equal(since) || got.TailLines == nil || *got.TailLines != 5 || got.Previous {
		t.Errorf("log options %+v", got)
	}
	if gotNS != testNS {
		t.Errorf("namespace %q", gotNS)
	}
}

func TestPodSourceForbiddenNamesThePermission(t *testing.T) {
	cs := fake.NewClientset(testPod("r1", registryLabels, "registry"))
	cs.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "log" {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods/log"}, "r1", errors.New("no"))
		}
		return false, nil, nil
	})
	src := NewPodSource(cs.CoreV1())
	_, err := src.OpenLog(context.Background(), LogRequest{Target: Target{Namespace: testNS, Pod: "r1", Container: "registry"}})
	var pe *PermissionError
	if !errors.As(err, &pe) || pe.Permission() != "get pods/log in namespace "+testNS {
		t.Fatalf("err = %v, want a PermissionError for get pods/log", err)
	}
	if !apierrors.IsForbidden(err) {
		t.Error("a PermissionError must stay Forbidden for the streamer's Fatal")
	}
	if !strings.Contains(err.Error(), "get pods/log in namespace "+testNS) {
		t.Errorf("message %q does not name the permission", err)
	}
}

func TestPodSourceContainerStatus(t *testing.T) {
	pod := testPod("r1", registryLabels, "registry")
	cs := fake.NewClientset(pod)
	src := NewPodSource(cs.CoreV1())
	ctx := context.Background()
	tg := Target{Namespace: testNS, Pod: "r1", Container: "registry"}
	st, err := src.ContainerStatus(ctx, tg)
	if err != nil || !st.Running || st.ContainerID != "cri-o://r1-registry" || st.PodGone {
		t.Fatalf("running pod: %+v %v", st, err)
	}
	// Replaced by a pod of the same name: the one followed is gone.
	if err := cs.CoreV1().Pods(testNS).Delete(ctx, "r1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	again := testPod("r1", registryLabels, "registry")
	again.UID = "uid-2"
	if _, err := cs.CoreV1().Pods(testNS).Create(ctx, again, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if st, err := src.ContainerStatus(ctx, tg); err != nil || !st.PodGone {
		t.Errorf("replaced pod: %+v %v, want PodGone", st, err)
	}
	if st, err := src.ContainerStatus(ctx, Target{Namespace: testNS, Pod: "nope", Container: "registry"}); err != nil || !st.PodGone {
		t.Errorf("missing pod: %+v %v, want PodGone", st, err)
	}
	cs.PrependReactor("get", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "r1", errors.New("no"))
	})
	var pe *PermissionError
	if _, err := src.ContainerStatus(ctx, tg); !errors.As(err, &pe) || pe.Permission() != "get pods in namespace "+testNS {
		t.Errorf("forbidden: %v", err)
	}
}

func TestPodQueryTargets(t *testing.T) {
	two := testPod("a", registryLabels, "registry", "sidecar")
	annotated := testPod("b", registryLabels, "registry", "sidecar")
	annotated.Annotations = map[string]string{DefaultContainerAnnotation: "sidecar"}
	pending := testPod("c", registryLabels, "registry")
	pending.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	restarting := testPod("d", registryLabels, "registry")
	restarting.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	restarting.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}
	pods := []corev1.Pod{*two, *annotated, *pending, *restarting}
	tg := func(pod, c string) Target { return Target{Namespace: testNS, Pod: pod, Container: c} }
	tests := []struct {
		name        string
		q           PodQuery
		startedOnly bool
		want        []Target
		notes       []string
	}{
		{name: "default container", q: PodQuery{Namespace: testNS},
			want: []Target{tg("a", "registry"), tg("b", "sidecar"), tg("c", "registry"), tg("d", "registry")}},
		{name: "reading once skips what never started", q: PodQuery{Namespace: testNS}, startedOnly: true,
			want:  []Target{tg("a", "registry"), tg("b", "sidecar"), tg("d", "registry")},
			notes: []string{"pod c container registry has not started yet; no log to read"}},
		{name: "-c", q: PodQuery{Namespace: testNS, Container: "sidecar"},
			want:  []Target{tg("a", "sidecar"), tg("b", "sidecar")},
			notes: []string{`pod c has no container "sidecar"; skipped`, `pod d has no container "sidecar"; skipped`}},
		{name: "--all-containers", q: PodQuery{Namespace: testNS, AllContainers: true},
			want: []Target{tg("a", "registry"), tg("a", "sidecar"), tg("b", "registry"), tg("b", "sidecar"), tg("c", "registry"), tg("d", "registry")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, notes := tt.q.Targets(pods, tt.startedOnly)
			if !slices.Equal(got, tt.want) {
				t.Errorf("targets\n got %v\nwant %v", got, tt.want)
			}
			if !slices.Equal(notes, tt.notes) {
				t.Errorf("notes\n got %q\nwant %q", notes, tt.notes)
			}
		})
	}
}

// nextSet waits for the feed's next set.
func nextSet(t *testing.T, sets <-chan []Target) []Target {
	t.Helper()
	select {
	case s := <-sets:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no set from the feed")
		return nil
	}
}

func podNames(set []Target) []string {
	var names []string
	for _, t := range set {
		names = append(names, t.Pod)
	}
	return names
}

func runFeed(t *testing.T, cs *fake.Clientset, notes io.Writer) (<-chan []Target, chan error, context.CancelFunc) {
	t.Helper()
	q := PodQuery{Namespace: testNS, Selector: "docker-registry=default"}
	list, err := q.List(context.Background(), cs.CoreV1())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sets := make(chan []Target)
	done := make(chan error, 1)
	f := &Feed{Pods: cs.CoreV1(), Query: q, Notes: notes, PollInterval: 20 * time.Millisecond}
	go func() { done <- f.Run(ctx, list, sets) }()
	return sets, done, cancel
}

func TestFeedFollowsPodsThroughAWatch(t *testing.T) {
	cs := fake.NewClientset(testPod("r1", registryLabels, "registry"), testPod("other", map[string]string{"app": "x"}, "c"))
	watching := make(chan struct{}, 10)
	cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		watching <- struct{}{}
		return false, nil, nil
	})
	var notes syncBuffer
	sets, done, cancel := runFeed(t, cs, &notes)
	defer cancel()
	if got := podNames(nextSet(t, sets)); !slices.Equal(got, []string{"r1"}) {
		t.Fatalf("first set %v", got)
	}
	select {
	case <-watching:
	case <-time.After(10 * time.Second):
		t.Fatal("the feed did not watch")
	}
	ctx := context.Background()
	if _, err := cs.CoreV1().Pods(testNS).Create(ctx, testPod("r2", registryLabels, "registry"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := podNames(nextSet(t, sets)); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Fatalf("after a pod appeared: %v", got)
	}
	// A pod that does not match the selector changes nothing, even where
	// the watch does not filter (the fake does not).
	if _, err := cs.CoreV1().Pods(testNS).Create(ctx, testPod("stranger", map[string]string{"app": "y"}, "c"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Pods(testNS).Delete(ctx, "r1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := podNames(nextSet(t, sets)); !slices.Equal(got, []string{"r2"}) {
		t.Fatalf("after a pod went: %v", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
	if notes.String() != "" {
		t.Errorf("notes while the watch worked: %q", notes.String())
	}
}

func TestFeedPollsWhenWatchIsForbidden(t *testing.T) {
	cs := fake.NewClientset(testPod("r1", registryLabels, "registry"))
	cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no watch"))
	})
	// Reactors are added before the feed runs: the fake's reactor chain
	// is not safe to change while in use.
	var forbidList atomic.Bool
	cs.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		if forbidList.Load() {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no list"))
		}
		return false, nil, nil
	})
	var notes syncBuffer
	sets, done, cancel := runFeed(t, cs, &notes)
	defer cancel()
	nextSet(t, sets)
	if _, err := cs.CoreV1().Pods(testNS).Create(context.Background(), testPod("r2", registryLabels, "registry"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := podNames(nextSet(t, sets)); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Fatalf("polled set %v", got)
	}
	if !strings.Contains(notes.String(), "cannot watch pods in namespace "+testNS) || !strings.Contains(notes.String(), "listing them every 20ms") {
		t.Errorf("notes %q", notes.String())
	}
	// Listing forbidden too: the feed ends with the permission named.
	forbidList.Store(true)
	select {
	case err := <-done:
		var pe *PermissionError
		if !errors.As(err, &pe) || pe.Permission() != "list pods in namespace "+testNS {
			t.Errorf("err = %v, want list pods permission error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the feed did not stop when listing became forbidden")
	}
}

// The feed drives Streamer.Track end to end: a pod created while following
// is read, one deleted is dropped, and cancelling ends Track with nil.
func TestFeedDrivesTrack(t *testing.T) {
	cs := fake.NewClientset(testPod("r1", registryLabels, "registry"))
	watching := make(chan struct{}, 10)
	cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		watching <- struct{}{}
		return false, nil, nil
	})
	bodies := map[string]string{
		"r1": "2026-01-01T10:00:00.000000001Z time=\"2026-01-01T10:00:00Z\" level=info msg=one\n",
		"r2": "2026-01-01T10:00:01.000000001Z time=\"2026-01-01T10:00:01Z\" level=info msg=two\n",
	}
	// The fake's GetLogs action does not carry the pod name, so the log
	// bodies come from a Source that serves them by pod, with the statuses
	// from the fake clientset.
	src := &bodySource{PodSource: NewPodSource(cs.CoreV1()), bodies: bodies, served: map[string]bool{}}
	var out, notes syncBuffer
	p := NewPrinter(&out, PrintOptions{Prefix: true})
	s, err := NewStreamer(Options{Source: src, Printer: p, Notes: &notes, Follow: true, RemoveGrace: 10 * time.Millisecond,
		Backoff: wait.Backoff{Duration: 10 * time.Millisecond, Factor: 1, Steps: math.MaxInt32}})
	if err != nil {
		t.Fatal(err)
	}
	sets, feedDone, cancelFeed := runFeed(t, cs, &notes)
	defer cancelFeed()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	trackDone := make(chan error, 1)
	go func() { trackDone <- s.Track(ctx, sets) }()
	waitForText(t, &out, "[r1] time=\"2026-01-01T10:00:00Z\" level=info msg=one")
	<-watching
	if _, err := cs.CoreV1().Pods(testNS).Create(context.Background(), testPod("r2", registryLabels, "registry"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForText(t, &out, "[r2] time=\"2026-01-01T10:00:01Z\" level=info msg=two")
	waitForText(t, &notes, "pod r2 container registry appeared; following it")
	if err := cs.CoreV1().Pods(testNS).Delete(context.Background(), "r1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForText(t, &notes, "pod r1 container registry no longer matches")
	cancel()
	if err := <-trackDone; err != nil {
		t.Errorf("Track after cancel: %v", err)
	}
	cancelFeed()
	if err := <-feedDone; err != nil {
		t.Errorf("feed: %v", err)
	}
	if n := strings.Count(out.String(), "msg=one"); n != 1 {
		t.Errorf("line of r1 printed %d times:\n%s", n, out.String())
	}
}

// bodySource serves each pod's body once, then holds the stream open until
// ctx ends, as a quiet followed container does.
type bodySource struct {
	*PodSource
	mu     sync.Mutex
	bodies map[string]string
	served map[string]bool
}

func (b *bodySource) OpenLog(ctx context.Context, r LogRequest) (io.ReadCloser, error) {
	b.mu.Lock()
	body := b.bodies[r.Pod]
	if b.served[r.Pod] {
		body = ""
	}
	b.served[r.Pod] = true
	b.mu.Unlock()
	pr, pw := io.Pipe()
	go func() {
		io.WriteString(pw, body)
		<-ctx.Done()
		pw.Close()
	}()
	return pr, nil
}

func waitForText(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s", want, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
