package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
)

// This file is the client-go side: a Source over the pod log API, the pod
// query that turns pods into targets, and the feed that keeps Track's set
// up to date from a pod watch. It needs only a PodsGetter (CoreV1Interface
// is one), which the fake clientset also provides.

// PermissionError is a Forbidden answer from the API, with the permission
// that was missing in words a user can ask an admin for ("get pods/log in
// namespace openshift-image-registry"). It unwraps to the API error, so
// apierrors.IsForbidden still holds.
type PermissionError struct {
	Verb, Resource, Namespace string
	Err                       error
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("no permission to %s: %v", e.Permission(), e.Err)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// Permission names what is missing: "get pods/log in namespace X".
func (e *PermissionError) Permission() string {
	return fmt.Sprintf("%s %s in namespace %s", e.Verb, e.Resource, e.Namespace)
}

// permission wraps err in a PermissionError when it is Forbidden.
func permission(err error, verb, resource, namespace string) error {
	if err != nil && apierrors.IsForbidden(err) {
		return &PermissionError{Verb: verb, Resource: resource, Namespace: namespace, Err: err}
	}
	return err
}

// PodSource is the Source over client-go's pod API.
type PodSource struct {
	pods coreclient.PodsGetter

	mu   sync.Mutex
	uids map[podKey]types.UID // the pod each name was first seen as
}

type podKey struct{ namespace, name string }

// NewPodSource returns a Source reading logs and statuses through pods.
func NewPodSource(pods coreclient.PodsGetter) *PodSource {
	return &PodSource{pods: pods, uids: map[podKey]types.UID{}}
}

// OpenLog opens one log stream; followed streams always carry timestamps
// (see LogRequest).
func (s *PodSource) OpenLog(ctx context.Context, r LogRequest) (io.ReadCloser, error) {
	opts := &corev1.PodLogOptions{
		Container:    r.Container,
		Follow:       r.Follow,
		Previous:     r.Previous,
		Timestamps:   r.Timestamps || r.Follow,
		SinceSeconds: r.SinceSeconds,
		TailLines:    r.TailLines,
	}
	if r.SinceTime != nil {
		t := metav1.NewTime(*r.SinceTime)
		opts.SinceTime = &t
	}
	rc, err := s.pods.Pods(r.Namespace).GetLogs(r.Pod, opts).Stream(ctx)
	return rc, permission(err, "get", "pods/log", r.Namespace)
}

// ContainerStatus reads the pod. A pod that is not found, is being deleted
// with nothing left running, or was replaced by another pod of the same name
// (a new UID) is PodGone.
func (s *PodSource) ContainerStatus(ctx context.Context, t Target) (ContainerStatus, error) {
	pod, err := s.pods.Pods(t.Namespace).Get(ctx, t.Pod, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ContainerStatus{PodGone: true}, nil
	}
	if err != nil {
		return ContainerStatus{}, permission(err, "get", "pods", t.Namespace)
	}
	key := podKey{t.Namespace, t.Pod}
	s.mu.Lock()
	uid, seen := s.uids[key]
	if !seen {
		s.uids[key] = pod.UID
	}
	s.mu.Unlock()
	if seen && uid != pod.UID {
		return ContainerStatus{PodGone: true}, nil
	}
	return containerStatusOf(pod, t.Container), nil
}

// containerStatusOf is the pure part of ContainerStatus.
func containerStatusOf(pod *corev1.Pod, container string) ContainerStatus {
	var st ContainerStatus
	cs, init := findStatus(pod, container)
	anyRunning := false
	for _, c := range pod.Status.ContainerStatuses {
		if c.State.Running != nil {
			anyRunning = true
		}
	}
	if pod.DeletionTimestamp != nil && !anyRunning {
		return ContainerStatus{PodGone: true}
	}
	if cs != nil {
		st.ContainerID = cs.ContainerID
		st.Running = cs.State.Running != nil
	}
	switch {
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		st.Finished = true
	case cs != nil && cs.State.Terminated != nil && !willRestart(pod, container, init, cs.State.Terminated.ExitCode):
		st.Finished = true
	}
	return st
}

func findStatus(pod *corev1.Pod, container string) (cs *corev1.ContainerStatus, init bool) {
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == container {
			return &pod.Status.ContainerStatuses[i], false
		}
	}
	for i := range pod.Status.InitContainerStatuses {
		if pod.Status.InitContainerStatuses[i].Name == container {
			return &pod.Status.InitContainerStatuses[i], true
		}
	}
	return nil, false
}

// willRestart says whether the kubelet starts a terminated container again.
func willRestart(pod *corev1.Pod, container string, init bool, exitCode int32) bool {
	if init {
		// A sidecar (restartPolicy Always) restarts; a plain init container
		// that succeeded never runs again.
		for _, c := range pod.Spec.InitContainers {
			if c.Name == container && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				return true
			}
		}
		return exitCode != 0
	}
	switch pod.Spec.RestartPolicy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return true
}

