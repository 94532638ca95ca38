package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/logs"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// Registry lines as the kubelet serves them (timestamps=true).
const (
	lineInfo  = `2026-01-01T10:00:00.000000001Z time="2026-01-01T10:00:00.1Z" level=info msg="response completed" http.request.method=GET http.response.status=200 openshift.auth.user=alice vars.name=p/app vars.reference=latest`
	lineError = `2026-01-01T10:00:01.000000001Z time="2026-01-01T10:00:01.1Z" level=error msg="response completed with error" err.code=DENIED http.request.method=PUT http.response.status=403 openshift.auth.user=bob vars.name=p/app`
	lineWarn  = `2026-01-01T10:00:02.000000001Z time="2026-01-01T10:00:02.1Z" level=warning msg="blob upload slow" vars.name=p/web`
)

// content drops the kubelet timestamp, as printed without --timestamps.
func content(line string) string { return line[strings.IndexByte(line, ' ')+1:] }

// podLogs is a logs.Source that serves fixed bodies by pod, and reports
// every container finished, so that following ends each stream after its
// body. The fake clientset cannot do this: its GetLogs is the same body for
// every pod.
type podLogs struct {
	mu     sync.Mutex
	bodies map[string]string
	opened []logs.LogRequest
}

func (p *podLogs) OpenLog(_ context.Context, r logs.LogRequest) (io.ReadCloser, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opened = append(p.opened, r)
	body, ok := p.bodies[r.Pod]
	if !ok {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, r.Pod)
	}
	if !r.Timestamps && !r.Follow {
		// The kubelet sends the stamp only when asked.
		body = kubeletStamp.ReplaceAllString(body, "")
	}
	return io.NopCloser(strings.NewReader(body)), nil
}

