package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// Labels on the bindings and roles oc-registry creates. revoke touches only
// bindings with this label unless told otherwise.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "oc-registry"
)

// BindingName is the one RoleBinding oc-registry keeps per role and project.
func BindingName(r Role) string { return "oc-registry-" + r.Name }

// MetricsBindingName is the ClusterRoleBinding for `grant metrics`.
const MetricsBindingName = "oc-registry-metrics"

// IsManaged reports whether oc-registry created the object.
func IsManaged(labels map[string]string) bool { return labels[ManagedByLabel] == ManagedBy }

// NewRoleBinding builds the RoleBinding for role in namespace.
func NewRoleBinding(r Role, namespace string, subjects []rbacv1.Subject) *rbacv1.RoleBinding {
	rb := &rbacv1.RoleBinding{
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: r.ClusterRole},
		Subjects: subjects,
	}
	rb.Kind, rb.APIVersion = "RoleBinding", rbacv1.SchemeGroupVersion.String()
	rb.Name, rb.Namespace = BindingName(r), namespace
	rb.Labels = map[string]string{ManagedByLabel: ManagedBy}
	return rb
}

// NewMetricsBinding builds the ClusterRoleBinding to a metrics ClusterRole.
func NewMetricsBinding(clusterRole string, subjects []rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	crb := &rbacv1.ClusterRoleBinding{
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects: subjects,
	}
	crb.Kind, crb.APIVersion = "ClusterRoleBinding", rbacv1.SchemeGroupVersion.String()
	crb.Name = MetricsBindingName
	crb.Labels = map[string]string{ManagedByLabel: ManagedBy}
	return crb
}

// AddSubjects returns existing plus those of add not already present, and
// the ones that were new. Order is kept; nothing is duplicated.
func AddSubjects(existing, add []rbacv1.Subject) (merged, added []rbacv1.Subject) {
	merged = append([]rbacv1.Subject(nil), existing...)
	for _, s := range add {
		if !containsSubject(merged, s) {
			if s.Kind != rbacv1.ServiceAccountKind {
				s.APIGroup = rbacv1.GroupName
			}
			merged = append(merged, s)
			added = append(added, s)
		}
	}
	return merged, added
}

// RemoveSubjects returns existing without those in remove, and the ones
// that were actually removed.
func RemoveSubjects(existing, remove []rbacv1.Subject) (remaining, removed []rbacv1.Subject) {
	for _, s := range existing {
		if containsSubject(remove, s) {
			removed = append(removed, s)
		} else {
			remaining = append(remaining, s)
		}
	}
	return remaining, removed
}
