package rbac

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func user(n string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: n}
}
func group(n string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: n}
}
func sa(ns, n string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: n}
}

func TestParseSubjects(t *testing.T) {
	tests := []struct {
		name              string
		names, groups     []string
		sas               []string
		want              []rbacv1.Subject
		wantErr, wantWarn string
	}{
		{name: "users", names: []string{"alice", "bob"}, want: []rbacv1.Subject{user("alice"), user("bob")}},
		{name: "duplicates collapse", names: []string{"alice", "alice"}, want: []rbacv1.Subject{user("alice")}},
		{name: "project robots", names: []string{"system:serviceaccounts:team-b"}, want: []rbacv1.Subject{group("system:serviceaccounts:team-b")}},
		{name: "one robot by full name", names: []string{"system:serviceaccount:ci:bot"}, want: []rbacv1.Subject{sa("ci", "bot")}},
		{name: "flags", groups: []string{"devs"}, sas: []string{"ci:bot"}, want: []rbacv1.Subject{group("devs"), sa("ci", "bot")}},
		{name: "nothing", wantErr: "no subject given"},
		{name: "empty user", names: []string{""}, wantErr: "empty user name"},
		{name: "sa without namespace", sas: []string{"bot"}, wantErr: `invalid service account "bot": use NAMESPACE:NAME`},
		{name: "sa bad namespace", sas: []string{"Bad_NS:bot"}, wantErr: `namespace "Bad_NS"`},
		{name: "sa extra colon", sas: []string{"a:b:c"}, wantErr: "use NAMESPACE:NAME"},
		{name: "all errors reported", names: []string{""}, sas: []string{"x"}, wantErr: "empty user name\ninvalid service account"},
		{name: "group-like user warns", names: []string{"system:authenticated"}, want: []rbacv1.Subject{user("system:authenticated")}, wantWarn: "looks like a group"},
		{name: "colon user warns", names: []string{"kube:admin"}, want: []rbacv1.Subject{user("kube:admin")}, wantWarn: "contains a colon"},
		{name: "slash refused", names: []string{"a/b"}, wantErr: "no spaces or slashes"},
		{name: "comma in a group", groups: []string{"qa,developers"}, wantErr: "repeat the flag for each group (--group qa --group developers)"},
		{name: "comma in a user", names: []string{"alice,bob"}, wantErr: "give each user as its own argument (alice bob)"},
		{name: "comma in a service account", sas: []string{"ci:a,ci:b"}, wantErr: "repeat the flag"},
		{name: "bad robot project", names: []string{"system:serviceaccounts:Nope"}, wantErr: "is not a project name"},
	}
	for _, tt := range tests {
		got, warns, err := ParseSubjects(tt.names, tt.groups, tt.sas)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: subject %d = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
		if w := strings.Join(warns, "\n"); (tt.wantWarn == "") != (w == "") || !strings.Contains(w, tt.wantWarn) {
			t.Errorf("%s: warnings %q, want %q", tt.name, w, tt.wantWarn)
		}
	}
}

func TestAddAndRemoveSubjects(t *testing.T) {
	merged, added := AddSubjects([]rbacv1.Subject{user("alice")}, []rbacv1.Subject{user("alice"), user("bob"), sa("ci", "bot")})
	if len(merged) != 3 || len(added) != 2 || added[0] != user("bob") {
		t.Fatalf("AddSubjects: merged %v added %v", merged, added)
	}
	again, none := AddSubjects(merged, []rbacv1.Subject{user("bob")})
	if len(again) != 3 || len(none) != 0 {
		t.Fatalf("adding an existing subject changed things: %v %v", again, none)
	}
	// A service account of the same name in another namespace is another subject.
	_, other := AddSubjects(merged, []rbacv1.Subject{sa("prod", "bot")})
	if len(other) != 1 {
		t.Fatalf("sa in another namespace not added: %v", other)
	}
	rest, removed := RemoveSubjects(merged, []rbacv1.Subject{user("alice"), user("nobody")})
	if len(rest) != 2 || len(removed) != 1 || removed[0] != user("alice") {
		t.Fatalf("RemoveSubjects: rest %v removed %v", rest, removed)
	}
}