var kubeletStamp = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT[0-9:.]+Z `)

func (p *podLogs) ContainerStatus(context.Context, logs.Target) (logs.ContainerStatus, error) {
	return logs.ContainerStatus{Finished: true, ContainerID: "cri-o://1"}, nil
}

func registryPod(ns, name string, lbls map[string]string) *corev1.Pod {
	if lbls == nil {
		lbls = map[string]string{"docker-registry": "default"}
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: lbls, UID: types.UID("uid-" + name)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "registry"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "registry", ContainerID: "cri-o://" + name,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		}}},
	}
}

// twoRegistryPods: two registry pods, and a decoy in the current context's
// namespace that logs must not read unless -n says so.
func twoRegistryPods() *fake.Clientset {
	return fake.NewClientset(
		registryPod("openshift-image-registry", "image-registry-a", nil),
		registryPod("openshift-image-registry", "image-registry-b", nil),
		registryPod("team-a", "decoy", nil),
	)
}

func twoBodies() *podLogs {
	return &podLogs{bodies: map[string]string{
		"image-registry-a": lineInfo + "\n" + lineError + "\n",
		"image-registry-b": lineWarn + "\n",
		"decoy":            lineError + "\n",
	}}
}

// testKubeconfig has a context whose namespace is team-a, to show that logs
// reads openshift-image-registry all the same.
func testKubeconfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	err := os.WriteFile(p, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: team-a}}]
current-context: x
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// lockedBuffer may be read while the command writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runLogsCmd runs `logs ARGS` under a root with the kube flags, with the
// fakes injected in place of the clients Complete would build.
func runLogsCmd(ctx context.Context, t *testing.T, inject func(*LogsOptions), out, errOut io.Writer, args ...string) error {
	t.Helper()
	kf := &kube.Flags{}
	root := &cobra.Command{Use: "oc-registry", SilenceErrors: true, SilenceUsage: true}
	kf.AddFlags(root.PersistentFlags())
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}
	root.AddCommand(newCmdLogs(NewFactory(kf), streams, func(o *LogsOptions) {
		o.PollInterval = 20 * time.Millisecond
		inject(o)
	}))
	root.SetOut(out)
	root.SetErr(errOut)
	root.SetArgs(append([]string{"logs", "--kubeconfig", testKubeconfig(t)}, args...))
	return root.ExecuteContext(ctx)
}

func runLogs(t *testing.T, inject func(*LogsOptions), args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runLogsCmd(context.Background(), t, inject, &out, &errOut, args...)
	return out.String(), errOut.String(), err
}

func withFakes(cs *fake.Clientset, src logs.Source) func(*LogsOptions) {
	return func(o *LogsOptions) {
		o.Pods = cs.CoreV1()
		o.Source = src
	}
}

func TestLogsMergesRegistryPodsWithPrefix(t *testing.T) {
	out, _, err := runLogs(t, withFakes(twoRegistryPods(), twoBodies()))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"[image-registry-a] " + content(lineInfo),
		"[image-registry-a] " + content(lineError),
		"[image-registry-b] " + content(lineWarn),
	}
	for _, w := range want {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("missing %q in:\n%s", w, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 3 {
		t.Errorf("%d lines, want 3 (the decoy in the context's namespace must not be read):\n%s", n, out)
	}
	if strings.Contains(out, "2026-01-01T10:00:00.000000001Z") {
		t.Errorf("kubelet timestamps printed without --timestamps:\n%s", out)
	}
}

func TestLogsLevelFilterDropsLines(t *testing.T) {
	out, _, err := runLogs(t, withFakes(twoRegistryPods(), twoBodies()), "--level", "warn", "--prefix=false", "--timestamps")
	if err != nil {
		t.Fatal(err)
	}
	want := lineError + "\n" + lineWarn + "\n"
	// Pods are merged by arrival: compare as a set of lines.
	if len(out) != len(want) || !strings.Contains(out, lineError+"\n") || !strings.Contains(out, lineWarn+"\n") {
		t.Errorf("--level warn printed:\n%s\nwant the error and the warning, with timestamps, no prefix", out)
	}
}

func TestLogsFieldFiltersAndJSON(t *testing.T) {
	out, _, err := runLogs(t, withFakes(twoRegistryPods(), twoBodies()), "--repo", "p/*", "--status", "4xx", "-o", "json", "--timestamps")
	if err != nil {
		t.Fatal(err)
	}
	// Without --timestamps (and -f) the kubelet is not asked for them.
	if plain, _, err := runLogs(t, withFakes(twoRegistryPods(), twoBodies()), "--repo", "p/*", "--status", "4xx", "-o", "json"); err != nil || strings.Contains(plain, "kubelet_time") || !strings.Contains(plain, `"time":"2026-01-01T10:00:01.1Z"`) {
		t.Fatalf("-o json without --timestamps: %v\n%s", err, plain)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line (the 403), got:\n%s", out)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatalf("not one JSON object of strings: %v\n%s", err, lines[0])
	}
	want := map[string]string{
		"pod": "image-registry-a", "container": "registry",
		"kubelet_time": "2026-01-01T10:00:01.000000001Z", "time": "2026-01-01T10:00:01.1Z",
		"level": "error", "msg": "response completed with error",
		"err.code": "DENIED", "http.request.method": "PUT", "http.response.status": "403",
		"openshift.auth.user": "bob", "vars.name": "p/app",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("json\n got %v\nwant %v", got, want)
	}
}

func TestLogsNamespaceAndSelectorFlags(t *testing.T) {
	src := twoBodies()
	out, _, err := runLogs(t, withFakes(twoRegistryPods(), src), "-n", "team-a", "--tail", "5", "--since", "90s")
	if err != nil {
		t.Fatal(err)
	}
	if out != content(lineError)+"\n" {
		t.Errorf("-n team-a: got %q, want the decoy's line alone, unprefixed", out)
	}
	if len(src.opened) != 1 {
		t.Fatalf("opened %v", src.opened)
	}
	r := src.opened[0]
	if r.Namespace != "team-a" || r.TailLines == nil || *r.TailLines != 5 || r.SinceSeconds == nil || *r.SinceSeconds != 90 || r.Follow {
		t.Errorf("request %+v", r)
	}

	nodeCA := fake.NewClientset(registryPod("openshift-image-registry", "node-ca-x", map[string]string{"name": "node-ca"}),
		registryPod("openshift-image-registry", "image-registry-a", nil))
	out, _, err = runLogs(t, withFakes(nodeCA, &podLogs{bodies: map[string]string{"node-ca-x": "2026-01-01T10:00:00Z copied ca\n", "image-registry-a": lineInfo + "\n"}}), "--node-ca")
	if err != nil || out != "copied ca\n" {
		t.Errorf("--node-ca: %q %v", out, err)
	}
}

func TestLogsNoPods(t *testing.T) {
	cs := fake.NewClientset(registryPod("elsewhere", "image-registry-a", nil))
	_, _, err := runLogs(t, withFakes(cs, twoBodies()))
	want := "no registry pods in namespace openshift-image-registry (selector docker-registry=default): the registry is not deployed here, or pass -n/-l"
	if err == nil || err.Error() != want || clierr.Code(err) != clierr.CodeError {
		t.Errorf("err = %v (code %d), want %q, code 1", err, clierr.Code(err), want)
	}
	_, _, err = runLogs(t, withFakes(cs, twoBodies()), "-l", "app=nothing")
	if err == nil || !strings.Contains(err.Error(), "no pods in namespace openshift-image-registry match selector app=nothing") {
		t.Errorf("-l: err = %v", err)
	}
	_, _, err = runLogs(t, withFakes(twoRegistryPods(), twoBodies()), "-c", "nope")
	if err == nil || !strings.Contains(err.Error(), `none of the 2 registry pods in namespace openshift-image-registry has a container "nope"`) {
		t.Errorf("-c nope: err = %v", err)
	}
}

func TestLogsUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--status", "abc"}, `invalid --status "abc"`},
		{[]string{"--status", ">=abc"}, `invalid --status ">=abc"`},
		{[]string{"--grep", "("}, `invalid --grep "("`},
		{[]string{"--exclude", "[a"}, `invalid --exclude "[a"`},
		{[]string{"--level", "loud"}, `invalid --level "loud"`},
		{[]string{"--repo", "p/[a"}, `invalid --repo "p/[a"`},
		{[]string{"--since", "yesterday"}, `invalid argument "yesterday" for "--since"`},
		{[]string{"--since-time", "2026-01-01"}, `invalid --since-time "2026-01-01"`},
		{[]string{"--since", "1h", "--since-time", "2026-01-01T00:00:00Z"}, "--since and --since-time"},
		{[]string{"-c", "registry", "--all-containers"}, "--all-containers"},
		{[]string{"--node-ca", "-l", "a=b"}, "--node-ca and -l/--selector"},
		{[]string{"--color", "pink"}, `invalid --color "pink"`},
		{[]string{"-o", "yaml"}, `invalid --output "yaml"`},
		{[]string{"--tail", "-2"}, "invalid --tail -2"},
		{[]string{"--max-log-requests", "0"}, "invalid --max-log-requests 0"},
		{[]string{"--dry-run"}, "--dry-run applies to --set-level only"},
		{[]string{"--set-level", "Loud"}, `invalid --set-level "Loud"`},
		{[]string{"--set-level", "Debug", "-f"}, "--set-level changes the log level and reads no logs: drop --follow"},
		{[]string{"extra"}, "unknown command"},
	}
	for _, tt := range tests {
		// The real root: usage errors come before any kubeconfig is read,
		// so none is needed here.
		_, _, err := execute("oc-registry", append([]string{"logs"}, tt.args...)...)
		if clierr.Code(err) != clierr.CodeUsage || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: err = %v (code %d), want one line with %q, code 2", tt.args, err, clierr.Code(err), tt.want)
		}
	}
}

func TestLogsForbidden(t *testing.T) {
	forbid := func(resource, sub string) *fake.Clientset {
		cs := twoRegistryPods()
		verb := "get"
		if sub == "" {
			verb = "list"
		}
		cs.PrependReactor(verb, "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
			if a.GetSubresource() != sub {
				return false, nil, nil
			}
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errors.New(`User "alice" cannot `+verb+` resource "`+resource+`"`))
		})
		return cs
	}
	tests := []struct {
		name, resource, sub, want string
		args                      []string
	}{
		// The real Source over the fake clientset: pods/log is forbidden.
		{"pods/log", "pods/log", "log", "no permission to get pods/log in namespace openshift-image-registry", nil},
		{"pods/log while following", "pods/log", "log", "no permission to get pods/log in namespace openshift-image-registry", []string{"-f"}},
		{"listing pods", "pods", "", "no permission to list pods in namespace openshift-image-registry", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := forbid(tt.resource, tt.sub)
			_, _, err := runLogs(t, withFakes(cs, nil), tt.args...)
			if clierr.Code(err) != clierr.CodeForbidden || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (code %d), want code 4 naming %q", err, clierr.Code(err), tt.want)
			}
			var ce *clierr.Error
			if !errors.As(err, &ce) || !strings.Contains(ce.Hint, "get pods/log") {
				t.Errorf("hint missing the permission: %+v", ce)
			}
		})
	}
}

func TestLogsTooManyStreams(t *testing.T) {
	_, _, err := runLogs(t, withFakes(twoRegistryPods(), twoBodies()), "-f", "--max-log-requests", "1")
	var tm *logs.TooManyStreamsError
	if !errors.As(err, &tm) || !strings.Contains(err.Error(), "raise it or narrow with -l") {
		t.Errorf("err = %v, want TooManyStreamsError", err)
	}
}

// With -f: lines of every pod, then of a pod created while following, and
// Ctrl-C (a cancelled context) ends the command with nil: exit 0.
func TestLogsFollowPicksUpNewPodsAndEndsCleanly(t *testing.T) {
	cs := twoRegistryPods()
	watching := make(chan struct{}, 10)
	cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		watching <- struct{}{}
		return false, nil, nil
	})
	src := twoBodies()
	src.bodies["image-registry-c"] = lineWarn + "\n"
	var out, errOut lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runLogsCmd(ctx, t, withFakes(cs, src), &out, &errOut, "-f", "--level", "warn") }()
	waitText(t, &out, "[image-registry-a] "+content(lineError))
	waitText(t, &out, "[image-registry-b] "+content(lineWarn))
	<-watching
	if _, err := cs.CoreV1().Pods("openshift-image-registry").Create(context.Background(),
		registryPod("openshift-image-registry", "image-registry-c", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitText(t, &out, "[image-registry-c] "+content(lineWarn))
	waitText(t, &errOut, "pod image-registry-c container registry appeared; following it")
	cancel()
	select {
	case err := <-done:
		if err != nil || clierr.Code(err) != 0 {
			t.Errorf("after Ctrl-C: err = %v, want nil (exit 0)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("logs -f did not end on cancel")
	}
	if strings.Contains(out.String(), "response completed\"") {
		t.Errorf("info line printed through --level warn:\n%s", out.String())
	}
}

// While following, losing the right to list pods ends the command with
// that permission named, not with a silent stop.
func TestLogsFollowEndsWhenPodsMayNoLongerBeListed(t *testing.T) {
	cs := twoRegistryPods()
	cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no watch"))
	})
	var mu sync.Mutex
	lists := 0
	cs.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if lists++; lists > 1 {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no list"))
		}
		return false, nil, nil
	})
	var out, errOut lockedBuffer
	err := runLogsCmd(context.Background(), t, withFakes(cs, twoBodies()), &out, &errOut, "-f")
	if clierr.Code(err) != clierr.CodeForbidden || !strings.Contains(err.Error(), "no permission to list pods in namespace openshift-image-registry") {
		t.Errorf("err = %v (code %d), want code 4 naming list pods", err, clierr.Code(err))
	}
	if !strings.Contains(errOut.String(), "cannot watch pods in namespace openshift-image-registry") {
		t.Errorf("no note of the fallback to polling:\n%s", errOut.String())
	}
	if !strings.Contains(out.String(), content(lineWarn)) {
		t.Errorf("nothing read before the end:\n%s", out.String())
	}
}

func waitText(t *testing.T, b *lockedBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s", want, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLogsColor(t *testing.T) {
	out, _, err := runLogs(t, withFakes(twoRegistryPods(), twoBodies()), "--color", "always", "--level", "error")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "\x1b[36m[image-registry-a]\x1b[0m ") {
		t.Errorf("--color always: %q", out)
	}
	t.Setenv("NO_COLOR", "1")
	o := &LogsOptions{Color: "auto", IOStreams: genericiooptions.IOStreams{Out: os.Stdout}}
	if o.color() {
		t.Error("NO_COLOR set, and auto still colours")
	}
	o.Color = "always"
	if !o.color() {
		t.Error("--color always must win over NO_COLOR")
	}
}

var registryConfig = schema.GroupVersionResource{Group: "imageregistry.operator.openshift.io", Version: "v1", Resource: "configs"}

func fakeDynamic(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{registryConfig: "ConfigList"}, objs...)
}

func operatorConfig(level string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "imageregistry.operator.openshift.io/v1",
		"kind":       "Config",
		"metadata":   map[string]any{"name": "cluster"},
		"spec":       map[string]any{"managementState": "Managed", "logLevel": level},
	}}
}

func withDynamic(dyn *dynamicfake.FakeDynamicClient) func(*LogsOptions) {
	return func(o *LogsOptions) { o.Dynamic = dyn }
}

func currentLevel(t *testing.T, dyn *dynamicfake.FakeDynamicClient) string {
	t.Helper()
	u, err := dyn.Resource(registryConfig).Get(context.Background(), "cluster", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l, _, _ := unstructured.NestedString(u.Object, "spec", "logLevel")
	return l
}

func TestSetLevelDryRun(t *testing.T) {
	dyn := fakeDynamic(operatorConfig("Normal"))
	out, errOut, err := runLogs(t, withDynamic(dyn), "--set-level", "debug", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if out != `{"spec":{"logLevel":"Debug"}}`+"\n" {
		t.Errorf("stdout %q, want the merge patch", out)
	}
	for _, w := range []string{"dry run: would merge-patch configs.imageregistry.operator.openshift.io/cluster (spec.logLevel Normal -> Debug); nothing was sent",
		"maps Normal to the registry's info level and Debug, Trace and TraceAll to debug", "rolls out new registry pods"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	for _, a := range dyn.Actions() {
		if a.GetVerb() == "patch" {
			t.Errorf("--dry-run sent a patch: %v", a)
		}
	}
	if l := currentLevel(t, dyn); l != "Normal" {
		t.Errorf("level after --dry-run: %s", l)
	}
}

func TestSetLevelPatches(t *testing.T) {
	dyn := fakeDynamic(operatorConfig("Normal"))
	out, errOut, err := runLogs(t, withDynamic(dyn), "--set-level", "TraceAll")
	if err != nil {
		t.Fatal(err)
	}
	if l := currentLevel(t, dyn); l != "TraceAll" {
		t.Errorf("spec.logLevel = %q, want TraceAll", l)
	}
	var patched bool
	for _, a := range dyn.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok && a.GetVerb() == "patch" {
			patched = true
			if p.GetPatchType() != types.MergePatchType || string(p.GetPatch()) != `{"spec":{"logLevel":"TraceAll"}}` {
				t.Errorf("patch %s %s", p.GetPatchType(), p.GetPatch())
			}
		}
	}
	if !patched {
		t.Error("no patch sent")
	}
	if out != "configs.imageregistry.operator.openshift.io/cluster: spec.logLevel Normal -> TraceAll\n" {
		t.Errorf("stdout %q", out)
	}
	if !strings.Contains(errOut, "rolls out new registry pods") {
		t.Errorf("stderr %q", errOut)
	}

	// Again: nothing to change, nothing sent.
	before := len(dyn.Actions())
	out, _, err = runLogs(t, withDynamic(dyn), "--set-level", "TraceAll")
	if err != nil || !strings.Contains(out, "already TraceAll; nothing to change") {
		t.Errorf("same level: %q %v", out, err)
	}
	for _, a := range dyn.Actions()[before:] {
		if a.GetVerb() == "patch" {
			t.Error("patched although the level was already set")
		}
	}
}

func TestSetLevelErrors(t *testing.T) {
	// No config object: the operator has not made it.
	_, _, err := runLogs(t, withDynamic(fakeDynamic()), "--set-level", "Debug")
	if err == nil || !strings.Contains(err.Error(), "configs.imageregistry.operator.openshift.io/cluster not found") || clierr.Code(err) != clierr.CodeError {
		t.Errorf("missing config: %v (code %d)", err, clierr.Code(err))
	}

	// No such resource: not OpenShift. A server without the API answers a
	// Status that names no object.
	dyn := fakeDynamic()
	dyn.PrependReactor("get", "configs", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: 404,
			Reason: metav1.StatusReasonNotFound, Message: "the server could not find the requested resource", Details: &metav1.StatusDetails{}}}
	})
	_, _, err = runLogs(t, withDynamic(dyn), "--set-level", "Debug")
	if err == nil || !strings.Contains(err.Error(), "this cluster has no configs.imageregistry.operator.openshift.io resource: it is not OpenShift") {
		t.Errorf("no resource: %v", err)
	}
	// An old server's plain 404 page, as client-go reports it.
	dyn = fakeDynamic()
	dyn.PrependReactor("get", "configs", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewGenericServerResponse(404, "get", schema.GroupResource{Group: registryConfig.Group, Resource: "configs"}, "cluster", "404 page not found", 0, true)
	})
	_, _, err = runLogs(t, withDynamic(dyn), "--set-level", "Debug")
	if err == nil || !strings.Contains(err.Error(), "this cluster has no configs.imageregistry.operator.openshift.io resource") {
		t.Errorf("plain 404: %v", err)
	}

	// Forbidden patch: exit 4, the permission named.
	dyn = fakeDynamic(operatorConfig("Normal"))
	dyn.PrependReactor("patch", "configs", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: registryConfig.Group, Resource: "configs"}, "cluster", errors.New("no"))
	})
	_, _, err = runLogs(t, withDynamic(dyn), "--set-level", "Debug")
	if clierr.Code(err) != clierr.CodeForbidden || !strings.Contains(err.Error(), "no permission to patch configs.imageregistry.operator.openshift.io") {
		t.Errorf("forbidden: %v (code %d)", err, clierr.Code(err))
	}
	if l := currentLevel(t, dyn); l != "Normal" {
		t.Errorf("level changed despite forbidden: %s", l)
	}
}

func TestLogsHelp(t *testing.T) {
	out, _, err := execute("oc-registry", "logs", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"oc-registry logs -f --level warn", "--set-level", "--max-log-requests int", "(default 10)",
		"--tail int", "(default -1)", "NO_COLOR", "docker-registry=default"} {
		if !strings.Contains(out, w) {
			t.Errorf("help lacks %q", w)
		}
	}
	out, _, _ = execute("oc-registry", "--help")
	if !strings.Contains(out, "logs ") || !strings.Contains(out, "Read, filter and follow the logs of every registry pod") {
		t.Errorf("root help does not list logs:\n%s", out)
	}
}
