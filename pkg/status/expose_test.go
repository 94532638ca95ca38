package status

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/pkg/cluster"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

var routeGVK = schema.GroupVersionKind{Group: Routes.Group, Version: "v1", Kind: "Route"}

// exposeCluster is a fake API server with an operator: a patch of
// spec.defaultRoute creates or deletes the route (when operator is set).
func exposeCluster(t *testing.T, defaultRoute, withRoute, operator bool) (*dynamicfake.FakeDynamicClient, *int) {
	t.Helper()
	objs := []runtime.Object{unstr(schema.GroupVersionKind{Group: Configs.Group, Version: "v1", Kind: "Config"}, "", "cluster",
		map[string]any{"spec": map[string]any{"defaultRoute": defaultRoute, "managementState": "Managed"}})}
	if withRoute {
		objs = append(objs, newRoute("localhost:15000"))
	}
	lists := map[schema.GroupVersionResource]string{Configs: "ConfigList", Routes: "RouteList"}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists, objs...)
	patches := 0
	dyn.PrependReactor("patch", "configs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchActionImpl)
		if len(p.PatchOptions.DryRun) > 0 {
			return true, nil, nil // the server checks and keeps nothing
		}
		patches++
		if !operator {
			return false, nil, nil
		}
		go func() { // the operator reacts a little later
			time.Sleep(30 * time.Millisecond)
			ri := dyn.Resource(Routes).Namespace(cluster.Namespace)
			if strings.Contains(string(p.GetPatch()), "true") {
				ri.Create(context.Background(), newRoute("localhost:15000"), metav1CreateOptions)
			} else {
				ri.Delete(context.Background(), cluster.RouteName, metav1DeleteOptions)
			}
		}()
		return false, nil, nil
	})
	return dyn, &patches
}

func newRoute(host string) *unstructured.Unstructured {
	return unstr(routeGVK, cluster.Namespace, cluster.RouteName, map[string]any{
		"spec": map[string]any{"host": host},
		"status": map[string]any{"ingress": []any{map[string]any{"host": host, "routerName": "default",
			"conditions": []any{map[string]any{"type": "Admitted", "status": "True"}}}}},
	})
}

func TestExposeThenAgainThenDisable(t *testing.T) {
	dyn, patches := exposeCluster(t, false, false, true)
	var progress bytes.Buffer
	o := ExposeOptions{Enable: true, Timeout: 5 * time.Second, Poll: 10 * time.Millisecond, Progress: &progress}
	res, err := Expose(context.Background(), dyn, o)
	if err != nil || !res.Changed || res.Host != "localhost:15000" || *patches != 1 {
		t.Fatalf("expose: %+v %v (patches %d)", res, err, *patches)
	}
	if !strings.Contains(progress.String(), "waiting for the image registry operator") {
		t.Errorf("no progress while waiting: %q", progress.String())
	}
	res, err = Expose(context.Background(), dyn, o)
	if err != nil || res.Changed || res.Host != "localhost:15000" || *patches != 1 {
		t.Fatalf("expose again must change nothing: %+v %v (patches %d)", res, err, *patches)
	}
	o.Enable = false
	res, err = Expose(context.Background(), dyn, o)
	if err != nil || !res.Changed || res.Host != "" || *patches != 2 {
		t.Fatalf("disable: %+v %v", res, err)
	}
	if _, err := dyn.Resource(Routes).Namespace(cluster.Namespace).Get(context.Background(), cluster.RouteName, metav1GetOptions); !apierrors.IsNotFound(err) {
		t.Fatalf("the route is still there: %v", err)
	}
}

func TestExposeDryRunsChangeNothing(t *testing.T) {
	for _, mode := range []string{DryRunClient, DryRunServer} {
		dyn, patches := exposeCluster(t, false, false, true)
		res, err := Expose(context.Background(), dyn, ExposeOptions{Enable: true, DryRun: mode, Timeout: time.Second})
		if err != nil || !res.Changed || res.DryRun != mode || *patches != 0 {
			t.Errorf("%s: %+v %v (patches %d)", mode, res, err, *patches)
		}
	}
}

func TestExposeErrors(t *testing.T) {
	// No operator config: not OpenShift.
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{Configs: "ConfigList", Routes: "RouteList"})
	if _, err := Expose(context.Background(), dyn, ExposeOptions{Enable: true, Timeout: time.Second}); !errors.Is(err, ErrNoOperator) {
		t.Errorf("absent config: %v", err)
	}
	// Patch forbidden: the API error is kept, so the exit code says forbidden.
	dyn, _ = exposeCluster(t, false, false, true)
	dyn.PrependReactor("patch", "configs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: Configs.Group, Resource: "configs"}, "cluster", errors.New("no"))
	})
	if _, err := Expose(context.Background(), dyn, ExposeOptions{Enable: true, Timeout: time.Second}); !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "spec.defaultRoute") {
		t.Errorf("forbidden patch: %v", err)
	}
	// No operator reacts: a timeout that says so.
	dyn, _ = exposeCluster(t, false, false, false)
	_, err := Expose(context.Background(), dyn, ExposeOptions{Enable: true, Timeout: 100 * time.Millisecond, Poll: 10 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "is the image registry operator running?") {
		t.Errorf("no operator: %v", err)
	}
	// A hostile host on the route is refused, not printed as a command.
	dyn, _ = exposeCluster(t, true, false, false)
	dyn.Resource(Routes).Namespace(cluster.Namespace).Create(context.Background(), newRoute("evil.example.com/x"), metav1CreateOptions)
	if _, err := Expose(context.Background(), dyn, ExposeOptions{Enable: true, Timeout: time.Second}); err == nil || !strings.Contains(err.Error(), "route openshift-image-registry/default-route") {
		t.Errorf("hostile host: %v", err)
	}
}

var (
	metav1CreateOptions = metav1.CreateOptions{}
	metav1DeleteOptions = metav1.DeleteOptions{}
	metav1GetOptions    = metav1.GetOptions{}
)
