//go:build e2e

package e2e

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

func mustOCR(t *testing.T, user string, args ...string) result {
	t.Helper()
	r := ocr(t, runOpts{user: user}, args...)
	if r.code != 0 {
		t.Fatalf("oc-registry %s: %s", strings.Join(args, " "), r)
	}
	return r
}

func TestGrantEditorThenRevoke(t *testing.T) {
	ns := newProject(t, "grant")
	src, _ := ociImage(t, seedFor(t))
	if r := skopeoPush(t, "alice", src, ns+"/app:v1"); r.code == 0 {
		t.Fatalf("alice pushed without a role: %s", r)
	}
	r := mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	if !strings.Contains(r.stdout, "alice can now push to project "+ns) {
		t.Fatalf("grant did not confirm: %s", r)
	}
	if r := skopeoPush(t, "alice", src, ns+"/app:v1"); r.code != 0 {
		t.Fatalf("push after grant editor: %s", r)
	}
	r = mustOCR(t, "admin", "revoke", "editor", "alice", "-n", ns)
	if !strings.Contains(r.stdout, "alice can no longer push to project "+ns) || !strings.Contains(r.stdout, "deleted rolebinding/oc-registry-editor") {
		t.Fatalf("revoke output: %s", r)
	}
	if r := skopeoPush(t, "alice", src, ns+"/app:v2"); r.code == 0 {
		t.Fatalf("alice still pushes after revoke: %s", r)
	}
}

func TestViewerPullsButCannotPush(t *testing.T) {
	ns := newProject(t, "viewer")
	src, dgst := ociImage(t, seedFor(t))
	if r := skopeoPush(t, "admin", src, ns+"/app:v1"); r.code != 0 {
		t.Fatalf("admin push: %s", r)
	}
	inspect := func() result {
		return skopeo(t, "inspect", "--authfile", authFile(t, "bob"), "--cert-dir", certDir(t), "--format", "{{.Digest}}", "docker://"+env.registry+"/"+ns+"/app:v1")
	}
	if r := inspect(); r.code == 0 {
		t.Fatalf("bob pulled without a role: %s", r)
	}
	mustOCR(t, "admin", "grant-viewer", "bob", "-n", ns)
	if r := inspect(); r.code != 0 || strings.TrimSpace(r.stdout) != dgst {
		t.Fatalf("bob pull with viewer: %s", r)
	}
	if r := skopeoPush(t, "bob", src, ns+"/app:v2"); r.code == 0 {
		t.Fatalf("viewer pushed: %s", r)
	}
}

func TestBuilderCreatesStreamsPusherCannot(t *testing.T) {
	ns := newProject(t, "builder")
	src, _ := ociImage(t, seedFor(t))
	mustOCR(t, "admin", "grant", "builder", "alice", "-n", ns)
	r := mustOCR(t, "admin", "grant", "pusher", "bob", "-n", ns)
	if !strings.Contains(r.stderr, "pusher cannot create them") {
		t.Errorf("no warning about pusher and missing streams: %s", r)
	}
	if r := skopeoPush(t, "bob", src, ns+"/new:v1"); r.code == 0 {
		t.Fatalf("pusher created a new stream: %s", r)
	}
	if r := skopeoPush(t, "alice", src, ns+"/new:v1"); r.code != 0 {
		t.Fatalf("builder could not create a stream: %s", r)
	}
	src2, _ := ociImage(t, seedFor(t))
	if r := skopeoPush(t, "bob", src2, ns+"/new:v2"); r.code != 0 {
		t.Fatalf("pusher could not push to an existing stream: %s", r)
	}
	r = ocr(t, runOpts{user: "bob"}, "can-i", "push", "other", "-n", ns)
	if r.code != 5 || !strings.Contains(r.stdout, "may not create it") {
		t.Fatalf("can-i push to a new stream as pusher: %s", r)
	}
	r = ocr(t, runOpts{user: "admin"}, "can-i", "push", "other", "-n", ns, "--as", "bob", "--as-group", "system:authenticated")
	if r.code != 5 {
		t.Fatalf("admin asking for bob: %s", r)
	}
	if r := ocr(t, runOpts{user: "bob"}, "can-i", "push", "-n", ns); r.code != 0 || strings.TrimSpace(r.stdout) != "yes" {
		t.Fatalf("can-i push (any existing stream) as pusher: %s", r)
	}
}