// PodQuery says which pods and which of their containers to read.
type PodQuery struct {
	Namespace string
	Selector  string // a label selector, as -l takes it
	// Container names the container to read (-c). Empty means the pod's
	// default: the kubectl.kubernetes.io/default-container annotation, else
	// its first container.
	Container string
	// AllContainers reads every container of the pod (not init containers).
	AllContainers bool
}

// DefaultContainerAnnotation is kubectl's annotation naming a pod's default
// container.
const DefaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

// List lists the matching pods, sorted by name.
func (q PodQuery) List(ctx context.Context, pods coreclient.PodsGetter) (*corev1.PodList, error) {
	l, err := pods.Pods(q.Namespace).List(ctx, metav1.ListOptions{LabelSelector: q.Selector})
	if err != nil {
		return nil, permission(err, "list", "pods", q.Namespace)
	}
	sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].Name < l.Items[j].Name })
	return l, nil
}

// Targets turns pods into the containers to read. With startedOnly (reading
// once, without -f) a container that has not started has no log yet, and is
// left out with a note instead of failing the whole read; a follower waits
// for it. A pod that lacks the container asked for with -c is left out with
// a note.
func (q PodQuery) Targets(pods []corev1.Pod, startedOnly bool) (targets []Target, notes []string) {
	for i := range pods {
		pod := &pods[i]
		for _, c := range q.containers(pod) {
			if c == "" {
				notes = append(notes, fmt.Sprintf("pod %s has no container %q; skipped", pod.Name, q.Container))
				continue
			}
			t := Target{Namespace: pod.Namespace, Pod: pod.Name, Container: c}
			if t.Namespace == "" {
				t.Namespace = q.Namespace
			}
			if startedOnly && !hasLog(pod, c) {
				notes = append(notes, fmt.Sprintf("%s has not started yet; no log to read", t))
				continue
			}
			targets = append(targets, t)
		}
	}
	return targets, notes
}

// containers returns the container names to read in pod; "" stands for a
// container asked for that the pod lacks.
func (q PodQuery) containers(pod *corev1.Pod) []string {
	has := func(name string) bool {
		for _, c := range pod.Spec.Containers {
			if c.Name == name {
				return true
			}
		}
		for _, c := range pod.Spec.InitContainers {
			if c.Name == name {
				return true
			}
		}
		return false
	}
	switch {
	case q.AllContainers:
		names := make([]string, 0, len(pod.Spec.Containers))
		for _, c := range pod.Spec.Containers {
			names = append(names, c.Name)
		}
		return names
	case q.Container != "":
		if has(q.Container) {
			return []string{q.Container}
		}
		return []string{""}
	}
	if name := pod.Annotations[DefaultContainerAnnotation]; name != "" && has(name) {
		return []string{name}
	}
	if len(pod.Spec.Containers) > 0 {
		return []string{pod.Spec.Containers[0].Name}
	}
	return nil
}

// hasLog reports whether the container has run, so that the kubelet has a
// log for it.
func hasLog(pod *corev1.Pod, container string) bool {
	cs, _ := findStatus(pod, container)
	return cs != nil && (cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil)
}

// Feed keeps Streamer.Track's set of targets up to date: it sends the set
// of a first list, then a new set whenever a pod watch reports pods coming
// or going. Where watching is not allowed or keeps failing, it lists every
// PollInterval instead, with a note.
type Feed struct {
	Pods  coreclient.PodsGetter
	Query PodQuery
	// Notes receives the feed's own notes (falling back to polling, list
	// failures); pods coming and going are noted by Track.
	Notes io.Writer
	// PollInterval spaces lists when watching fails (default 2s).
	PollInterval time.Duration
}

