package status

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/oc-registry/oc-registry/internal/golden"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/pkg/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var (
	created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now     = created.Add(75 * time.Minute)
)

// fixture is a cluster like the local one: operator config, Deployment,
// DaemonSet, two registry pods and a node-ca pod, the default route, the
// image config.
type fixture struct {
	config     map[string]any // nil: no operator config
	route      map[string]any // nil: no route
	pods       []*corev1.Pod
	deployment *appsv1.Deployment
	daemonSet  *appsv1.DaemonSet
	forbid     []string // resources whose reads are forbidden
}

func newFixture() *fixture {
	two := int32(2)
	f := &fixture{
		config: map[string]any{
			"spec": map[string]any{"managementState": "Managed", "defaultRoute": true, "replicas": int64(2), "logLevel": "Normal",
				"storage": map[string]any{"emptyDir": map[string]any{}, "managementState": "Managed"}},
			"status": map[string]any{"readyReplicas": int64(2), "conditions": []any{
				cond("Available", "True", "Ready", "The registry is ready"),
				cond("Progressing", "False", "Ready", "The registry is ready"),
				cond("Degraded", "False", "AsExpected", ""),
			}},
		},
		route: map[string]any{
			"spec": map[string]any{"host": "default-route-openshift-image-registry.apps.example.com"},
			"status": map[string]any{"ingress": []any{map[string]any{"host": "default-route-openshift-image-registry.apps.example.com",
				"routerName": "default", "conditions": []any{map[string]any{"type": "Admitted", "status": "True"}}}}},
		},
		deployment: &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: DeploymentName, Namespace: cluster.Namespace},
			Spec:   appsv1.DeploymentSpec{Replicas: &two},
			Status: appsv1.DeploymentStatus{Replicas: 2, ReadyReplicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}},
		daemonSet: &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: DaemonSetName, Namespace: cluster.Namespace},
			Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, NumberReady: 1}},
	}
	f.pods = []*corev1.Pod{
		pod("image-registry-66d9c7b5f4-x7k2p", "docker-registry", "default", "registry", true, 0),
		pod("image-registry-66d9c7b5f4-llrln", "docker-registry", "default", "registry", true, 1),
		pod("node-ca-hjksc", "name", "node-ca", "node-ca", true, 0),
	}
	return f
}

func cond(t, s, reason, msg string) map[string]any {
	c := map[string]any{"type": t, "status": s, "reason": reason, "lastTransitionTime": created.Format(time.RFC3339)}
	if msg != "" {
		c["message"] = msg
	}
	return c
}

func pod(name, label, value, container string, ready bool, restarts int32) *corev1.Pod {
	st := corev1.ConditionTrue
	if !ready {
		st = corev1.ConditionFalse
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: cluster.Namespace, Labels: map[string]string{label: value},
			CreationTimestamp: metav1.NewTime(created)},
		Spec: corev1.PodSpec{NodeName: "worker-0", Containers: []corev1.Container{{Name: container}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: st}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: container, Ready: ready, RestartCount: restarts, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	}
}

func unstr(gvk schema.GroupVersionKind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: fields}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func (f *fixture) clients() Clients {
	var objs []runtime.Object
	for _, p := range f.pods {
		objs = append(objs, p)
	}
	if f.deployment != nil {
		objs = append(objs, f.deployment)
	}
	if f.daemonSet != nil {
		objs = append(objs, f.daemonSet)
	}
	if f.deployment != nil {
		objs = append(objs, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: cluster.ServiceName, Namespace: cluster.Namespace},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "5000-tcp", Port: 5000}}}})
	}
	kube := kubefake.NewClientset(objs...)
	var dobjs []runtime.Object
	if f.config != nil {
		dobjs = append(dobjs, unstr(schema.GroupVersionKind{Group: Configs.Group, Version: "v1", Kind: "Config"}, "", "cluster", f.config))
	}
	if f.route != nil {
		dobjs = append(dobjs, unstr(schema.GroupVersionKind{Group: Routes.Group, Version: "v1", Kind: "Route"}, cluster.Namespace, cluster.RouteName, f.route))
	}
	dobjs = append(dobjs, unstr(schema.GroupVersionKind{Group: "config.openshift.io", Version: "v1", Kind: "Image"}, "", "cluster", map[string]any{
		"status": map[string]any{"internalRegistryHostname": "image-registry.openshift-image-registry.svc:5000",
			"externalRegistryHostnames": []any{"default-route-openshift-image-registry.apps.example.com"}}}))
	lists := map[schema.GroupVersionResource]string{Configs: "ConfigList", Routes: "RouteList", cluster.ImageStreams: "ImageStreamList",
		{Group: "config.openshift.io", Version: "v1", Resource: "images"}: "ImageList"}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists, dobjs...)
	for _, res := range f.forbid {
		forbid := func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: a.GetResource().Group, Resource: a.GetResource().Resource}, "", errors.New("RBAC: access denied"))
		}
		dyn.PrependReactor("*", res, forbid)
		kube.PrependReactor("*", res, forbid)
	}
	return Clients{Core: kube.CoreV1(), Apps: kube.AppsV1(), Dynamic: dyn}
}