func TestGrantMetricsThenRevoke(t *testing.T) {
	client := caClient(t)
	if code, body := scrape(t, client, "dave"); !accessDenied(code, body) {
		t.Fatalf("dave scraped without the role: %d %s", code, body)
	}
	r := mustOCR(t, "admin", "grant", "metrics", "dave")
	if !strings.Contains(r.stdout, "dave can now read registry metrics") {
		t.Fatalf("grant metrics: %s", r)
	}
	if code, _ := scrape(t, client, "dave"); code != http.StatusOK {
		t.Fatalf("dave scrape after grant: %d", code)
	}
	mustOCR(t, "admin", "revoke", "metrics", "dave")
	if code, body := scrape(t, client, "dave"); !accessDenied(code, body) {
		t.Fatalf("dave scrape after revoke: %d", code)
	}
}

func TestGrantIsIdempotentAndRespectsOtherBindings(t *testing.T) {
	ns := newProject(t, "idem")
	mustKubectl(t, "admin", "create", "rolebinding", "hand-made", "--clusterrole=registry-editor", "--user=carol", "-n", ns)
	before := mustKubectl(t, "admin", "get", "rolebinding", "hand-made", "-n", ns, "-o", "jsonpath={.metadata.resourceVersion}")
	for i := 0; i < 2; i++ {
		mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	}
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
			Subjects []struct{ Name string }
		}
	}
	json.Unmarshal([]byte(mustKubectl(t, "admin", "get", "rolebindings", "-n", ns, "-l", "!e2e.oc-registry/project-default", "-o", "json")), &list)
	if len(list.Items) != 2 {
		t.Fatalf("want the hand-made binding and ours, got %+v", list.Items)
	}
	for _, it := range list.Items {
		if it.Metadata.Name == "oc-registry-editor" && (len(it.Subjects) != 1 || it.Subjects[0].Name != "alice") {
			t.Fatalf("our binding after two grants: %+v", it.Subjects)
		}
	}
	after := mustKubectl(t, "admin", "get", "rolebinding", "hand-made", "-n", ns, "-o", "jsonpath={.metadata.resourceVersion}")
	if before != after {
		t.Fatal("grant modified the hand-made binding")
	}
	r := mustOCR(t, "admin", "revoke", "editor", "carol", "-n", ns)
	if !strings.Contains(r.stderr, "RoleBinding/hand-made") || !strings.Contains(r.stderr, "--all-bindings") {
		t.Fatalf("revoke should point at the hand-made binding: %s", r)
	}
	// A server-side dry run reaches the API server and changes nothing.
	r = mustOCR(t, "admin", "grant", "viewer", "bob", "-n", ns, "--dry-run=server", "-o", "json")
	if !strings.Contains(r.stdout, `"name": "oc-registry-viewer"`) {
		t.Fatalf("server dry run output: %s", r)
	}
	if kubectl(t, "admin", "get", "rolebinding", "oc-registry-viewer", "-n", ns).code == 0 {
		t.Fatal("a server dry run created the binding")
	}
	r = mustOCR(t, "admin", "revoke", "editor", "carol", "-n", ns, "--all-bindings")
	if !strings.Contains(r.stdout, "rolebinding/hand-made") || !strings.Contains(r.stdout, "not created by oc-registry") {
		t.Fatalf("--all-bindings should name the binding it changed: %s", r)
	}
}

