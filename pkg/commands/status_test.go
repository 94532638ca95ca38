package commands

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/status"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// registryCluster is a fake API server holding a registry with two pods,
// readyPods of them ready; withOperator adds the operator's config.
func registryCluster(readyPods int, withOperator bool) (*kubefake.Clientset, *dynamicfake.FakeDynamicClient) {
	two := int32(2)
	objs := []runtime.Object{&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: status.DeploymentName, Namespace: cluster.Namespace},
		Spec:   appsv1.DeploymentSpec{Replicas: &two},
		Status: appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: int32(readyPods), AvailableReplicas: int32(readyPods)}}}
	for i, name := range []string{"image-registry-a", "image-registry-b"} {
		objs = append(objs, statusPod(name, i < readyPods))
	}
	kube := kubefake.NewClientset(objs...)
	var dobjs []runtime.Object
	if withOperator {
		u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"managementState": "Managed"}}}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: status.Configs.Group, Version: "v1", Kind: "Config"})
		u.SetName("cluster")
		dobjs = append(dobjs, u)
	}
	lists := map[schema.GroupVersionResource]string{status.Configs: "ConfigList", status.Routes: "RouteList", cluster.ImageStreams: "ImageStreamList",
		{Group: "config.openshift.io", Version: "v1", Resource: "images"}: "ImageList"}
	return kube, dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists, dobjs...)
}

func statusPod(name string, ready bool) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: cluster.Namespace, Labels: map[string]string{"docker-registry": "default"}},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "registry"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}}}
}

func statusOptions(kube *kubefake.Clientset, dyn *dynamicfake.FakeDynamicClient) (*StatusOptions, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	o := &StatusOptions{Timeout: time.Minute, interval: 5 * time.Millisecond, now: time.Now, program: "oc-registry",
		namespace: cluster.Namespace, clients: status.Clients{Core: kube.CoreV1(), Apps: kube.AppsV1(), Dynamic: dyn},
		IOStreams: genericiooptions.IOStreams{Out: &out, ErrOut: &errb}}
	return o, &out, &errb
}

func TestStatusExitCodes(t *testing.T) {
	forbidAll := func(kube *kubefake.Clientset, dyn *dynamicfake.FakeDynamicClient) {
		f := func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: a.GetResource().Resource}, "", errors.New("no"))
		}
		kube.PrependReactor("*", "*", f)
		dyn.PrependReactor("*", "*", f)
	}
	tests := []struct {
		name      string
		ready     int
		operator  bool
		mutate    func(*kubefake.Clientset, *dynamicfake.FakeDynamicClient)
		code      int
		stdout    string
		stderr    string
		errString string
	}{
		{"healthy", 2, true, nil, 0, "\nhealthy\n", "", ""},
		{"degraded", 1, true, nil, clierr.CodeDegraded, "degraded: pod image-registry-b not ready", "hint: wait for it with: oc-registry status --wait", ""},
		{"not installed", 0, false, func(kube *kubefake.Clientset, _ *dynamicfake.FakeDynamicClient) {
			kube.PrependReactor("get", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: "apps", Resource: "deployments"}, status.DeploymentName)
			})
		}, clierr.CodeNotInstalled, "not installed: no configs.imageregistry", "hint: on OpenShift", ""},
		{"nothing readable", 2, true, forbidAll, clierr.CodeForbidden, "Operator:     unknown", "warning: " + status.OperatorConfig + ": unknown", "cannot tell the registry's health"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kube, dyn := registryCluster(tt.ready, tt.operator)
			if tt.mutate != nil {
				tt.mutate(kube, dyn)
			}
			o, out, errb := statusOptions(kube, dyn)
			err := o.Run(context.Background())
			if clierr.Code(err) != tt.code || !strings.Contains(out.String(), tt.stdout) || !strings.Contains(errb.String(), tt.stderr) {
				t.Fatalf("code %d (%v), want %d\nstdout:\n%s\nstderr:\n%s", clierr.Code(err), err, tt.code, out, errb)
			}
			if tt.errString != "" && (err == nil || !strings.Contains(err.Error(), tt.errString)) {
				t.Errorf("error %v, want %q", err, tt.errString)
			}
		})
	}
}

