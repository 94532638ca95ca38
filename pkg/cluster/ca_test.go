package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

// As OpenShift publishes them: the service CA under the internal names,
// the ingress CA for the route and external hosts.
func TestFetchCAPicksTheCAOfEachHost(t *testing.T) {
	core := kubefake.NewSimpleClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: CAConfigMap, Namespace: CAConfigMapNS},
			Data: map[string]string{"image-registry.openshift-image-registry.svc..5000": "SERVICE-CA"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: IngressCAConfigMap, Namespace: CAConfigMapNS},
			Data: map[string]string{IngressCAKey: "INGRESS-CA"}},
	).CoreV1()
	reg := &Registry{Internal: "image-registry.openshift-image-registry.svc:5000", Route: "default-route.apps.example.com", Public: []string{"registry.example.com"}}
	for host, want := range map[string]string{
		"image-registry.openshift-image-registry.svc:5000": "SERVICE-CA",
		"default-route.apps.example.com":                   "INGRESS-CA",
		"registry.example.com":                             "INGRESS-CA",
	} {
		pem, src, err := FetchCA(context.Background(), core, reg, host)
		if err != nil || string(pem) != want || src == "" {
			t.Errorf("%s: got %q from %q (%v), want %s", host, pem, src, err, want)
		}
	}
	// A host from --registry: its own key, else taken as a route host.
	if pem, _, _ := FetchCA(context.Background(), core, nil, "image-registry.openshift-image-registry.svc:5000"); string(pem) != "SERVICE-CA" {
		t.Errorf("--registry internal host: %q", pem)
	}
	if pem, _, _ := FetchCA(context.Background(), core, nil, "other.apps.example.com"); string(pem) != "INGRESS-CA" {
		t.Errorf("--registry route host: %q", pem)
	}
}

func TestFetchCANamesTheObjectAUserMayNotRead(t *testing.T) {
	cs := kubefake.NewSimpleClientset()
	cs.PrependReactor("get", "configmaps", func(a clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, a.(clienttesting.GetAction).GetName(), errors.New("no"))
	})
	_, _, err := FetchCA(context.Background(), cs.CoreV1(), &Registry{Route: "r.apps"}, "r.apps")
	var u *UnreadableCAError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "configmap openshift-config-managed/default-ingress-cert") {
		t.Fatalf("want the ingress CA object named, got %v", err)
	}
}