func TestWhoCanPushListsTheGrants(t *testing.T) {
	ns := newProject(t, "whocan")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	mustOCR(t, "admin", "grant", "builder", "--serviceaccount", ns+":ci", "--group", "qa", "-n", ns)
	mustOCR(t, "admin", "grant", "viewer", "bob", "-n", ns)
	var res struct {
		Holders []struct {
			Subject struct{ Kind, Name, Namespace string }
			Binding string
		}
	}
	r := mustOCR(t, "admin", "who-can", "push", "-n", ns, "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("who-can -o json: %v\n%s", err, r)
	}
	var inProject, cluster []string
	for _, h := range res.Holders {
		s := h.Subject.Kind + ":" + h.Subject.Name + "@" + h.Binding
		if strings.HasPrefix(h.Binding, "RoleBinding/") {
			inProject = append(inProject, s)
		} else {
			cluster = append(cluster, s)
		}
	}
	sort.Strings(inProject)
	// With the project's own bindings, as OpenShift makes them: the
	// builder service account and the requester (admin) may push too.
	want := "Group:qa@RoleBinding/oc-registry-builder,ServiceAccount:builder@RoleBinding/system:image-builders,ServiceAccount:ci@RoleBinding/oc-registry-builder,User:admin@RoleBinding/admin,User:alice@RoleBinding/oc-registry-editor"
	if strings.Join(inProject, ",") != want {
		t.Fatalf("who-can push in project:\n got %s\nwant %s", strings.Join(inProject, ","), want)
	}
	if !strings.Contains(strings.Join(cluster, ","), "Group:system:masters@ClusterRoleBinding/cluster-admin") {
		t.Fatalf("cluster admins missing: %v", cluster)
	}
	// Controllers' own bindings (the garbage collector may update
	// anything) are noise here: hidden, counted, shown on request.
	if strings.Contains(strings.Join(cluster, ","), "generic-garbage-collector") || !strings.Contains(r.stderr, "--include-system") {
		t.Fatalf("who-can push shows system:controller:* bindings by default: %v\n%s", cluster, r)
	}
	if r := mustOCR(t, "admin", "who-can", "push", "-n", ns, "--include-system", "--no-headers"); !strings.Contains(r.stdout, "generic-garbage-collector") || strings.HasPrefix(r.stdout, "SUBJECT") {
		t.Fatalf("who-can push --include-system --no-headers: %s", r)
	}
	text := mustOCR(t, "admin", "who-can", "pull", "-n", ns).stdout
	if !strings.Contains(text, "bob") || !strings.Contains(text, "RoleBinding/oc-registry-viewer") {
		t.Fatalf("who-can pull: %s", text)
	}
}

func TestGrantBadInput(t *testing.T) {
	ns := newProject(t, "badin")
	tests := []struct {
		name string
		user string
		args []string
		code int
		want string
	}{
		{"unknown role", "admin", []string{"grant", "owner", "alice", "-n", ns}, 2, "valid roles are viewer, editor, builder, pusher, puller, admin"},
		{"missing project", "admin", []string{"grant", "editor", "alice", "-n", "no-such-project"}, 1, `project "no-such-project"`},
		{"empty subject", "admin", []string{"grant", "editor", "", "-n", ns}, 2, "empty user name"},
		{"no subject", "admin", []string{"grant", "editor", "-n", ns}, 2, "no subject given"},
		{"malformed service account", "admin", []string{"grant", "editor", "--serviceaccount", "robot", "-n", ns}, 2, "use NAMESPACE:NAME"},
		{"one bad subject of several", "admin", []string{"grant", "editor", "alice", "--serviceaccount", "x", "-n", ns}, 2, "invalid service account"},
		{"no permission", "alice", []string{"grant", "editor", "bob", "-n", ns}, 4, "rolebindings"},
		{"bad dry-run", "admin", []string{"grant", "editor", "alice", "-n", ns, "--dry-run=maybe"}, 2, "invalid --dry-run"},
		{"no kubeconfig", "", []string{"--kubeconfig", "/nonexistent/kubeconfig", "grant", "editor", "alice", "-n", ns}, 1, `kubeconfig "/nonexistent/kubeconfig": file not found`},
	}
	for _, tt := range tests {
		r := ocr(t, runOpts{user: tt.user}, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: want exit %d and %q: %s", tt.name, tt.code, tt.want, r)
		}
		if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); !strings.HasPrefix(lines[0], "error: ") || len(lines) > 2 {
			t.Errorf("%s: want a one-line error (plus an optional hint): %q", tt.name, r.stderr)
		}
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("%s: crashed: %s", tt.name, r)
		}
	}
	if out := mustKubectl(t, "admin", "get", "rolebindings", "-n", ns, "-l", "!e2e.oc-registry/project-default", "-o", "name"); out != "" {
		t.Fatalf("bad input left bindings behind: %s", out)
	}
	r := ocr(t, runOpts{user: "alice"}, "grant", "editor", "bob", "-n", ns)
	if !strings.Contains(r.stderr, "hint: you need permission to create and update rolebindings in project "+ns) {
		t.Errorf("forbidden grant lacks the hint: %s", r)
	}
}

