package cluster

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

func obj(gvk schema.GroupVersionKind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: fields}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

var (
	imageGVK  = schema.GroupVersionKind{Group: "config.openshift.io", Version: "v1", Kind: "Image"}
	routeGVK  = schema.GroupVersionKind{Group: "route.openshift.io", Version: "v1", Kind: "Route"}
	streamGVK = schema.GroupVersionKind{Group: "image.openshift.io", Version: "v1", Kind: "ImageStream"}
)

func lookup(t *testing.T, objs ...runtime.Object) (*Registry, error) {
	t.Helper()
	lists := map[schema.GroupVersionResource]string{imageConfigs: "ImageList", routes: "RouteList", ImageStreams: "ImageStreamList"}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists, objs...)
	return Lookup(context.Background(), dyn, kubefake.NewSimpleClientset().CoreV1())
}

// A cluster object is not trusted to name a host: every value is checked
// before it can become a URL, an auth-file key or a certificate path.
func TestLookupRefusesHostileHosts(t *testing.T) {
	tests := []struct {
		name string
		objs []runtime.Object
		want string
	}{
		{"path escape in the image config", []runtime.Object{obj(imageGVK, "", "cluster", map[string]any{
			"status": map[string]any{"internalRegistryHostname": "../../../../tmp/x"}})}, "images.config.openshift.io/cluster"},
		{"user info in a public host", []runtime.Object{obj(imageGVK, "", "cluster", map[string]any{
			"status": map[string]any{"externalRegistryHostnames": []any{"evil@registry.example.com"}}})}, "public host"},
		{"empty host from an image stream", []runtime.Object{obj(streamGVK, "openshift", "cli", map[string]any{
			"status": map[string]any{"publicDockerImageRepository": "/leading"}})}, "imagestream openshift/cli"},
		{"path in the route host", []runtime.Object{obj(routeGVK, Namespace, RouteName, map[string]any{
			"spec": map[string]any{"host": "evil.example.com/x"}})}, "route openshift-image-registry/default-route"},
		{"whitespace in the route host", []runtime.Object{obj(routeGVK, Namespace, RouteName, map[string]any{
			"spec": map[string]any{"host": "a b"}})}, "route"},
	}
	for _, tt := range tests {
		_, err := lookup(t, tt.objs...)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: want a one-line error naming %q, got %v", tt.name, tt.want, err)
		}
	}
	r, err := lookup(t, obj(routeGVK, Namespace, RouteName, map[string]any{"spec": map[string]any{"host": "default-route.apps.example.com"}}))
	if err != nil || r.Route != "default-route.apps.example.com" {
		t.Fatalf("a good route: %+v %v", r, err)
	}
}
