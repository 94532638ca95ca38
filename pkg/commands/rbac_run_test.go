package commands

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/oc-registry/oc-registry/pkg/rbac"
	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// answerReviews makes the fake API server answer SubjectAccessReviews and
// SelfSubjectAccessReviews with allow (self reviews get User "").
func answerReviews(cs *kubefake.Clientset, allow func(user string, a authzv1.ResourceAttributes) bool) {
	cs.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		sar := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview)
		sar.Status.Allowed = allow(sar.Spec.User, *sar.Spec.ResourceAttributes)
		return true, sar, nil
	})
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		sar := a.(k8stesting.CreateAction).GetObject().(*authzv1.SelfSubjectAccessReview)
		sar.Status.Allowed = allow("", *sar.Spec.ResourceAttributes)
		return true, sar, nil
	})
}

func clusterRole(name string, rules []rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func editorRole() *rbacv1.ClusterRole {
	r, _ := rbac.LookupRole("editor")
	return clusterRole(r.ClusterRole, r.Rules)
}

func managedBinding(ns, role string, subjects ...string) *rbacv1.RoleBinding {
	r, _ := rbac.LookupRole(role)
	var subs []rbacv1.Subject
	for _, s := range subjects {
		subs = append(subs, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: s})
	}
	return rbac.NewRoleBinding(r, ns, subs)
}

func TestGrantRun(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"), editorRole())
	f.explicit = true
	answerReviews(f.kube, func(user string, a authzv1.ResourceAttributes) bool { return user == "alice" })
	r := run(t, f, NewCmdGrant, "editor", "alice")
	want := "rolebinding/oc-registry-editor in project team-a created\n  added alice\nalice can now push to project team-a\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Fatalf("grant editor alice:\n%s\nwant stdout:\n%s", r, want)
	}
	rb, err := f.kube.RbacV1().RoleBindings("team-a").Get(t.Context(), "oc-registry-editor", metav1.GetOptions{})
	if err != nil || len(rb.Subjects) != 1 || rb.Subjects[0].Name != "alice" || rb.RoleRef.Name != "registry-editor" {
		t.Fatalf("binding: %+v %v", rb, err)
	}

	// Without -n, the project from the kubeconfig is named on stderr.
	f.explicit = false
	r = run(t, f, NewCmdGrant, "editor", "alice")
	if r.code != 0 || !strings.Contains(r.stdout, "unchanged") || r.stderr != "using project \"team-a\" from your kubeconfig (pass -n to choose)\n" {
		t.Fatalf("second grant:\n%s", r)
	}
}

func TestGrantRunFailures(t *testing.T) {
	f := newFakeFactory(t, "nope", editorRole())
	f.explicit = true
	r := run(t, f, NewCmdGrant, "editor", "alice")
	if r.code != 1 || r.stdout != "" || r.stderr != "error: project \"nope\" does not exist\nhint: create it first (oc new-project nope), or check the project name\n" {
		t.Fatalf("grant in a missing project:\n%s", r)
	}

	f = newFakeFactory(t, "team-a", namespace("team-a"), editorRole())
	f.explicit = true
	f.kube.PrependReactor("create", "rolebindings", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(rbacv1.Resource("rolebindings"), "oc-registry-editor", nil)
	})
	r = run(t, f, NewCmdGrant, "editor", "bob")
	if r.code != 4 || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: granting registry-editor in project \"team-a\": ") ||
		!strings.Contains(r.stderr, "\nhint: you need permission to create and update rolebindings in project team-a") {
		t.Fatalf("forbidden grant:\n%s", r)
	}
}

func TestRevokeRun(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"), editorRole(), managedBinding("team-a", "editor", "alice"))
	f.explicit = true
	answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return false })
	r := run(t, f, NewCmdRevoke, "editor", "alice")
	want := "removed alice from rolebinding/oc-registry-editor in project team-a\n" +
		"deleted rolebinding/oc-registry-editor in project team-a: no subjects left\n" +
		"alice can no longer push to project team-a\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Fatalf("revoke editor alice:\n%s\nwant stdout:\n%s", r, want)
	}
	if _, err := f.kube.RbacV1().RoleBindings("team-a").Get(t.Context(), "oc-registry-editor", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the emptied binding is still there: %v", err)
	}
}

