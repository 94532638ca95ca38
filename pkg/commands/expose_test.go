package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

func exposeOptions(dyn *dynamicfake.FakeDynamicClient) (*ExposeOptions, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &ExposeOptions{Timeout: time.Second, DryRunFlag: status.DryRunNone, dyn: dyn, program: "oc image-registry",
		IOStreams: genericiooptions.IOStreams{Out: &out, ErrOut: &errb}}, &out, &errb
}

func exposedCluster(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	lists := map[schema.GroupVersionResource]string{status.Configs: "ConfigList", status.Routes: "RouteList"}
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists, objs...)
}

func gvkObj(gvk schema.GroupVersionKind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: fields}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// Already exposed: nothing is patched, the host and the login line are
// printed with the name the user typed.
func TestExposeUnchangedPrintsTheLoginLine(t *testing.T) {
	dyn := exposedCluster(
		gvkObj(schema.GroupVersionKind{Group: status.Configs.Group, Version: "v1", Kind: "Config"}, "", "cluster", map[string]any{"spec": map[string]any{"defaultRoute": true}}),
		gvkObj(schema.GroupVersionKind{Group: status.Routes.Group, Version: "v1", Kind: "Route"}, cluster.Namespace, cluster.RouteName, map[string]any{"spec": map[string]any{"host": "registry.apps.example.com"}}),
	)
	o, out, _ := exposeOptions(dyn)
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "unchanged: the registry is exposed at registry.apps.example.com (route openshift-image-registry/default-route)\nlog in with: oc image-registry login --registry registry.apps.example.com\n"
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	for _, a := range dyn.Actions() {
		if a.GetVerb() == "patch" {
			t.Fatal("an unchanged expose patched the config")
		}
	}
	o.Format = "json"
	out.Reset()
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res["host"] != "registry.apps.example.com" || res["changed"] != false ||
		res["login"] != "oc image-registry login --registry registry.apps.example.com" || res["defaultRoute"] != true || res["dryRun"] != "none" {
		t.Fatalf("expose -o json: %v %s", err, out)
	}
}

func TestExposeErrorsAndCodes(t *testing.T) {
	// No operator config: not installed, with a hint.
	o, _, _ := exposeOptions(exposedCluster())
	err := o.Run(context.Background())
	var ce *clierr.Error
	if clierr.Code(err) != clierr.CodeNotInstalled || !errors.As(err, &ce) || !strings.Contains(ce.Hint, "image registry operator") {
		t.Fatalf("absent config: code %d %v", clierr.Code(err), err)
	}
	// Forbidden: exit 4, and who may do it.
	dyn := exposedCluster(gvkObj(schema.GroupVersionKind{Group: status.Configs.Group, Version: "v1", Kind: "Config"}, "", "cluster", map[string]any{"spec": map[string]any{}}))
	dyn.PrependReactor("patch", "configs", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: status.Configs.Group, Resource: "configs"}, "cluster", errors.New("User \"alice\" cannot patch"))
	})
	o, _, _ = exposeOptions(dyn)
	err = o.Run(context.Background())
	if clierr.Code(err) != clierr.CodeForbidden || !errors.As(err, &ce) || !strings.Contains(ce.Hint, "cluster admin") {
		t.Fatalf("forbidden: code %d %v", clierr.Code(err), err)
	}
}