// Run sends sets until ctx ends, then returns nil. It starts from first,
// the list the command already made (its resourceVersion is where the watch
// starts). It returns an error only when pods may no longer be listed.
// It never closes sets.
func (f *Feed) Run(ctx context.Context, first *corev1.PodList, sets chan<- []Target) error {
	if f.PollInterval <= 0 {
		f.PollInterval = 2 * time.Second
	}
	if f.Notes == nil {
		f.Notes = io.Discard
	}
	// The server filters by label; the selector is checked here too, so
	// that a watch that does not (a fake, a proxy) cannot add strangers.
	sel, err := labels.Parse(f.Query.Selector)
	if err != nil {
		return fmt.Errorf("invalid selector %q: %w", f.Query.Selector, err)
	}
	st := &feedState{f: f, sel: sel, sets: sets, pods: map[string]*corev1.Pod{}}
	st.reset(first)
	if !st.send(ctx) {
		return nil
	}
	rv := first.ResourceVersion
	failures := 0
	for ctx.Err() == nil {
		next, err := st.watch(ctx, rv)
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			rv, failures = next, 0
			continue
		case apierrors.IsForbidden(err) || apierrors.IsMethodNotSupported(err):
			fmt.Fprintf(f.Notes, "cannot watch pods in namespace %s (%v); listing them every %s instead\n", f.Query.Namespace, err, f.PollInterval)
			return st.poll(ctx)
		}
		// Expired resource versions and dropped connections: list again
		// and watch from there. A run of failures means the watch does not
		// work here at all.
		if failures++; failures >= 3 {
			fmt.Fprintf(f.Notes, "watching pods in namespace %s keeps failing (%v); listing them every %s instead\n", f.Query.Namespace, err, f.PollInterval)
			return st.poll(ctx)
		}
		if !sleepCtx(ctx, time.Duration(failures)*f.PollInterval/2) {
			return nil
		}
		l, err := f.Query.List(ctx, f.Pods)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if apierrors.IsForbidden(err) {
				return err
			}
			continue
		}
		st.reset(l)
		if !st.send(ctx) {
			return nil
		}
		rv = l.ResourceVersion
	}
	return nil
}

type feedState struct {
	f    *Feed
	sel  labels.Selector
	sets chan<- []Target
	pods map[string]*corev1.Pod
	last []Target
	sent bool
}

func (st *feedState) reset(l *corev1.PodList) {
	clear(st.pods)
	for i := range l.Items {
		if st.sel.Matches(labels.Set(l.Items[i].Labels)) {
			st.pods[l.Items[i].Name] = &l.Items[i]
		}
	}
}

// send sends the current set if it changed. It is false when ctx ended.
func (st *feedState) send(ctx context.Context) bool {
	names := make([]string, 0, len(st.pods))
	for n := range st.pods {
		names = append(names, n)
	}
	sort.Strings(names)
	list := make([]corev1.Pod, 0, len(names))
	for _, n := range names {
		list = append(list, *st.pods[n])
	}
	set, _ := st.f.Query.Targets(list, false)
	if st.sent && slices.Equal(set, st.last) {
		return ctx.Err() == nil
	}
	select {
	case st.sets <- set:
		st.last, st.sent = set, true
		return true
	case <-ctx.Done():
		return false
	}
}

// watch watches from rv until the watch ends, and returns the resource
// version to go on from. An error means: list again.
func (st *feedState) watch(ctx context.Context, rv string) (string, error) {
	w, err := st.f.Pods.Pods(st.f.Query.Namespace).Watch(ctx, metav1.ListOptions{
		LabelSelector:       st.f.Query.Selector,
		ResourceVersion:     rv,
		AllowWatchBookmarks: true,
	})
	if err != nil {
		return rv, permission(err, "watch", "pods", st.f.Query.Namespace)
	}
	defer w.Stop()
	got := false
	for {
		select {
		case <-ctx.Done():
			return rv, nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				if !got {
					// Ended at once: treat it as a failure so that a
					// server that closes every watch ends up polled.
					return rv, errors.New("the watch ended at once")
				}
				return rv, nil
			}
			got = true
			if ev.Type == watch.Error {
				return rv, apierrors.FromObject(ev.Object)
			}
			pod, isPod := ev.Object.(*corev1.Pod)
			if !isPod {
				continue
			}
			if pod.ResourceVersion != "" {
				rv = pod.ResourceVersion
			}
			switch ev.Type {
			case watch.Added, watch.Modified:
				if st.sel.Matches(labels.Set(pod.Labels)) {
					st.pods[pod.Name] = pod
				} else {
					delete(st.pods, pod.Name) // relabelled away
				}
			case watch.Deleted:
				delete(st.pods, pod.Name)
			default:
				continue // bookmarks only move rv
			}
			if !st.send(ctx) {
				return rv, nil
			}
		}
	}
}

// poll lists every PollInterval until ctx ends. A list that fails is noted
// once per run of failures; one that is forbidden ends the feed.
func (st *feedState) poll(ctx context.Context) error {
	failing := false
	err := wait.PollUntilContextCancel(ctx, st.f.PollInterval, false, func(ctx context.Context) (bool, error) {
		l, err := st.f.Query.List(ctx, st.f.Pods)
		switch {
		case ctx.Err() != nil:
			return true, nil
		case apierrors.IsForbidden(err):
			return false, err
		case err != nil:
			if !failing {
				failing = true
				fmt.Fprintf(st.f.Notes, "listing pods in namespace %s: %v; retrying\n", st.f.Query.Namespace, err)
			}
			return false, nil
		}
		failing = false
		st.reset(l)
		return !st.send(ctx), nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}
