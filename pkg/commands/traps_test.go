package commands

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/pkg/cluster"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

// The traps issue 11 lists, one test each; each fails on the behaviour
// before it.

func TestMissingProjectIsOneErrorEverywhere(t *testing.T) {
	want := "error: project \"nope\" does not exist\nhint: create it first (oc new-project nope), or check the project name\n"
	for _, tt := range []struct {
		name string
		run  func(f *fakeFactory) ran
	}{
		{"grant", func(f *fakeFactory) ran { return run(t, f, NewCmdGrant, "editor", "alice") }},
		{"revoke", func(f *fakeFactory) ran { return run(t, f, NewCmdRevoke, "editor", "alice") }},
		{"who-can", func(f *fakeFactory) ran { return run(t, f, NewCmdWhoCan, "push") }},
		{"can-i", func(f *fakeFactory) ran { return run(t, f, NewCmdCanI, "push") }},
	} {
		f := newFakeFactory(t, "nope", editorRole())
		f.explicit = true
		answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return true })
		if r := tt.run(f); r.code != 1 || r.stdout != "" || r.stderr != want {
			t.Errorf("%s in a missing project:\n%s", tt.name, r)
		}
	}
}

func TestWhoCanAndCanISayWhichProject(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"))
	answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return true })
	note := "using project \"team-a\" from your kubeconfig (pass -n to choose)\n"
	if r := run(t, f, NewCmdWhoCan, "pull"); r.stderr != note {
		t.Errorf("who-can without -n:\n%s", r)
	}
	if r := run(t, f, NewCmdCanI, "pull"); r.stderr != note || r.stdout != "yes\n" {
		t.Errorf("can-i without -n:\n%s", r)
	}
	if r := run(t, f, NewCmdCanI, "pull", "-q"); r.stderr != "" {
		t.Errorf("can-i -q prints nothing:\n%s", r)
	}
}

func TestSubjectFlagTraps(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"), editorRole())
	f.explicit = true
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"editor", "--group", "qa,developers"}, "repeat the flag for each group (--group qa --group developers)"},
		{[]string{"editor", "alice,bob"}, "give each user as its own argument"},
		{[]string{"editor", "alice", "--dry-run", "server"}, "error: \"server\" after --dry-run is taken as a user name: --dry-run takes its value after \"=\"\nhint: write --dry-run=server\n"},
	} {
		r := run(t, f, NewCmdGrant, tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("grant %v:\n%s", tt.args, r)
		}
	}
	if l, _ := f.kube.RbacV1().RoleBindings("team-a").List(t.Context(), metav1.ListOptions{}); len(l.Items) != 0 {
		t.Fatalf("refused input left bindings: %v", l.Items)
	}
}

func TestServiceAccountSpellingsEverywhere(t *testing.T) {
	for _, spelling := range []string{"-z", "--service-account", "--serviceaccount"} {
		f := newFakeFactory(t, "team-a", namespace("team-a"), editorRole())
		f.explicit = true
		answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return true })
		r := run(t, f, NewCmdGrant, "editor", spelling, "ci:bot", "-o", "jsonpath={.subjects[0].namespace}:{.subjects[0].name}")
		if r.code != 0 || r.stdout != "ci:bot" {
			t.Errorf("grant %s ci:bot:\n%s", spelling, r)
		}
		tokenFor(f, "ci", "bot", time.Hour)
		if r := run(t, f, NewCmdToken, spelling, "ci:bot"); r.code != 0 || r.stdout != "sa-token\n" {
			t.Errorf("token %s ci:bot:\n%s", spelling, r)
		}
		_, host, ca := fakeRegistry(t, "sa-token")
		r = run(t, f, NewCmdLogin, spelling, "ci:bot", "--registry", host, "--ca-file", writeFile(t, "ca.pem", ca),
			"-a", writeFile(t, "auth.json", []byte(`{}`)), "--cert-dir", t.TempDir())
		if r.code != 0 || !strings.Contains(r.stdout, "as serviceaccount-ci-bot") {
			t.Errorf("login %s ci:bot:\n%s", spelling, r)
		}
	}
}

// tokenFor makes the fake API server issue "sa-token" for ns/name.
func tokenFor(f *fakeFactory, ns, name string, life time.Duration) {
	f.kube.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca := a.(k8stesting.CreateActionImpl)
		if ca.GetSubresource() != "token" || ca.GetNamespace() != ns || ca.Name != name {
			return false, nil, nil
		}
		tr := ca.GetObject().(*authnv1.TokenRequest)
		tr.Status = authnv1.TokenRequestStatus{Token: "sa-token", ExpirationTimestamp: metav1.NewTime(time.Now().Add(life))}
		return true, tr, nil
	})
}