func TestStatusWaitReturnsOnceHealthy(t *testing.T) {
	kube, dyn := registryCluster(1, true)
	o, out, errb := statusOptions(kube, dyn)
	o.Wait = true
	go func() {
		time.Sleep(50 * time.Millisecond)
		kube.CoreV1().Pods(cluster.Namespace).UpdateStatus(context.Background(), statusPod("image-registry-b", true), metav1.UpdateOptions{})
		d, _ := kube.AppsV1().Deployments(cluster.Namespace).Get(context.Background(), status.DeploymentName, metav1.GetOptions{})
		d.Status.ReadyReplicas, d.Status.AvailableReplicas = 2, 2
		kube.AppsV1().Deployments(cluster.Namespace).UpdateStatus(context.Background(), d, metav1.UpdateOptions{})
	}()
	if err := o.Run(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	if !strings.HasSuffix(out.String(), "\nhealthy\n") || !strings.Contains(errb.String(), "waiting (0s): degraded: pod image-registry-b not ready") ||
		!strings.Contains(errb.String(), "healthy after") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out, errb)
	}
}

func TestStatusWaitTimesOut(t *testing.T) {
	kube, dyn := registryCluster(0, true)
	o, out, _ := statusOptions(kube, dyn)
	o.Wait, o.Timeout = true, 50*time.Millisecond
	err := o.Run(context.Background())
	if clierr.Code(err) != clierr.CodeDegraded || !strings.Contains(err.Error(), "timed out after 50ms waiting for the registry to become healthy: degraded") {
		t.Fatalf("want a timeout with the degraded code: %v", err)
	}
	if !strings.Contains(out.String(), "degraded:") {
		t.Errorf("the last report is not printed:\n%s", out)
	}
}

// -n naming a namespace without the registry is bad input: an error with
// the hint, and no report.
func TestStatusNamespaceWithoutRegistry(t *testing.T) {
	kube, dyn := registryCluster(2, true)
	o, out, _ := statusOptions(kube, dyn)
	o.namespace, o.explicitNS = "default", true
	err := o.Run(context.Background())
	var ce *clierr.Error
	if clierr.Code(err) != clierr.CodeNotInstalled || !errors.As(err, &ce) || !strings.Contains(ce.Hint, "leave out -n") || out.Len() != 0 {
		t.Fatalf("code %d %v\n%s", clierr.Code(err), err, out)
	}
}

func TestStatusJSON(t *testing.T) {
	kube, dyn := registryCluster(2, true)
	o, out, _ := statusOptions(kube, dyn)
	o.Format = "json"
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"verdict": "healthy"`, `"summary": "healthy"`, `"operator": {`, `"deployment": {`, `"pods": {`, `"routes": {`, `"hosts": {`} {
		if !strings.Contains(out.String(), k) {
			t.Errorf("status -o json lacks %s:\n%s", k, out)
		}
	}
}

func TestNewCommandsUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"status", "-o", "xml"}, {"status", "extra"}, {"status", "--wait", "--timeout", "0s"},
		{"expose", "--dry-run=maybe"}, {"expose", "-o", "xml"}, {"expose", "extra"},
		{"doctor", "a/b", "c/d"}, {"doctor", "--internal", "--public"}, {"doctor", "-a", "x.json", "--docker-config"}, {"doctor", "-o", "xml"},
	} {
		_, _, err := execute("oc-registry", args...)
		if clierr.Code(err) != clierr.CodeUsage {
			t.Errorf("%v: code %d (%v), want a usage error", args, clierr.Code(err), err)
		}
	}
}
