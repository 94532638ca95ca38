package complete

import (
	"context"
	"reflect"
	"testing"

	"github.com/oc-registry/oc-registry/pkg/cluster"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func ns(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func stream(namespace, name string, statusTags, specTags []string) *unstructured.Unstructured {
	is := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
		"metadata": map[string]any{"name": name, "namespace": namespace},
	}}
	var st, sp []any
	for _, t := range statusTags {
		st = append(st, map[string]any{"tag": t, "items": []any{map[string]any{"image": "sha256:0"}}})
	}
	for _, t := range specTags {
		sp = append(sp, map[string]any{"name": t})
	}
	if st != nil {
		_ = unstructured.SetNestedSlice(is.Object, st, "status", "tags")
	}
	if sp != nil {
		_ = unstructured.SetNestedSlice(is.Object, sp, "spec", "tags")
	}
	return is
}

func dyn(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		cluster.ImageStreams: "ImageStreamList",
		Projects:             "ProjectList",
	}, objs...)
}

func TestNamespacesFallsBackToProjectsThenCurrent(t *testing.T) {
	ctx := context.Background()
	core := fake.NewSimpleClientset(ns("team-a"), ns("team-b"), ns("other"))
	c := Clients{Core: core.CoreV1(), Current: "mine"}
	if got, want := c.Namespaces(ctx, "team"), []string{"team-a", "team-b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("namespaces: %v, want %v", got, want)
	}

	// An ordinary OpenShift user may not list namespaces but may list
	// the projects they can see.
	forbidden := fake.NewSimpleClientset(ns("team-a"))
	forbidden.PrependReactor("list", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "", nil)
	})
	project := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "project.openshift.io/v1", "kind": "Project", "metadata": map[string]any{"name": "alices-project"}}}
	c = Clients{Core: forbidden.CoreV1(), Dynamic: dyn(project), Current: "mine"}
	if got, want := c.Namespaces(ctx, ""), []string{"alices-project"}; !reflect.DeepEqual(got, want) {
		t.Errorf("projects fallback: %v, want %v", got, want)
	}

	// No project API either (plain Kubernetes): the current namespace.
	noProjects := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{Projects: "ProjectList"})
	noProjects.PrependReactor("list", "projects", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(schema.GroupResource{Resource: "projects"}, "")
	})
	c = Clients{Core: forbidden.CoreV1(), Dynamic: noProjects, Current: "mine"}
	if got, want := c.Namespaces(ctx, "m"), []string{"mine"}; !reflect.DeepEqual(got, want) {
		t.Errorf("current fallback: %v, want %v", got, want)
	}
	if got := c.Namespaces(ctx, "x"); len(got) != 0 {
		t.Errorf("current namespace offered for a prefix it lacks: %v", got)
	}
}

func binding(namespace, name, clusterRole string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects: subjects}
}

var (
	alice    = rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}
	bob      = rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "bob"}
	devs     = rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "devs"}
	saGroup  = rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:serviceaccounts:ci"}
	robot    = rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "ci", Name: "pipeline"}
	scraper  = rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "prom"}
	stranger = rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "carol"}
)

func TestBoundSubjects(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewSimpleClientset(
		binding("team-a", "oc-registry-editor", "registry-editor", alice, devs, robot),
		// a binding oc-registry did not make counts too (revoke --all-bindings)
		binding("team-a", "hand-made", "registry-editor", bob, saGroup),
		binding("team-a", "oc-registry-viewer", "registry-viewer", stranger),
		binding("team-b", "oc-registry-editor", "registry-editor", stranger),
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "oc-registry-metrics"},
			RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "registry-monitoring"}, Subjects: []rbacv1.Subject{scraper}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin"},
			RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"}, Subjects: []rbacv1.Subject{stranger}},
	)
	c := Clients{RBAC: cs.RbacV1()}
	tests := []struct {
		role, ns string
		form     int
		prefix   string
		want     []string
	}{
		{"editor", "team-a", AsArgument, "", []string{"alice", "bob", "system:serviceaccount:ci:pipeline", "system:serviceaccounts:ci"}},
		{"editor", "team-a", AsArgument, "system:serviceaccount:", []string{"system:serviceaccount:ci:pipeline"}},
		{"registry-editor", "team-a", AsArgument, "a", []string{"alice"}},
		{"editor", "team-a", AsGroupFlag, "", []string{"devs", "system:serviceaccounts:ci"}},
		{"editor", "team-a", AsServiceAccountFlag, "", []string{"ci:pipeline"}},
		{"viewer", "team-a", AsArgument, "", []string{"carol"}},
		{"builder", "team-a", AsArgument, "", nil},
		{"metrics", "", AsArgument, "", []string{"prom"}},
		{"nonsense", "team-a", AsArgument, "", nil},
		{"editor", "", AsArgument, "", nil},
	}
	for _, tt := range tests {
		got := c.BoundSubjects(ctx, tt.role, tt.ns, tt.form, tt.prefix)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("BoundSubjects(%s, %s, %d, %q) = %v, want %v", tt.role, tt.ns, tt.form, tt.prefix, got, tt.want)
		}
	}
}