func TestLoginWarnsOnlyUnderTheDefaultDuration(t *testing.T) {
	for _, tt := range []struct {
		life time.Duration
		warn bool
	}{{time.Hour, false}, {20 * time.Minute, true}} {
		f := newFakeFactory(t, "team-a")
		tokenFor(f, "team-a", "bot", tt.life)
		_, host, ca := fakeRegistry(t, "sa-token")
		r := run(t, f, NewCmdLogin, "-z", "bot", "--registry", host, "--ca-file", writeFile(t, "ca.pem", ca),
			"-a", writeFile(t, "auth.json", []byte(`{}`)), "--cert-dir", t.TempDir())
		if r.code != 0 || strings.Contains(r.stderr, "warning: the token expires") != tt.warn {
			t.Errorf("a token for %s (warning wanted: %v):\n%s", tt.life, tt.warn, r)
		}
	}
}

func TestGrantPrintsCompleteObjects(t *testing.T) {
	for _, args := range [][]string{
		{"editor", "alice", "-o", "yaml"},
		{"editor", "alice", "-o", "yaml", "--dry-run=client"},
		{"editor", "alice", "-o", "yaml", "--dry-run=server"},
	} {
		f := newFakeFactory(t, "team-a", namespace("team-a"), editorRole())
		f.explicit = true
		answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return true })
		// What an API server answers: managedFields, no kind.
		f.kube.PrependReactor("create", "rolebindings", func(a k8stesting.Action) (bool, runtime.Object, error) {
			rb := a.(k8stesting.CreateAction).GetObject().(*rbacv1.RoleBinding).DeepCopy()
			rb.TypeMeta = metav1.TypeMeta{}
			rb.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "oc-registry"}}
			return true, rb, nil
		})
		r := run(t, f, NewCmdGrant, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n") ||
			strings.Contains(r.stdout, "managedFields") || strings.Contains(r.stdout, "can now") {
			t.Errorf("grant %v:\n%s", args, r)
		}
	}
}

func TestGrantOutputFormats(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"), editorRole())
	f.explicit = true
	answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return true })
	r := run(t, f, NewCmdGrant, "editor", "alice", "-o", "json")
	var rb rbacv1.RoleBinding
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rb) != nil || rb.Kind != "RoleBinding" || rb.Name != "oc-registry-editor" {
		t.Fatalf("grant -o json:\n%s", r)
	}
	// The verification is not lost with -o: it goes to stderr.
	if r.stderr != "alice can now push to project team-a\n" {
		t.Errorf("grant -o json stderr:\n%s", r)
	}
	if r := run(t, f, NewCmdGrant, "editor", "alice", "-o", "name"); r.stdout != "rolebinding.rbac.authorization.k8s.io/oc-registry-editor\n" {
		t.Errorf("grant -o name:\n%s", r)
	}
	if r := run(t, f, NewCmdGrant, "editor", "alice", "-o", "jsonpath={.metadata.name}"); r.stdout != "oc-registry-editor" {
		t.Errorf("grant -o jsonpath:\n%s", r)
	}
}

func TestRevokeQuietAndEmptyJSON(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"), editorRole())
	f.explicit = true
	answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return false })
	r := run(t, f, NewCmdRevoke, "editor", "alice", "-o", "json")
	var res map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || !strings.Contains(r.stdout, `"changes": []`) || !strings.Contains(r.stdout, `"stillBoundElsewhere": []`) {
		t.Errorf("revoke -o json with nothing to revoke:\n%s", r)
	}
	// Nothing to revoke is said once, not followed by "can no longer".
	r = run(t, f, NewCmdRevoke, "editor", "alice")
	if r.code != 0 || r.stdout != "nothing to revoke: no binding from oc-registry gives them registry-editor in project team-a\n" {
		t.Errorf("revoke with nothing to revoke:\n%s", r)
	}
	_, _ = f.kube.RbacV1().RoleBindings("team-a").Create(t.Context(), managedBinding("team-a", "editor", "alice"), metav1.CreateOptions{})
	if r := run(t, f, NewCmdRevoke, "editor", "alice", "-q"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("revoke -q:\n%s", r)
	}
	if r := run(t, f, NewCmdRevoke, "editor", "alice", "-q", "-o", "json"); r.code != 2 {
		t.Errorf("revoke -q -o json:\n%s", r)
	}
}