func collect(t *testing.T, f *fixture, ns string) *Report {
	t.Helper()
	r, err := Collect(context.Background(), f.clients(), ns, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func text(t *testing.T, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGoldenHealthy(t *testing.T) {
	r := collect(t, newFixture(), cluster.Namespace)
	if r.Verdict != Healthy || r.Summary != "healthy" || len(r.Warnings) != 0 {
		t.Fatalf("verdict %q %q, warnings %v", r.Verdict, r.Summary, r.Warnings)
	}
	golden.Check(t, "healthy.txt", text(t, r))
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "healthy.json", append(b, '\n'))
}

func TestGoldenDegraded(t *testing.T) {
	f := newFixture()
	f.pods[1] = pod("image-registry-66d9c7b5f4-llrln", "docker-registry", "default", "registry", false, 1)
	f.deployment.Status.ReadyReplicas, f.deployment.Status.AvailableReplicas = 1, 1
	f.config["status"] = map[string]any{"readyReplicas": int64(1), "conditions": []any{
		cond("Available", "True", "MinimumAvailability", "The registry has minimum availability"),
		cond("Progressing", "True", "DeploymentNotCompleted", "The deployment has not completed"),
		cond("Degraded", "False", "AsExpected", ""),
	}}
	r := collect(t, f, cluster.Namespace)
	want := "degraded: pod image-registry-66d9c7b5f4-llrln not ready (0/1, Running); deployment image-registry has 1/2 ready; operator Progressing (DeploymentNotCompleted): The deployment has not completed"
	if r.Verdict != Degraded || r.Summary != want {
		t.Fatalf("got %q\nwant %q", r.Summary, want)
	}
	golden.Check(t, "degraded.txt", text(t, r))
	b, _ := json.MarshalIndent(r, "", "  ")
	golden.Check(t, "degraded.json", append(b, '\n'))
}

// A user who may read the namespace but not the cluster-scoped operator
// config gets the rest, the config as unknown, and a warning.
func TestGoldenPartialPermissions(t *testing.T) {
	f := newFixture()
	f.forbid = []string{"configs", "daemonsets"}
	r := collect(t, f, cluster.Namespace)
	if r.Verdict != Healthy || r.Operator.State != StateUnknown || r.NodeCA.State != StateUnknown {
		t.Fatalf("partial: %q, operator %+v", r.Summary, r.Operator.Part)
	}
	if len(r.Warnings) != 2 || !strings.Contains(r.Warnings[0], OperatorConfig+": unknown:") || !strings.Contains(r.Warnings[0], "forbidden") {
		t.Fatalf("warnings: %q", r.Warnings)
	}
	golden.Check(t, "partial.txt", text(t, r))
}

func TestVerdicts(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(f *fixture)
		ns      string
		verdict Verdict
		summary string // substring
	}{
		{"healthy", func(*fixture) {}, "", Healthy, "healthy"},
		{"operator says Degraded", func(f *fixture) {
			st := f.config["status"].(map[string]any)
			st["conditions"] = []any{cond("Available", "True", "Ready", "ok"), cond("Degraded", "True", "RouteDegraded", "route default-route (host h, router default) not admitted: HostAlreadyClaimed")}
		}, "", Degraded, "operator Degraded (RouteDegraded): route default-route (host h, router default) not admitted: HostAlreadyClaimed"},
		{"storage degraded", func(f *fixture) {
			f.config["status"].(map[string]any)["conditions"] = []any{cond("StorageDegraded", "True", "Error", "bucket gone")}
		}, "", Degraded, "operator StorageDegraded (Error): bucket gone"},
		{"not available", func(f *fixture) {
			f.config["status"].(map[string]any)["conditions"] = []any{cond("Available", "False", "NoReplicasAvailable", "The deployment does not have available replicas")}
			f.pods = f.pods[2:]
			f.deployment.Status = appsv1.DeploymentStatus{}
		}, "", Degraded, "operator not Available (NoReplicasAvailable): The deployment does not have available replicas; deployment image-registry has 0/2 ready; no registry pods"},
		{"crash looping pod", func(f *fixture) {
			f.pods[0].Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
			f.pods[0].Status.Conditions[0].Status = corev1.ConditionFalse
		}, "", Degraded, "(1/1, CrashLoopBackOff)"},
		{"node-ca not ready", func(f *fixture) { f.daemonSet.Status.NumberReady = 0 }, "", Degraded, "daemonset node-ca has 0/1 ready"},
		{"removed", func(f *fixture) { f.config["spec"].(map[string]any)["managementState"] = "Removed" }, "", NotInstalled, "not installed: managementState is Removed"},
		{"nothing there", func(f *fixture) {
			f.config, f.route, f.deployment, f.daemonSet, f.pods = nil, nil, nil, nil, nil
		}, "", NotInstalled, "not installed: no " + OperatorConfig + " and no deployment image-registry in namespace openshift-image-registry"},
		{"another namespace", func(*fixture) {}, "default", NotInstalled, "not installed: no deployment image-registry in namespace default"},
		{"operator without its deployment", func(f *fixture) { f.deployment = nil }, "", Degraded, "deployment image-registry not found"},
		{"unmanaged ignores conditions", func(f *fixture) {
			f.config["spec"].(map[string]any)["managementState"] = "Unmanaged"
			f.config["status"].(map[string]any)["conditions"] = []any{cond("Progressing", "True", "x", "y")}
		}, "", Healthy, "healthy"},
		{"nothing readable", func(f *fixture) { f.forbid = []string{"configs", "deployments", "pods", "daemonsets", "routes"} }, "", Unknown, "unknown: you may not read"},
	}
	for _, tt := range tests {
		f := newFixture()
		tt.mutate(f)
		ns := tt.ns
		if ns == "" {
			ns = cluster.Namespace
		}
		r := collect(t, f, ns)
		if r.Verdict != tt.verdict || !strings.Contains(r.Summary, tt.summary) {
			t.Errorf("%s: got %s %q, want %s containing %q", tt.name, r.Verdict, r.Summary, tt.verdict, tt.summary)
		}
	}
}

// No credentials, or no API server: an error, not a report of unknowns.
func TestCollectFailsWhenNothingCanBeAsked(t *testing.T) {
	f := newFixture()
	c := f.clients()
	dyn := c.Dynamic.(*dynamicfake.FakeDynamicClient)
	dyn.PrependReactor("*", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewUnauthorized("token expired")
	})
	_, err := Collect(context.Background(), c, cluster.Namespace, now)
	if !apierrors.IsUnauthorized(err) || !strings.Contains(err.Error(), OperatorConfig) {
		t.Fatalf("want an Unauthorized error naming the object, got %v", err)
	}
}

func TestPodStatus(t *testing.T) {
	p := pod("p", "a", "b", "c", true, 0)
	if s := podStatus(p); s != "Running" {
		t.Errorf("running: %s", s)
	}
	p.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2}}
	if s := podStatus(p); s != "ExitCode:2" {
		t.Errorf("terminated: %s", s)
	}
	p.Status.Reason = "Evicted"
	p.Status.ContainerStatuses = nil
	if s := podStatus(p); s != "Evicted" {
		t.Errorf("evicted: %s", s)
	}
	p.DeletionTimestamp = &metav1.Time{Time: now}
	if s := podStatus(p); s != "Terminating" {
		t.Errorf("deleting: %s", s)
	}
}
