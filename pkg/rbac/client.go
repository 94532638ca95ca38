package rbac

import (
	"context"
	"errors"
	"fmt"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacclient "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/util/retry"
)

// Client does registry RBAC against a cluster.
type Client struct {
	RBAC  rbacclient.RbacV1Interface
	Authz authzclient.AuthorizationV1Interface
	Core  coreclient.CoreV1Interface
	// Streams looks image streams up; nil skips the checks that need it.
	Streams ImageStreams
}

// ImageStreams answers questions about a project's image streams.
type ImageStreams interface {
	// CountImageStreams returns 0 or 1 (whether there is any), or -1
	// when the cluster has no ImageStream API.
	CountImageStreams(ctx context.Context, namespace string) (int, error)
	ImageStreamExists(ctx context.Context, namespace, name string) (bool, error)
}

// DryRun is none, client (nothing sent) or server (sent with dryRun=All).
type DryRun string

const (
	DryRunNone   DryRun = "none"
	DryRunClient DryRun = "client"
	DryRunServer DryRun = "server"
)

func (d DryRun) create() metav1.CreateOptions {
	if d == DryRunServer {
		return metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	}
	return metav1.CreateOptions{}
}

func (d DryRun) update() metav1.UpdateOptions {
	if d == DryRunServer {
		return metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}
	}
	return metav1.UpdateOptions{}
}

func (d DryRun) delete() metav1.DeleteOptions {
	if d == DryRunServer {
		return metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}
	}
	return metav1.DeleteOptions{}
}

// ErrRoleMissing means the ClusterRole is not on the cluster.
var ErrRoleMissing = errors.New("cluster role not found")

// ErrProjectMissing means the namespace does not exist.
var ErrProjectMissing = errors.New("does not exist")

// CheckProject fails with ErrProjectMissing when namespace does not exist.
func (c *Client) CheckProject(ctx context.Context, namespace string) error {
	_, err := c.Core.Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("project %q %w", namespace, ErrProjectMissing)
	}
	if apierrors.IsForbidden(err) {
		return nil // cannot look: the access review or the write will tell
	}
	return err
}

// EnsureClusterRole checks that name exists; with create it makes it from
// rules when missing. It returns whether it created the role.
func (c *Client) EnsureClusterRole(ctx context.Context, name string, rules []rbacv1.PolicyRule, create bool, dry DryRun) (bool, error) {
	_, err := c.RBAC.ClusterRoles().Get(ctx, name, metav1.GetOptions{})
	if err == nil || (apierrors.IsForbidden(err) && !create) {
		// Project admins may not read cluster roles; the binding write
		// will tell whether the role is usable.
		return false, nil
	}
	if !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("reading cluster role %q: %w", name, err)
	}
	if !create {
		return false, fmt.Errorf("%q: %w", name, ErrRoleMissing)
	}
	if dry == DryRunClient {
		return true, nil
	}
	_, err = c.RBAC.ClusterRoles().Create(ctx, NewClusterRole(name, rules), dry.create())
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return false, fmt.Errorf("creating cluster role %q: %w", name, err)
	}
	return true, nil
}

// MetricsRole decides which ClusterRole `grant metrics` binds, and
// whether it must be created: role when given; else OpenShift's
// registry-monitoring when the cluster has it, else the documentation's
// prometheus-scraper, created. Only "not found" means the cluster lacks
// registry-monitoring: any other error (a timeout) is returned, not
// answered by creating another role. prometheus-scraper is always created
// when missing, as the documentation defines it.
func (c *Client) MetricsRole(ctx context.Context, role string, create bool) (string, bool, error) {
	if role == "" {
		role = MetricsRoles[0]
		_, err := c.EnsureClusterRole(ctx, role, nil, false, DryRunNone)
		switch {
		case errors.Is(err, ErrRoleMissing):
			role, create = MetricsRoles[1], true
		case err != nil:
			return "", false, err
		}
	}
	return role, create || role == MetricsRoles[1], nil
}

// GrantResult says what a grant changed.
type GrantResult struct {
	Binding *rbacv1.RoleBinding `json:"binding"`
	Added   []rbacv1.Subject    `json:"added"`
	Created bool                `json:"created"`
}