func TestNewRoleBinding(t *testing.T) {
	r, _ := LookupRole("builder")
	rb := NewRoleBinding(r, "team-a", []rbacv1.Subject{user("alice")})
	if rb.Name != "oc-registry-builder" || rb.Namespace != "team-a" || rb.RoleRef.Name != "system:image-builder" || rb.RoleRef.Kind != "ClusterRole" {
		t.Fatalf("unexpected binding %+v", rb)
	}
	if !IsManaged(rb.Labels) {
		t.Fatal("binding not labelled as ours")
	}
}

func TestLookupRole(t *testing.T) {
	if r, err := LookupRole("registry-viewer"); err != nil || r.Name != "viewer" {
		t.Fatalf("by ClusterRole name: %v %v", r, err)
	}
	_, err := LookupRole("owner")
	if err == nil || !strings.Contains(err.Error(), "viewer, editor, builder, pusher, puller, admin") {
		t.Fatalf("unknown role error should list the roles: %v", err)
	}
}

func TestRuleAllows(t *testing.T) {
	push := Attributes(Push, "p", "")
	pull := Attributes(Pull, "p", "app")
	metrics := Attributes(Metrics, "", "")
	tests := []struct {
		name string
		rule rbacv1.PolicyRule
		a    authzv1.ResourceAttributes
		want bool
	}{
		{"pusher rule", rule(imageGroups, []string{"imagestreams/layers"}, "get", "update"), push, true},
		{"puller cannot push", rule(imageGroups, []string{"imagestreams/layers"}, "get"), push, false},
		{"legacy group only (groups match literally)", rule([]string{""}, []string{"imagestreams/layers"}, "update"), push, false},
		{"wildcards", rule([]string{"*"}, []string{"*"}, "*"), push, true},
		{"subresource wildcard", rule([]string{"image.openshift.io"}, []string{"imagestreams/*"}, "get"), pull, true},
		{"other group", rule([]string{"apps"}, []string{"imagestreams/layers"}, "get"), pull, false},
		{"stream itself is not its layers", rule(imageGroups, []string{"imagestreams"}, "update"), push, false},
		{"named stream matches", rbacv1.PolicyRule{APIGroups: imageGroups, Resources: []string{"imagestreams/layers"}, Verbs: []string{"get"}, ResourceNames: []string{"app"}}, pull, true},
		{"named stream, other stream", rbacv1.PolicyRule{APIGroups: imageGroups, Resources: []string{"imagestreams/layers"}, Verbs: []string{"get"}, ResourceNames: []string{"db"}}, pull, false},
		{"metrics rule", MetricsRule, metrics, true},
		{"metrics rule does not pull", MetricsRule, pull, false},
	}
	for _, tt := range tests {
		if got := RuleAllows(tt.rule, tt.a); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWhoCan(t *testing.T) {
	var crs []rbacv1.ClusterRole
	for _, r := range Roles {
		cr := NewClusterRole(r.ClusterRole, r.Rules)
		crs = append(crs, *cr)
	}
	custom := rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "my-pusher", Namespace: "p"},
		Rules: []rbacv1.PolicyRule{rule([]string{"image.openshift.io"}, []string{"imagestreams/layers"}, "update")}}
	rbs := []rbacv1.RoleBinding{
		*NewRoleBinding(mustRole("editor"), "p", []rbacv1.Subject{user("alice")}),
		*NewRoleBinding(mustRole("viewer"), "p", []rbacv1.Subject{user("bob")}),
		*NewRoleBinding(mustRole("editor"), "other", []rbacv1.Subject{user("eve")}),
		{ObjectMeta: metav1.ObjectMeta{Name: "hand-made", Namespace: "p"}, RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "my-pusher"},
			Subjects: []rbacv1.Subject{sa("ci", "bot")}},
	}
	crbs := []rbacv1.ClusterRoleBinding{{ObjectMeta: metav1.ObjectMeta{Name: "builders"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "system:image-builder"},
		Subjects: []rbacv1.Subject{group("builders")}}}
	got := WhoCan(Attributes(Push, "p", ""), crs, []rbacv1.Role{custom}, rbs, crbs)
	var names []string
	for _, h := range got {
		names = append(names, SubjectString(h.Subject)+"@"+h.Binding)
	}
	want := "alice@RoleBinding/oc-registry-editor,group builders@ClusterRoleBinding/builders,serviceaccount ci:bot@RoleBinding/hand-made"
	if strings.Join(names, ",") != want {
		t.Fatalf("who can push in p:\n got %s\nwant %s", strings.Join(names, ","), want)
	}
	if !got[0].Managed || got[2].Managed {
		t.Errorf("managed flags wrong: %+v", got)
	}
}

