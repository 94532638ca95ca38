package rbac

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// ParsePermission accepts pull, push or metrics.
func ParsePermission(s string) (Permission, error) {
	switch p := Permission(s); p {
	case Pull, Push, Metrics:
		return p, nil
	}
	return "", fmt.Errorf("unknown permission %q: use pull, push or metrics", s)
}

// Attributes are what the registry asks the API server for p: pull is get
// and push is update on imagestreams/layers in the project; metrics is get
// on registry/metrics, cluster-wide.
func Attributes(p Permission, namespace, stream string) authzv1.ResourceAttributes {
	switch p {
	case Metrics:
		return authzv1.ResourceAttributes{Verb: "get", Group: "image.openshift.io", Resource: "registry", Subresource: "metrics"}
	case Push:
		return authzv1.ResourceAttributes{Namespace: namespace, Name: stream, Verb: "update", Group: "image.openshift.io", Resource: "imagestreams", Subresource: "layers"}
	}
	return authzv1.ResourceAttributes{Namespace: namespace, Name: stream, Verb: "get", Group: "image.openshift.io", Resource: "imagestreams", Subresource: "layers"}
}

// CreateStreamAttributes is the extra right a first push of a new image
// needs: the registry creates the ImageStream as the pushing user.
func CreateStreamAttributes(namespace string) authzv1.ResourceAttributes {
	return authzv1.ResourceAttributes{Namespace: namespace, Verb: "create", Group: "image.openshift.io", Resource: "imagestreams"}
}

// RuleAllows reports whether rule grants the attributes, with RBAC's
// wildcard rules for groups, resources and verbs.
func RuleAllows(rule rbacv1.PolicyRule, a authzv1.ResourceAttributes) bool {
	res := a.Resource
	if a.Subresource != "" {
		res += "/" + a.Subresource
	}
	// Groups match literally, as upstream RBAC (which OpenShift 4 runs)
	// does: OpenShift's own roles name both "" and image.openshift.io, so a
	// rule with only "" does not grant image.openshift.io resources.
	groupOK := slices.Contains(rule.APIGroups, "*") || slices.Contains(rule.APIGroups, a.Group)
	resOK := slices.Contains(rule.Resources, "*") || slices.Contains(rule.Resources, res) ||
		(a.Subresource != "" && slices.Contains(rule.Resources, a.Resource+"/*")) ||
		(a.Subresource != "" && slices.Contains(rule.Resources, "*/"+a.Subresource))
	verbOK := slices.Contains(rule.Verbs, "*") || slices.Contains(rule.Verbs, a.Verb)
	namesOK := len(rule.ResourceNames) == 0 || (a.Name != "" && slices.Contains(rule.ResourceNames, a.Name))
	return groupOK && resOK && verbOK && namesOK && len(rule.NonResourceURLs) == 0
}

// RulesAllow reports whether any rule grants the attributes.
func RulesAllow(rules []rbacv1.PolicyRule, a authzv1.ResourceAttributes) bool {
	for _, r := range rules {
		if RuleAllows(r, a) {
			return true
		}
	}
	return false
}

// Holder is one subject holding a permission, and how.
type Holder struct {
	Subject rbacv1.Subject `json:"subject"`
	Binding string         `json:"binding"` // RoleBinding/NAME or ClusterRoleBinding/NAME
	Role    string         `json:"role"`    // ClusterRole/NAME or Role/NAME
	Managed bool           `json:"managedByOcRegistry"`
}

// WhoCan lists the subjects whose bindings give them the attributes:
// RoleBindings in the namespace, and ClusterRoleBindings.
func WhoCan(a authzv1.ResourceAttributes, clusterRoles []rbacv1.ClusterRole, roles []rbacv1.Role,
	roleBindings []rbacv1.RoleBinding, clusterBindings []rbacv1.ClusterRoleBinding) []Holder {
	grantingCR := map[string]bool{}
	for _, cr := range clusterRoles {
		if RulesAllow(cr.Rules, a) {
			grantingCR[cr.Name] = true
		}
	}
	grantingRole := map[string]bool{}
	for _, r := range roles {
		if r.Namespace == a.Namespace && RulesAllow(r.Rules, a) {
			grantingRole[r.Name] = true
		}
	}
	var out []Holder
	add := func(subs []rbacv1.Subject, binding, role string, managed bool) {
		for _, s := range subs {
			out = append(out, Holder{Subject: s, Binding: binding, Role: role, Managed: managed})
		}
	}
	if a.Namespace != "" {
		for _, rb := range roleBindings {
			if rb.Namespace != a.Namespace {
				continue
			}
			ref := rb.RoleRef
			if (ref.Kind == "ClusterRole" && grantingCR[ref.Name]) || (ref.Kind == "Role" && grantingRole[ref.Name]) {
				add(rb.Subjects, "RoleBinding/"+rb.Name, ref.Kind+"/"+ref.Name, IsManaged(rb.Labels))
			}
		}
	}
	for _, crb := range clusterBindings {
		if grantingCR[crb.RoleRef.Name] {
			add(crb.Subjects, "ClusterRoleBinding/"+crb.Name, "ClusterRole/"+crb.RoleRef.Name, IsManaged(crb.Labels))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Subject.Kind != out[j].Subject.Kind {
			return kindOrder(out[i].Subject.Kind) < kindOrder(out[j].Subject.Kind)
		}
		if SubjectString(out[i].Subject) != SubjectString(out[j].Subject) {
			return SubjectString(out[i].Subject) < SubjectString(out[j].Subject)
		}
		return out[i].Binding < out[j].Binding
	})
	return out
}

// IsSystemController reports whether h holds the permission through a
// Kubernetes controller's own binding (system:controller:*, such as the
// garbage collector's): true of every cluster, and no answer to who may
// push.
func IsSystemController(h Holder) bool {
	_, name, _ := strings.Cut(h.Binding, "/")
	return strings.HasPrefix(name, "system:controller:")
}

// HideSystem returns holders without the system controllers' bindings, and
// how many it left out.
func HideSystem(holders []Holder) ([]Holder, int) {
	out := make([]Holder, 0, len(holders))
	for _, h := range holders {
		if !IsSystemController(h) {
			out = append(out, h)
		}
	}
	return out, len(holders) - len(out)
}

func kindOrder(k string) int {
	switch k {
	case rbacv1.UserKind:
		return 0
	case rbacv1.GroupKind:
		return 1
	}
	return 2
}
