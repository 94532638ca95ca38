package rbac

import (
	"context"
	"fmt"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// BindingChange is what revoke did to one binding.
type BindingChange struct {
	Kind      string           `json:"kind"`
	Name      string           `json:"name"`
	Namespace string           `json:"namespace,omitempty"`
	Removed   []rbacv1.Subject `json:"removed"`
	Deleted   bool             `json:"deleted"`
	Managed   bool             `json:"managedByOcRegistry"`
}

// RevokeResult lists the changes, and the other bindings that still give
// the subjects the same role (left alone without --all-bindings).
type RevokeResult struct {
	Changes   []BindingChange `json:"changes"`
	Remaining []Holder        `json:"stillBoundElsewhere"`
}

// NewRevokeResult is an empty result; its lists are empty, not nil, so that
// JSON shows [] for "nothing".
func NewRevokeResult() *RevokeResult {
	return &RevokeResult{Changes: []BindingChange{}, Remaining: []Holder{}}
}

// Revoke removes subjects from role bindings of the role in namespace:
// ours only, or every binding of that ClusterRole with all.
func (c *Client) Revoke(ctx context.Context, role Role, namespace string, subjects []rbacv1.Subject, all bool, dry DryRun) (*RevokeResult, error) {
	list, err := c.RBAC.RoleBindings(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing rolebindings in %q: %w", namespace, err)
	}
	res := NewRevokeResult()
	for _, rb := range list.Items {
		if rb.RoleRef.Kind != "ClusterRole" || rb.RoleRef.Name != role.ClusterRole {
			continue
		}
		managed := IsManaged(rb.Labels) && rb.Name == BindingName(role)
		_, removed := RemoveSubjects(rb.Subjects, subjects)
		if len(removed) == 0 {
			continue
		}
		if !managed && !all {
			for _, s := range removed {
				res.Remaining = append(res.Remaining, Holder{Subject: s, Binding: "RoleBinding/" + rb.Name, Role: "ClusterRole/" + rb.RoleRef.Name})
			}
			continue
		}
		ch, err := c.removeFromRoleBinding(ctx, namespace, rb.Name, subjects, dry)
		if err != nil {
			return nil, err
		}
		if ch != nil {
			ch.Managed = managed
			res.Changes = append(res.Changes, *ch)
		}
	}
	return res, nil
}

func (c *Client) removeFromRoleBinding(ctx context.Context, namespace, name string, subjects []rbacv1.Subject, dry DryRun) (*BindingChange, error) {
	var ch *BindingChange
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ch = nil
		rb, err := c.RBAC.RoleBindings(namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		remaining, removed := RemoveSubjects(rb.Subjects, subjects)
		if len(removed) == 0 {
			return nil
		}
		ch = &BindingChange{Kind: "RoleBinding", Name: name, Namespace: namespace, Removed: removed, Deleted: len(remaining) == 0}
		if dry == DryRunClient {
			return nil
		}
		if ch.Deleted {
			opts := dry.delete()
			opts.Preconditions = &metav1.Preconditions{ResourceVersion: &rb.ResourceVersion}
			err = c.RBAC.RoleBindings(namespace).Delete(ctx, name, opts)
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
		rb.Subjects = remaining
		_, err = c.RBAC.RoleBindings(namespace).Update(ctx, rb, dry.update())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("updating rolebinding %q in %q: %w", name, namespace, err)
	}
	return ch, nil
}

// RevokeMetrics removes subjects from the metrics ClusterRoleBinding.
func (c *Client) RevokeMetrics(ctx context.Context, subjects []rbacv1.Subject, dry DryRun) (*BindingChange, error) {
	var ch *BindingChange
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ch = nil
		crb, err := c.RBAC.ClusterRoleBindings().Get(ctx, MetricsBindingName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		remaining, removed := RemoveSubjects(crb.Subjects, subjects)
		if len(removed) == 0 {
			return nil
		}
		ch = &BindingChange{Kind: "ClusterRoleBinding", Name: crb.Name, Removed: removed, Deleted: len(remaining) == 0, Managed: IsManaged(crb.Labels)}
		if dry == DryRunClient {
			return nil
		}
		if ch.Deleted {
			opts := dry.delete()
			opts.Preconditions = &metav1.Preconditions{ResourceVersion: &crb.ResourceVersion}
			err = c.RBAC.ClusterRoleBindings().Delete(ctx, crb.Name, opts)
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
		crb.Subjects = remaining
		_, err = c.RBAC.ClusterRoleBindings().Update(ctx, crb, dry.update())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("revoking metrics: %w", err)
	}
	return ch, nil
}

// WhoCanIn lists holders of a by reading the cluster's RBAC objects.
func (c *Client) WhoCanIn(ctx context.Context, a authzv1.ResourceAttributes) ([]Holder, error) {
	crs, err := c.RBAC.ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing cluster roles: %w", err)
	}
	crbs, err := c.RBAC.ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing cluster role bindings: %w", err)
	}
	var roles []rbacv1.Role
	var rbs []rbacv1.RoleBinding
	if a.Namespace != "" {
		rl, err := c.RBAC.Roles(a.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing roles in %q: %w", a.Namespace, err)
		}
		rbl, err := c.RBAC.RoleBindings(a.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing rolebindings in %q: %w", a.Namespace, err)
		}
		roles, rbs = rl.Items, rbl.Items
	}
	return WhoCan(a, crs.Items, roles, rbs, crbs.Items), nil
}