func mustRole(n string) Role {
	r, err := LookupRole(n)
	if err != nil {
		panic(err)
	}
	return r
}

func newFakeClient(objs ...metav1.Object) (*Client, *fake.Clientset) {
	cs := fake.NewSimpleClientset()
	for _, o := range objs {
		switch v := o.(type) {
		case *corev1.Namespace:
			cs.Tracker().Add(v)
		case *rbacv1.RoleBinding:
			cs.Tracker().Add(v)
		case *rbacv1.ClusterRole:
			cs.Tracker().Add(v)
		}
	}
	return &Client{RBAC: cs.RbacV1(), Authz: cs.AuthorizationV1(), Core: cs.CoreV1()}, cs
}

func TestGrantIsIdempotentAndLeavesOthersAlone(t *testing.T) {
	ctx := context.Background()
	handMade := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "registry-editor", Namespace: "p"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "registry-editor"}, Subjects: []rbacv1.Subject{user("carol")}}
	c, cs := newFakeClient(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "p"}}, handMade)
	editor := mustRole("editor")
	for i := 0; i < 2; i++ {
		res, err := c.Grant(ctx, editor, "p", []rbacv1.Subject{user("alice")}, DryRunNone)
		if err != nil {
			t.Fatal(err)
		}
		if (i == 0) != res.Created || (i == 0) != (len(res.Added) == 1) {
			t.Fatalf("run %d: created=%v added=%v", i, res.Created, res.Added)
		}
	}
	rb, _ := cs.RbacV1().RoleBindings("p").Get(ctx, "oc-registry-editor", metav1.GetOptions{})
	if len(rb.Subjects) != 1 {
		t.Fatalf("subjects after two grants: %v", rb.Subjects)
	}
	hm, _ := cs.RbacV1().RoleBindings("p").Get(ctx, "registry-editor", metav1.GetOptions{})
	if len(hm.Subjects) != 1 || hm.Subjects[0].Name != "carol" {
		t.Fatalf("hand-made binding changed: %v", hm.Subjects)
	}

	// Revoke leaves the hand-made binding alone, but reports it.
	c.Grant(ctx, editor, "p", []rbacv1.Subject{user("carol")}, DryRunNone)
	res, err := c.Revoke(ctx, editor, "p", []rbacv1.Subject{user("alice"), user("carol")}, false, DryRunNone)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 1 || !res.Changes[0].Deleted || len(res.Remaining) != 1 || res.Remaining[0].Binding != "RoleBinding/registry-editor" {
		t.Fatalf("revoke result: %+v", res)
	}
	if _, err := cs.RbacV1().RoleBindings("p").Get(ctx, "oc-registry-editor", metav1.GetOptions{}); err == nil {
		t.Fatal("empty binding not deleted")
	}
	// --all-bindings changes it, and says it was not ours.
	res, _ = c.Revoke(ctx, editor, "p", []rbacv1.Subject{user("carol")}, true, DryRunNone)
	if len(res.Changes) != 1 || res.Changes[0].Managed || res.Changes[0].Name != "registry-editor" {
		t.Fatalf("--all-bindings result: %+v", res)
	}
}

