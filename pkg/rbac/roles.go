// Package rbac knows the registry's roles: which ClusterRole grants what,
// how oc-registry names and fills its bindings, and who holds a registry
// permission according to the cluster's RBAC objects.
package rbac

import (
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Permission is something a subject can do with the registry.
type Permission string

const (
	Pull    Permission = "pull"
	Push    Permission = "push"
	Metrics Permission = "metrics"
)

// Role is a short role name users type, and the ClusterRole behind it.
type Role struct {
	Name        string
	ClusterRole string
	Grants      []Permission
	CreatesIS   bool // may create image streams (first push of a new image)
	Summary     string
	Rules       []rbacv1.PolicyRule // OpenShift's rules, for --create-role
}

var imageGroups = []string{"", "image.openshift.io"}

func rule(groups []string, resources []string, verbs ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs}
}

var (
	readWrite   = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	isResources = []string{"imagestreamimages", "imagestreammappings", "imagestreams", "imagestreams/secrets", "imagestreamtags", "imagetags"}
	viewerRules = []rbacv1.PolicyRule{
		rule(imageGroups, []string{"imagestreamimages", "imagestreammappings", "imagestreams", "imagestreamtags", "imagetags"}, "get", "list", "watch"),
		rule(imageGroups, []string{"imagestreams/layers"}, "get"),
		rule([]string{""}, []string{"namespaces"}, "get"),
		rule([]string{"", "project.openshift.io"}, []string{"projects"}, "get"),
	}
	editorRules = []rbacv1.PolicyRule{
		rule(imageGroups, isResources, readWrite...),
		rule(imageGroups, []string{"imagestreamimports"}, "create"),
		rule(imageGroups, []string{"imagestreams/layers"}, "get", "update"),
		rule([]string{""}, []string{"namespaces"}, "get"),
		rule([]string{"", "project.openshift.io"}, []string{"projects"}, "get"),
		rule([]string{""}, []string{"secrets", "serviceaccounts"}, readWrite...),
	}
	// MetricsRule is the documentation's prometheus-scraper rule.
	MetricsRule = rule([]string{"image.openshift.io"}, []string{"registry/metrics"}, "get")
)

// Roles is the catalogue, in the order help shows it.
var Roles = []Role{
	{Name: "viewer", ClusterRole: "registry-viewer", Grants: []Permission{Pull}, Summary: "pull images and read image streams", Rules: viewerRules},
	{Name: "editor", ClusterRole: "registry-editor", Grants: []Permission{Pull, Push}, CreatesIS: true, Summary: "pull, push and manage image streams", Rules: editorRules},
	{Name: "builder", ClusterRole: "system:image-builder", Grants: []Permission{Pull, Push}, CreatesIS: true, Summary: "push, including new image streams (what builds use)", Rules: []rbacv1.PolicyRule{
		rule(imageGroups, []string{"imagestreams/layers"}, "get", "update"),
		rule(imageGroups, []string{"imagestreams"}, "create"),
		rule([]string{"", "build.openshift.io"}, []string{"builds/details"}, "update"),
		rule([]string{"", "build.openshift.io"}, []string{"builds"}, "get"),
	}},
	{Name: "pusher", ClusterRole: "system:image-pusher", Grants: []Permission{Pull, Push}, Summary: "push to existing image streams only", Rules: []rbacv1.PolicyRule{
		rule(imageGroups, []string{"imagestreams/layers"}, "get", "update"),
	}},
	{Name: "puller", ClusterRole: "system:image-puller", Grants: []Permission{Pull}, Summary: "pull only", Rules: []rbacv1.PolicyRule{
		rule(imageGroups, []string{"imagestreams/layers"}, "get"),
	}},
	// registry-admin as openshift-apiserver's bootstrap policy ships it:
	// the editor's rules (projects may also be deleted), roles and
	// bindings in both authorization groups, and the review resources.
	{Name: "admin", ClusterRole: "registry-admin", Grants: []Permission{Pull, Push}, CreatesIS: true, Summary: "editor, plus managing who has access in the project", Rules: append(append([]rbacv1.PolicyRule{}, editorRules[:4]...),
		rule([]string{"", "project.openshift.io"}, []string{"projects"}, "get", "delete"),
		editorRules[5],
		rule([]string{"", "authorization.openshift.io"}, []string{"rolebindings", "roles"}, readWrite...),
		rule([]string{"rbac.authorization.k8s.io"}, []string{"rolebindings", "roles"}, readWrite...),
		rule([]string{"", "authorization.openshift.io"}, []string{"localresourceaccessreviews", "localsubjectaccessreviews", "subjectrulesreviews"}, "create"),
		rule([]string{"authorization.k8s.io"}, []string{"localsubjectaccessreviews"}, "create"),
		rule([]string{"", "authorization.openshift.io"}, []string{"resourceaccessreviews", "subjectaccessreviews"}, "create"),
	)},
}

// Strongest is the permission the role is best described by: push when it
// grants push.
func (r Role) Strongest() Permission {
	for _, p := range r.Grants {
		if p == Push {
			return p
		}
	}
	return r.Grants[0]
}

// Phrase is the permission in words, as in "alice can now push to project
// team-a".
func (p Permission) Phrase(namespace string) string {
	switch p {
	case Push:
		return "push to project " + namespace
	case Pull:
		return "pull from project " + namespace
	}
	return "read registry metrics"
}

// MetricsRoles are the ClusterRoles `grant metrics` can bind: OpenShift's
// registry-monitoring, or the documentation's prometheus-scraper.
var MetricsRoles = []string{"registry-monitoring", "prometheus-scraper"}

// LookupRole finds a role by short name or by ClusterRole name.
func LookupRole(name string) (Role, error) {
	for _, r := range Roles {
		if r.Name == name || r.ClusterRole == name {
			return r, nil
		}
	}
	return Role{}, fmt.Errorf("unknown role %q: valid roles are %s (and metrics, which is cluster-wide)", name, strings.Join(RoleNames(), ", "))
}

// RoleNames lists the short names.
func RoleNames() []string {
	var n []string
	for _, r := range Roles {
		n = append(n, r.Name)
	}
	return n
}

// Describe is a table of the catalogue for help text.
func Describe() string {
	var b strings.Builder
	for _, r := range Roles {
		fmt.Fprintf(&b, "  %-8s %-21s %s\n", r.Name, r.ClusterRole, r.Summary)
	}
	fmt.Fprintf(&b, "  %-8s %-21s %s\n", "metrics", "registry-monitoring", "scrape /extensions/v2/metrics (cluster-wide)")
	return b.String()
}

// NewClusterRole builds a ClusterRole with the given rules, labelled as ours.
func NewClusterRole(name string, rules []rbacv1.PolicyRule) *rbacv1.ClusterRole {
	cr := &rbacv1.ClusterRole{Rules: rules}
	cr.Name = name
	cr.Labels = map[string]string{ManagedByLabel: ManagedBy}
	cr.Kind, cr.APIVersion = "ClusterRole", rbacv1.SchemeGroupVersion.String()
	return cr
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