func TestCanIExitCodes(t *testing.T) {
	ns := newProject(t, "cani")
	if r := ocr(t, runOpts{user: "carol"}, "can-i", "pull", "-n", ns); r.code != 5 || !strings.HasPrefix(r.stdout, "no") {
		t.Fatalf("carol can-i pull before grant: %s", r)
	}
	mustOCR(t, "admin", "grant", "puller", "carol", "-n", ns)
	if r := ocr(t, runOpts{user: "carol"}, "can-i", "pull", "-n", ns, "-q"); r.code != 0 || r.stdout != "" {
		t.Fatalf("carol can-i pull -q after grant: %s", r)
	}
	r := ocr(t, runOpts{user: "admin"}, "can-i", "push", "-n", ns, "--as", "carol", "-o", "json")
	var res struct{ Allowed bool }
	if r.code != 5 || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Allowed {
		t.Fatalf("admin asking for carol (push): %s", r)
	}
}

// Missing projects are one error everywhere, and objects print as kubectl
// prints them.
func TestMissingProjectAndObjectOutput(t *testing.T) {
	for _, args := range [][]string{{"grant", "editor", "alice"}, {"revoke", "editor", "alice"}, {"who-can", "push"}, {"can-i", "push"}} {
		r := ocr(t, runOpts{user: "admin"}, append(args, "-n", "no-such-project")...)
		if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, `error: project "no-such-project" does not exist`) {
			t.Errorf("%v in a missing project: %s", args, r)
		}
	}
	ns := newProject(t, "objout")
	for _, dry := range []string{"--dry-run=client", "--dry-run=server", ""} {
		args := []string{"grant", "editor", "alice", "-n", ns, "-o", "yaml"}
		if dry != "" {
			args = append(args, dry)
		}
		r := mustOCR(t, "admin", args...)
		if !strings.HasPrefix(r.stdout, "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n") || strings.Contains(r.stdout, "managedFields") {
			t.Errorf("grant -o yaml %s: %s", dry, r)
		}
		if dry == "" && !strings.Contains(r.stderr, "alice can now push to project "+ns) {
			t.Errorf("grant -o yaml lost the verification: %s", r)
		}
	}
	if r := mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns, "-o", "jsonpath={.metadata.name}"); r.stdout != "oc-registry-editor" {
		t.Errorf("grant -o jsonpath: %s", r)
	}
	if r := mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns, "-o", "name"); r.stdout != "rolebinding.rbac.authorization.k8s.io/oc-registry-editor\n" {
		t.Errorf("grant -o name: %s", r)
	}
	if r := mustOCR(t, "admin", "revoke", "viewer", "alice", "-n", ns, "-o", "json"); !strings.Contains(r.stdout, `"changes": []`) || strings.Contains(r.stdout, "null") {
		t.Errorf("revoke -o json with nothing to revoke: %s", r)
	}
}