func TestGrantRefusesAForeignBindingWithOurName(t *testing.T) {
	foreign := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "oc-registry-editor", Namespace: "p"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "registry-editor"}}
	c, _ := newFakeClient(foreign)
	_, err := c.Grant(context.Background(), mustRole("editor"), "p", []rbacv1.Subject{user("alice")}, DryRunNone)
	if err == nil || !strings.Contains(err.Error(), "not created by oc-registry") {
		t.Fatalf("err = %v", err)
	}
}

func TestClientDryRunSendsNothing(t *testing.T) {
	c, cs := newFakeClient()
	res, err := c.Grant(context.Background(), mustRole("viewer"), "p", []rbacv1.Subject{user("alice")}, DryRunClient)
	if err != nil || !res.Created {
		t.Fatalf("dry run: %v %+v", err, res)
	}
	for _, a := range cs.Actions() {
		if a.GetVerb() != "get" {
			t.Fatalf("client dry run sent %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
}

func TestCheckProjectMissing(t *testing.T) {
	c, _ := newFakeClient()
	if err := c.CheckProject(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), `project "nope"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestHideSystem(t *testing.T) {
	hs := []Holder{
		{Subject: sa("kube-system", "generic-garbage-collector"), Binding: "ClusterRoleBinding/system:controller:generic-garbage-collector"},
		{Subject: user("alice"), Binding: "RoleBinding/oc-registry-editor"},
		{Subject: group("system:masters"), Binding: "ClusterRoleBinding/cluster-admin"},
	}
	shown, hidden := HideSystem(hs)
	if hidden != 1 || len(shown) != 2 || shown[0].Subject.Name != "alice" || shown[1].Subject.Name != "system:masters" {
		t.Fatalf("HideSystem: %v, %d hidden", shown, hidden)
	}
	if shown, _ := HideSystem(nil); shown == nil {
		t.Fatal("HideSystem(nil) is nil: JSON would say null")
	}
}

func TestRevokeResultJSONHasEmptyLists(t *testing.T) {
	b, _ := json.Marshal(NewRevokeResult())
	if string(b) != `{"changes":[],"stillBoundElsewhere":[]}` {
		t.Fatalf("empty revoke result: %s", b)
	}
}

func TestMetricsRole(t *testing.T) {
	monitoring := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "registry-monitoring"}}
	tests := []struct {
		name       string
		objs       []runtime.Object
		getErr     error
		role       string
		create     bool
		want       string
		wantCreate bool
		wantErr    string
	}{
		{name: "OpenShift's role when present", objs: []runtime.Object{monitoring}, want: "registry-monitoring"},
		{name: "prometheus-scraper when it is missing", want: "prometheus-scraper", wantCreate: true},
		{name: "a probe timeout is an error, not a missing role", getErr: apierrors.NewTimeoutError("slow", 1), wantErr: "reading cluster role \"registry-monitoring\""},
		{name: "--role as given", role: "custom", create: true, want: "custom", wantCreate: true},
		{name: "--role prometheus-scraper is created when missing", role: "prometheus-scraper", want: "prometheus-scraper", wantCreate: true},
	}
	for _, tt := range tests {
		cs := fake.NewClientset(tt.objs...)
		if tt.getErr != nil {
			cs.PrependReactor("get", "clusterroles", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, tt.getErr })
		}
		c := &Client{RBAC: cs.RbacV1(), Authz: cs.AuthorizationV1(), Core: cs.CoreV1()}
		role, create, err := c.MetricsRole(context.Background(), tt.role, tt.create)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || role != tt.want || create != tt.wantCreate {
			t.Errorf("%s: %q create=%v err=%v; want %q create=%v", tt.name, role, create, err, tt.want, tt.wantCreate)
		}
	}
}

func TestRoleWords(t *testing.T) {
	editor, _ := LookupRole("editor")
	viewer, _ := LookupRole("viewer")
	if editor.Strongest() != Push || viewer.Strongest() != Pull {
		t.Fatal("Strongest")
	}
	if Push.Phrase("p") != "push to project p" || Pull.Phrase("p") != "pull from project p" || Metrics.Phrase("") != "read registry metrics" {
		t.Fatal("Phrase")
	}
}