func TestRevokeRunFailures(t *testing.T) {
	f := newFakeFactory(t, "nope")
	f.explicit = true
	r := run(t, f, NewCmdRevoke, "editor", "alice")
	if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: project \"nope\" does not exist\nhint: ") {
		t.Fatalf("revoke in a missing project:\n%s", r)
	}
	r = run(t, f, NewCmdRevoke, "owner", "alice")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown role "owner"`) {
		t.Fatalf("revoke owner:\n%s", r)
	}
}

func TestCanIRun(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"))
	f.explicit = true
	answerReviews(f.kube, func(_ string, a authzv1.ResourceAttributes) bool { return a.Verb == "get" })
	if r := run(t, f, NewCmdCanI, "pull"); r.code != 0 || r.stdout != "yes\n" || r.stderr != "" {
		t.Fatalf("can-i pull:\n%s", r)
	}
	if r := run(t, f, NewCmdCanI, "push"); r.code != 5 || r.stdout != "no\n" || r.stderr != "" {
		t.Fatalf("can-i push:\n%s", r)
	}
	if r := run(t, f, NewCmdCanI, "push", "-q"); r.code != 5 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("can-i push -q:\n%s", r)
	}
}

func TestCanIRunFailure(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"))
	f.explicit = true
	f.kube.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewUnauthorized("token expired")
	})
	r := run(t, f, NewCmdCanI, "pull")
	if r.code != 3 || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: you must be logged in to the server (Unauthorized)\nhint: ") {
		t.Fatalf("can-i with an expired token:\n%s", r)
	}
}

func TestWhoCanRun(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"), editorRole(), managedBinding("team-a", "editor", "alice"))
	f.explicit = true
	r := run(t, f, NewCmdWhoCan, "push")
	want := "SUBJECT  KIND  BINDING                         ROLE\n" +
		"alice    User  RoleBinding/oc-registry-editor  ClusterRole/registry-editor\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Fatalf("who-can push:\n%s\nwant stdout:\n%s", r, want)
	}
}

func TestWhoCanRunFailure(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"))
	f.explicit = true
	f.kube.PrependReactor("list", "clusterroles", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(rbacv1.Resource("clusterroles"), "", nil)
	})
	r := run(t, f, NewCmdWhoCan, "push")
	if r.code != 4 || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: listing cluster roles: ") {
		t.Fatalf("who-can without the right to list roles:\n%s", r)
	}
}

func TestGrantPusherWarnsWithoutStreams(t *testing.T) {
	pusher, _ := rbac.LookupRole("pusher")
	f := newFakeFactory(t, "team-a", namespace("team-a"), clusterRole(pusher.ClusterRole, pusher.Rules))
	f.explicit = true
	answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return true })
	r := run(t, f, NewCmdGrant, "pusher", "bob")
	if r.code != 0 || !strings.Contains(r.stderr, "pusher cannot create them") || !strings.Contains(r.stderr, "hint: grant builder (or editor) instead: oc-registry grant builder ... -n team-a") {
		t.Fatalf("grant pusher in a project without streams:\n%s", r)
	}
}

// RBAC's escalation check is told apart from other refusals by the API
// status, not by the text of the whole error chain.
func TestGrantEscalationHint(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"), editorRole())
	f.explicit = true
	f.kube.PrependReactor("create", "rolebindings", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(rbacv1.Resource("rolebindings"), "oc-registry-editor",
			errors.New("user \"carol\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held"))
	})
	r := run(t, f, NewCmdGrant, "editor", "bob")
	if r.code != 4 || !strings.Contains(r.stderr, "\nhint: you can only grant a role whose permissions you hold yourself") {
		t.Fatalf("grant refused by the escalation check:\n%s", r)
	}
	if !escalation(fmt.Errorf("granting: %w", apierrors.NewForbidden(rbacv1.Resource("rolebindings"), "x", errors.New("attempting to grant RBAC permissions not currently held")))) ||
		escalation(errors.New("attempting to grant RBAC permissions not currently held")) {
		t.Fatal("escalation() must look at the API status only")
	}
}