// Grant adds subjects to the role's binding in namespace, creating the
// binding when needed. Running it twice changes nothing the second time.
func (c *Client) Grant(ctx context.Context, role Role, namespace string, subjects []rbacv1.Subject, dry DryRun) (*GrantResult, error) {
	res := &GrantResult{}
	name := BindingName(role)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		*res = GrantResult{}
		rb, err := c.RBAC.RoleBindings(namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			res.Binding, res.Added, res.Created = NewRoleBinding(role, namespace, subjects), subjects, true
			if dry == DryRunClient {
				return nil
			}
			created, err := c.RBAC.RoleBindings(namespace).Create(ctx, res.Binding, dry.create())
			if apierrors.IsAlreadyExists(err) {
				return apierrors.NewConflict(rbacv1.Resource("rolebindings"), name, err)
			}
			if err == nil {
				res.Binding = created
			}
			return err
		}
		if err != nil {
			return err
		}
		if !IsManaged(rb.Labels) {
			return fmt.Errorf("rolebinding %q in %q exists but was not created by oc-registry: rename or delete it", name, namespace)
		}
		if rb.RoleRef.Name != role.ClusterRole {
			return fmt.Errorf("rolebinding %q in %q binds %q, not %q: delete it and grant again", name, namespace, rb.RoleRef.Name, role.ClusterRole)
		}
		rb.Subjects, res.Added = AddSubjects(rb.Subjects, subjects)
		res.Binding = rb
		if len(res.Added) == 0 || dry == DryRunClient {
			return nil
		}
		updated, err := c.RBAC.RoleBindings(namespace).Update(ctx, rb, dry.update())
		if err == nil {
			res.Binding = updated
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("granting %s in project %q: %w", role.ClusterRole, namespace, err)
	}
	return res, nil
}

// GrantMetrics adds subjects to the cluster-wide metrics binding.
func (c *Client) GrantMetrics(ctx context.Context, clusterRole string, subjects []rbacv1.Subject, dry DryRun) (*rbacv1.ClusterRoleBinding, []rbacv1.Subject, bool, error) {
	var out *rbacv1.ClusterRoleBinding
	var added []rbacv1.Subject
	var created bool
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		created = false
		crb, err := c.RBAC.ClusterRoleBindings().Get(ctx, MetricsBindingName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			out, added, created = NewMetricsBinding(clusterRole, subjects), subjects, true
			if dry == DryRunClient {
				return nil
			}
			crb, err := c.RBAC.ClusterRoleBindings().Create(ctx, out, dry.create())
			if apierrors.IsAlreadyExists(err) {
				return apierrors.NewConflict(rbacv1.Resource("clusterrolebindings"), MetricsBindingName, err)
			}
			if err == nil {
				out = crb
			}
			return err
		}
		if err != nil {
			return err
		}
		if !IsManaged(crb.Labels) {
			return fmt.Errorf("clusterrolebinding %q exists but was not created by oc-registry", MetricsBindingName)
		}
		if crb.RoleRef.Name != clusterRole {
			return fmt.Errorf("clusterrolebinding %q binds %q, not %q: revoke metrics for its subjects first, or use --role %s", MetricsBindingName, crb.RoleRef.Name, clusterRole, crb.RoleRef.Name)
		}
		crb.Subjects, added = AddSubjects(crb.Subjects, subjects)
		out = crb
		if len(added) == 0 || dry == DryRunClient {
			return nil
		}
		updated, err := c.RBAC.ClusterRoleBindings().Update(ctx, crb, dry.update())
		if err == nil {
			out = updated
		}
		return err
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("granting metrics: %w", err)
	}
	return out, added, created, nil
}

// Access asks the API server whether subject may do a (SubjectAccessReview).
func (c *Client) Access(ctx context.Context, s rbacv1.Subject, a authzv1.ResourceAttributes) (bool, string, error) {
	spec := authzv1.SubjectAccessReviewSpec{ResourceAttributes: &a}
	switch s.Kind {
	case rbacv1.UserKind:
		spec.User = s.Name
		spec.Groups = []string{"system:authenticated"}
	case rbacv1.GroupKind:
		spec.User = "oc-registry:member-of:" + s.Name
		spec.Groups = []string{s.Name, "system:authenticated"}
	case rbacv1.ServiceAccountKind:
		spec.User = "system:serviceaccount:" + s.Namespace + ":" + s.Name
		spec.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + s.Namespace, "system:authenticated"}
	}
	r, err := c.Authz.SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	return r.Status.Allowed, r.Status.Reason, nil
}

// AccessEventually retries Access for a short while: RBAC caches catch up
// with a new binding within milliseconds, but not instantly.
// After about two seconds the last answer stands.
func (c *Client) AccessEventually(ctx context.Context, s rbacv1.Subject, a authzv1.ResourceAttributes, want bool) (bool, error) {
	var got bool
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Second, true, func(context.Context) (bool, error) {
		var err error
		got, _, err = c.Access(ctx, s, a)
		return err != nil || got == want, err
	})
	if ctx.Err() != nil {
		return got, ctx.Err()
	}
	if wait.Interrupted(err) {
		return got, nil
	}
	return got, err
}

// SelfAccess asks whether the current user may do a (SelfSubjectAccessReview).
func (c *Client) SelfAccess(ctx context.Context, a authzv1.ResourceAttributes) (bool, string, error) {
	r, err := c.Authz.SelfSubjectAccessReviews().Create(ctx,
		&authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &a}}, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	return r.Status.Allowed, r.Status.Reason, nil
}
