// Package complete finds the words shell completion offers: projects, the
// subjects bound to a registry role, <project>/<name>:<tag> from image
// streams and metric family names. It reads the cluster with whatever
// rights the user has and never fails loudly: a completion that cannot
// reach the cluster offers nothing, and the shell falls back to typing.
//
// It does not import cobra; pkg/commands/completion.go wires it to the
// commands.
package complete

import (
	"context"
	"sort"
	"strings"

	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacclient "k8s.io/client-go/kubernetes/typed/rbac/v1"
)

// Projects is OpenShift's project list: what an ordinary user may list
// when the namespaces list is forbidden to them.
var Projects = schema.GroupVersionResource{Group: "project.openshift.io", Version: "v1", Resource: "projects"}

// Clients are the reads completion needs. Any may be nil.
type Clients struct {
	Core    coreclient.CoreV1Interface
	RBAC    rbacclient.RbacV1Interface
	Dynamic dynamic.Interface
	// Current is the namespace of the current context, offered when the
	// user may list neither namespaces nor projects.
	Current string
}

// Namespaces lists the projects whose names start with prefix: namespaces
// if the user may list them, else OpenShift projects (the ones the user can
// see), else the current context's namespace.
func (c Clients) Namespaces(ctx context.Context, prefix string) []string {
	var names []string
	if c.Core != nil {
		if l, err := c.Core.Namespaces().List(ctx, metav1.ListOptions{}); err == nil {
			for _, n := range l.Items {
				names = append(names, n.Name)
			}
			return Filter(names, prefix)
		}
	}
	if c.Dynamic != nil {
		if l, err := c.Dynamic.Resource(Projects).List(ctx, metav1.ListOptions{}); err == nil {
			for _, p := range l.Items {
				names = append(names, p.GetName())
			}
			return Filter(names, prefix)
		}
	}
	if c.Current != "" {
		return Filter([]string{c.Current}, prefix)
	}
	return nil
}

// ServiceAccounts completes a service account as login -z takes it: NAME
// in namespace, or NAMESPACE:NAME once a colon is typed (before it, other
// projects are offered as "PROJECT:"). more reports whether the words are
// unfinished.
func (c Clients) ServiceAccounts(ctx context.Context, namespace, toComplete string) (words []string, more bool) {
	if ns, name, ok := strings.Cut(toComplete, ":"); ok {
		for _, sa := range c.serviceAccounts(ctx, ns) {
			words = append(words, ns+":"+sa)
		}
		return Filter(words, ns+":"+name), false
	}
	words = Filter(c.serviceAccounts(ctx, namespace), toComplete)
	for _, ns := range c.Namespaces(ctx, toComplete) {
		words = append(words, ns+":")
	}
	return words, len(words) > 0 && strings.HasSuffix(words[len(words)-1], ":")
}

func (c Clients) serviceAccounts(ctx context.Context, namespace string) []string {
	if c.Core == nil || namespace == "" {
		return nil
	}
	l, err := c.Core.ServiceAccounts(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var names []string
	for _, sa := range l.Items {
		names = append(names, sa.Name)
	}
	return names
}

// Subject kinds as positional arguments and flags name them.
const (
	// AsArgument: users by name, service accounts as
	// system:serviceaccount:NS:NAME, and the system:serviceaccounts:NS
	// groups (the forms grant and revoke take as arguments).
	AsArgument = iota
	// AsGroupFlag: every group, as --group takes it.
	AsGroupFlag
	// AsServiceAccountFlag: service accounts as NAMESPACE:NAME, as
	// --serviceaccount takes it.
	AsServiceAccountFlag
)

// BoundSubjects lists the subjects bound to a registry role: in namespace's
// RoleBindings for a project role, in ClusterRoleBindings for "metrics".
// All bindings of the role's ClusterRole count, not only oc-registry's:
// revoke --all-bindings reaches the others. form picks which subjects are
// offered and how they are spelled.
func (c Clients) BoundSubjects(ctx context.Context, role, namespace string, form int, prefix string) []string {
	if c.RBAC == nil {
		return nil
	}
	var subjects []rbacv1.Subject
	if role == "metrics" {
		l, err := c.RBAC.ClusterRoleBindings().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil
		}
		for _, b := range l.Items {
			if b.RoleRef.Kind == "ClusterRole" && isMetricsRole(b.RoleRef.Name) {
				subjects = append(subjects, b.Subjects...)
			}
		}
	} else {
		r, err := rbac.LookupRole(role)
		if err != nil || namespace == "" {
			return nil
		}
		l, err := c.RBAC.RoleBindings(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil
		}
		for _, b := range l.Items {
			if b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == r.ClusterRole {
				subjects = append(subjects, b.Subjects...)
			}
		}
	}
	var words []string
	for _, s := range subjects {
		if w := spell(s, form); w != "" {
			words = append(words, w)
		}
	}
	return Filter(words, prefix)
}