func TestWhoCanHidesSystemControllers(t *testing.T) {
	gc := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "system:controller:generic-garbage-collector"},
		RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "system:controller:generic-garbage-collector"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "generic-garbage-collector"}}}
	gcRole := clusterRole("system:controller:generic-garbage-collector", []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"update"}}})
	f := newFakeFactory(t, "team-a", namespace("team-a"), editorRole(), managedBinding("team-a", "editor", "alice"), gc, gcRole)
	f.explicit = true
	r := run(t, f, NewCmdWhoCan, "push", "--no-headers")
	if r.code != 0 || r.stdout != "alice  User  RoleBinding/oc-registry-editor  ClusterRole/registry-editor\n" ||
		r.stderr != "1 more through Kubernetes controllers' bindings (system:controller:*): --include-system lists them\n" {
		t.Errorf("who-can push --no-headers:\n%s", r)
	}
	r = run(t, f, NewCmdWhoCan, "push", "--include-system", "-o", "jsonpath={.holders[*].subject.name}")
	if r.code != 0 || r.stdout != "alice generic-garbage-collector" || r.stderr != "" {
		t.Errorf("who-can push --include-system:\n%s", r)
	}
}

func TestGrantMetricsProbeErrorIsNotRoleMissing(t *testing.T) {
	f := newFakeFactory(t, "team-a")
	f.kube.PrependReactor("get", "clusterroles", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewTimeoutError("the server was slow", 1)
	})
	r := run(t, f, NewCmdGrant, "metrics", "prom")
	if r.code == 0 || !strings.Contains(r.stderr, "reading cluster role \"registry-monitoring\"") {
		t.Errorf("grant metrics with a timeout:\n%s", r)
	}
	if _, err := f.kube.RbacV1().ClusterRoles().Get(t.Context(), "prometheus-scraper", metav1.GetOptions{}); err == nil {
		t.Error("a timeout made grant metrics create prometheus-scraper")
	}
}

func TestGrantMetricsWarnsAboutN(t *testing.T) {
	f := newFakeFactory(t, "team-a", clusterRole("registry-monitoring", nil))
	f.explicit = true
	answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return true })
	r := run(t, f, NewCmdGrant, "metrics", "prom")
	if r.code != 0 || r.stderr != "warning: metrics access is cluster-wide: -n team-a is ignored\n" {
		t.Errorf("grant metrics -n team-a:\n%s", r)
	}
}

func TestCanIAsSaysGroupsAreNotKnown(t *testing.T) {
	f := newFakeFactory(t, "team-a", namespace("team-a"))
	f.explicit = true
	f.config.Impersonate.UserName = "carol"
	answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return false })
	r := run(t, f, NewCmdCanI, "pull")
	if r.code != 5 || !strings.Contains(r.stderr, "note: asking as carol with no groups but system:authenticated") || !strings.Contains(r.stderr, "--as-group") {
		t.Errorf("can-i --as carol:\n%s", r)
	}
	f.config.Impersonate.Groups = []string{"qa"}
	if r := run(t, f, NewCmdCanI, "pull"); r.stderr != "" {
		t.Errorf("can-i --as carol --as-group qa:\n%s", r)
	}
}

func TestInfoSaysWhatIsNotReadable(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: cluster.ServiceName, Namespace: cluster.Namespace},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 5000}}}}
	f := newFakeFactory(t, "team-a", svc)
	f.dyn.PrependReactor("get", "routes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(rbacv1.Resource("routes"), "default-route", nil)
	})
	r := run(t, f, NewCmdInfo, "--internal")
	if r.code != 0 || !strings.Contains(r.stdout, "route:     (not readable by you)\n") || !strings.Contains(r.stdout, "service:   image-registry.openshift-image-registry.svc:5000\n") {
		t.Errorf("info when the route may not be read:\n%s", r)
	}
}

func TestHelpIsTrue(t *testing.T) {
	for _, alias := range []string{"grant-viewer", "grant-editor", "grant-builder"} {
		out, _, err := execute("oc-registry", alias, "--help")
		if err != nil || strings.Contains(out, "--role") {
			t.Errorf("%s --help offers --role: %v\n%s", alias, err, out)
		}
	}
	for _, c := range []string{"grant", "grant-metrics"} {
		if out, _, _ := execute("oc-registry", c, "--help"); !strings.Contains(out, "--role") {
			t.Errorf("%s --help lacks --role", c)
		}
	}
	// Usage, examples and hints name the command the same way.
	out, _, _ := execute("oc image-registry", "grant", "--help")
	if strings.Contains(out, "oc-registry grant") || !strings.Contains(out, "oc image-registry grant editor alice -n team-a") {
		t.Errorf("grant --help as the plugin:\n%s", out)
	}
}