func TestStreamTargets(t *testing.T) {
	ctx := context.Background()
	c := Clients{
		Core: fake.NewSimpleClientset(ns("team-a"), ns("team-b"), ns("tools")).CoreV1(),
		Dynamic: dyn(
			stream("team-a", "app", []string{"v1", "latest"}, []string{"v1", "stable"}),
			stream("team-a", "api", nil, nil),
			stream("team-b", "app", []string{"v9"}, nil),
		),
	}
	tests := []struct {
		in   string
		want []string
		more bool
	}{
		{"", []string{"team-a/", "team-b/", "tools/"}, true},
		{"te", []string{"team-a/", "team-b/"}, true},
		{"team-a/", []string{"team-a/api", "team-a/app:latest", "team-a/app:stable", "team-a/app:v1"}, false},
		{"team-a/app:", []string{"team-a/app:latest", "team-a/app:stable", "team-a/app:v1"}, false},
		{"team-a/app:s", []string{"team-a/app:stable"}, false},
		{"team-b/", []string{"team-b/app:v9"}, false},
		{"tools/", nil, false},
		{"team-a/x/y", nil, false}, // multi-level names never exist in the registry
		{"/", nil, false},
	}
	for _, tt := range tests {
		got, more := c.StreamTargets(ctx, tt.in)
		if !reflect.DeepEqual(got, tt.want) || more != tt.more {
			t.Errorf("StreamTargets(%q) = %v, %v; want %v, %v", tt.in, got, more, tt.want, tt.more)
		}
	}
}

func TestServiceAccounts(t *testing.T) {
	ctx := context.Background()
	sa := func(namespace, name string) *corev1.ServiceAccount {
		return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	}
	c := Clients{Core: fake.NewSimpleClientset(ns("team-a"), ns("ci"), sa("team-a", "builder"), sa("team-a", "deployer"), sa("ci", "pipeline")).CoreV1()}
	got, more := c.ServiceAccounts(ctx, "team-a", "b")
	if want := []string{"builder"}; !reflect.DeepEqual(got, want) || more {
		t.Errorf("in the namespace: %v %v, want %v", got, more, want)
	}
	got, more = c.ServiceAccounts(ctx, "team-a", "c")
	if want := []string{"ci:"}; !reflect.DeepEqual(got, want) || !more {
		t.Errorf("other projects: %v %v, want %v", got, more, want)
	}
	got, more = c.ServiceAccounts(ctx, "team-a", "ci:")
	if want := []string{"ci:pipeline"}; !reflect.DeepEqual(got, want) || more {
		t.Errorf("NAMESPACE:NAME: %v %v, want %v", got, more, want)
	}
}

func TestFamilies(t *testing.T) {
	got := Families("imageregistry_storage_", nil)
	if want := []string{"imageregistry_storage_duration_seconds", "imageregistry_storage_errors_total"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Families = %v, want %v", got, want)
	}
	got = Families("imageregistry_storage_", []string{"imageregistry_storage_errors_total"})
	if want := []string{"imageregistry_storage_duration_seconds"}; !reflect.DeepEqual(got, want) {
		t.Errorf("given families are offered again: %v", got)
	}
}

func TestFilterSortsAndDedupes(t *testing.T) {
	if got, want := Filter([]string{"b", "a", "b", "c"}, ""), []string{"a", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Filter = %v, want %v", got, want)
	}
}