func isMetricsRole(name string) bool {
	return name == "registry-monitoring" || name == "prometheus-scraper"
}

// spell writes a subject the way the given argument or flag takes it, or ""
// when that place cannot name it.
func spell(s rbacv1.Subject, form int) string {
	switch form {
	case AsGroupFlag:
		if s.Kind == rbacv1.GroupKind {
			return s.Name
		}
	case AsServiceAccountFlag:
		if s.Kind == rbacv1.ServiceAccountKind {
			return s.Namespace + ":" + s.Name
		}
	default:
		switch s.Kind {
		case rbacv1.UserKind:
			return s.Name
		case rbacv1.ServiceAccountKind:
			return "system:serviceaccount:" + s.Namespace + ":" + s.Name
		case rbacv1.GroupKind:
			if strings.HasPrefix(s.Name, "system:serviceaccounts:") {
				return s.Name
			}
		}
	}
	return ""
}

// StreamTargets completes PROJECT/NAME[:TAG]. Before the slash it offers
// projects as "PROJECT/" (more to type: the caller should not add a space);
// after it, every "PROJECT/NAME:TAG" of the project's image streams, and
// "PROJECT/NAME" for a stream without tags. more reports whether the words
// are unfinished.
func (c Clients) StreamTargets(ctx context.Context, toComplete string) (words []string, more bool) {
	project, rest, slash := strings.Cut(toComplete, "/")
	if !slash {
		for _, ns := range c.Namespaces(ctx, project) {
			words = append(words, ns+"/")
		}
		return words, true
	}
	if c.Dynamic == nil || project == "" || strings.Contains(rest, "/") {
		return nil, false
	}
	l, err := c.Dynamic.Resource(cluster.ImageStreams).Namespace(project).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, false
	}
	for _, is := range l.Items {
		repo := project + "/" + is.GetName()
		tags := StreamTags(&is)
		if len(tags) == 0 {
			words = append(words, repo)
		}
		for _, t := range tags {
			words = append(words, repo+":"+t)
		}
	}
	return Filter(words, toComplete), false
}

// StreamTags returns the tags of an image stream: those with images
// (status.tags) and those declared (spec.tags), sorted, without repeats.
func StreamTags(is *unstructured.Unstructured) []string {
	seen := map[string]bool{}
	status, _, _ := unstructured.NestedSlice(is.Object, "status", "tags")
	for _, t := range status {
		if m, ok := t.(map[string]any); ok {
			if s, ok := m["tag"].(string); ok && s != "" {
				seen[s] = true
			}
		}
	}
	spec, _, _ := unstructured.NestedSlice(is.Object, "spec", "tags")
	for _, t := range spec {
		if m, ok := t.(map[string]any); ok {
			if s, ok := m["name"].(string); ok && s != "" {
				seen[s] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// MetricFamilies are the families the OpenShift registry serves on
// /extensions/v2/metrics (openshift/image-registry pkg/dockerregistry/server/
// metrics), offered for `metrics FAMILY-REGEX`. They are a fixed list rather
// than a scrape: a scrape goes through a port-forward or the route and takes
// far longer than a TAB should.
var MetricFamilies = []string{
	"imageregistry_build_info",
	"imageregistry_digest_cache_requests_total",
	"imageregistry_digest_cache_scoped_requests_total",
	"imageregistry_http_in_flight_requests",
	"imageregistry_http_request_duration_seconds",
	"imageregistry_http_request_size_bytes",
	"imageregistry_http_requests_total",
	"imageregistry_http_response_size_bytes",
	"imageregistry_http_time_to_write_header_seconds",
	"imageregistry_pullthrough_blobstore_cache_requests_total",
	"imageregistry_pullthrough_repository_duration_seconds",
	"imageregistry_pullthrough_repository_errors_total",
	"imageregistry_request_duration_seconds",
	"imageregistry_storage_duration_seconds",
	"imageregistry_storage_errors_total",
}

// Families returns the metric families starting with prefix, leaving out
// those already given.
func Families(prefix string, given []string) []string {
	var out []string
	for _, f := range Filter(MetricFamilies, prefix) {
		if !contains(given, f) {
			out = append(out, f)
		}
	}
	return out
}

// Filter keeps the words starting with prefix, sorted, without repeats.
func Filter(words []string, prefix string) []string {
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, prefix) && !contains(out, w) {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
