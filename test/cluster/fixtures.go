package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/template"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

//go:embed manifests/*.yaml
var manifests embed.FS

// kinds maps the kinds in manifests/ to resources; namespaced or not.
var kinds = map[string]struct {
	gvr        schema.GroupVersionResource
	namespaced bool
}{
	"CustomResourceDefinition": {schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}, false},
	"ClusterRole":              {schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}, false},
	"Namespace":                {schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, false},
	"ServiceAccount":           {schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, true},
	"Service":                  {schema.GroupVersionResource{Version: "v1", Resource: "services"}, true},
	"ConfigMap":                {schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, true},
	"Pod":                      {schema.GroupVersionResource{Version: "v1", Resource: "pods"}, true},
	"Node":                     {schema.GroupVersionResource{Version: "v1", Resource: "nodes"}, false},
	"Deployment":               {schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, true},
	"DaemonSet":                {schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}, true},
	"Image":                    {schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "images"}, false},
	"Config":                   {schema.GroupVersionResource{Group: "imageregistry.operator.openshift.io", Version: "v1", Resource: "configs"}, false},
	"Route":                    {schema.GroupVersionResource{Group: "route.openshift.io", Version: "v1", Resource: "routes"}, true},
	"Role":                     {schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}, true},
	"RoleBinding":              {schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}, true},
	"ImageStream":              {imageStreams, true},
}

type fixtureValues struct {
	Internal, External string
	Node, NodeCAPod    string
	RegistryPods       []string
	CAKeys             []string
	CAIndented         string
	IngressCAIndented  string
}

func newFixtureValues(p *paths) (*fixtureValues, error) {
	caPEM, err := os.ReadFile(p.s("ca.crt"))
	if err != nil {
		return nil, err
	}
	ingPEM, err := os.ReadFile(p.s("ingress-ca.crt"))
	if err != nil {
		return nil, err
	}
	var ind []string
	for _, l := range strings.Split(strings.TrimSpace(string(caPEM)), "\n") {
		ind = append(ind, "    "+l)
	}
	return &fixtureValues{
		Internal:     registryInternal,
		External:     registryExternal,
		Node:         nodeName,
		NodeCAPod:    "node-ca-hjksc",
		RegistryPods: []string{"image-registry-66d9c7b5f4-llrln", "image-registry-66d9c7b5f4-x7k2p"},
		CAKeys: []string{
			strings.ReplaceAll(registryInternal, ":", ".."),
			"image-registry.openshift-image-registry.svc..5000",
			"image-registry.openshift-image-registry.svc.cluster.local..5000",
		},
		CAIndented:        strings.Join(ind, "\n"),
		IngressCAIndented: indent(ingPEM),
	}, nil
}

func dynClient(p *paths) (dynamic.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", p.s("kubeconfig-admin"))
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 100, 200
	return dynamic.NewForConfig(cfg)
}

// apply renders manifests/<file> and server-side-applies every object.
func apply(ctx context.Context, dc dynamic.Interface, file string, v *fixtureValues) error {
	raw, err := manifests.ReadFile("manifests/" + file)
	if err != nil {
		return err
	}
	tmpl, err := template.New(file).Parse(string(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, doc := range strings.Split(buf.String(), "\n---") {
		obj := map[string]any{}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if len(obj) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		k, ok := kinds[u.GetKind()]
		if !ok {
			return fmt.Errorf("%s: unknown kind %q", file, u.GetKind())
		}
		var ri dynamic.ResourceInterface = dc.Resource(k.gvr)
		if k.namespaced {
			ri = dc.Resource(k.gvr).Namespace(u.GetNamespace())
		}
		data, _ := u.MarshalJSON()
		force := true
		if _, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data,
			metav1.PatchOptions{FieldManager: "oc-registry-cluster", Force: &force}); err != nil {
			return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
	return nil
}

// waitCRDs waits until the OpenShift CRDs are served.
func waitCRDs(ctx context.Context, dc dynamic.Interface) error {
	return waitFor(ctx, "CRDs", 30*time.Second, 0, "", func() error {
		for _, k := range []string{"Image", "Config", "Route"} {
			if _, err := dc.Resource(kinds[k].gvr).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
				return err
			}
		}
		_, err := dc.Resource(imageStreams).Namespace("default").List(ctx, metav1.ListOptions{Limit: 1})
		return err
	})
}

// waitAggregated waits until the aggregation controller has given edit the
// image push rule of system:openshift:aggregate-to-edit.
func waitAggregated(ctx context.Context, dc dynamic.Interface) error {
	crs := schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	return waitFor(ctx, "role aggregation", 30*time.Second, 0, "", func() error {
		edit, err := dc.Resource(crs).Get(ctx, "edit", metav1.GetOptions{})
		if err != nil {
			return err
		}
		rules, _, _ := unstructured.NestedSlice(edit.Object, "rules")
		for _, r := range rules {
			if res, _, _ := unstructured.NestedStringSlice(r.(map[string]any), "resources"); slices.Contains(res, "imagestreams/layers") {
				return nil
			}
		}
		return errors.New("clusterrole edit has no imagestreams/layers rule yet")
	})
}

var imageStreams = schema.GroupVersionResource{Group: "image.openshift.io", Version: "v1", Resource: "imagestreams"}

// waitPodsRunning waits for kwok to mark the registry namespace's pods
// Running, then sets the workload status a controller would have set.
func waitPodsRunning(ctx context.Context, dc dynamic.Interface, v *fixtureValues) error {
	pods := dc.Resource(kinds["Pod"].gvr).Namespace("openshift-image-registry")
	err := waitFor(ctx, "registry pods", 30*time.Second, 0, "", func() error {
		list, err := pods.List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, it := range list.Items {
			phase, _, _ := unstructured.NestedString(it.Object, "status", "phase")
			if phase != "Running" {
				return fmt.Errorf("pod %s is %q", it.GetName(), phase)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	n := int64(len(v.RegistryPods))
	status := map[string]map[string]any{
		"Deployment": {"replicas": n, "readyReplicas": n, "availableReplicas": n, "updatedReplicas": n, "observedGeneration": int64(1),
			"conditions": []any{map[string]any{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}}},
		"DaemonSet": {"desiredNumberScheduled": int64(1), "currentNumberScheduled": int64(1), "numberReady": int64(1),
			"numberAvailable": int64(1), "updatedNumberScheduled": int64(1), "numberMisscheduled": int64(0), "observedGeneration": int64(1)},
	}
	names := map[string]string{"Deployment": "image-registry", "DaemonSet": "node-ca"}
	for kind, st := range status {
		k := kinds[kind]
		ri := dc.Resource(k.gvr).Namespace("openshift-image-registry")
		obj, err := ri.Get(ctx, names[kind], metav1.GetOptions{})
		if err != nil {
			return err
		}
		obj.Object["status"] = map[string]any(st)
		if _, err := ri.UpdateStatus(ctx, obj, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
			return fmt.Errorf("setting %s status: %w", kind, err)
		}
	}
	return nil
}

func indent(pem []byte) string {
	var ind []string
	for _, l := range strings.Split(strings.TrimSpace(string(pem)), "\n") {
		ind = append(ind, "    "+l)
	}
	return strings.Join(ind, "\n")
}
