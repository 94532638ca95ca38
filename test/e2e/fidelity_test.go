//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"
)

// On OpenShift, admin and edit carry image push through the aggregated
// system:openshift:aggregate-to-* roles: a project editor may push, and
// revoking a registry role does not take that away. revoke must say so and
// name the binding.
func TestRevokeReportsWhatStillGrants(t *testing.T) {
	ns := newProject(t, "agg")
	mustKubectl(t, "admin", "create", "rolebinding", "alice-edit", "--clusterrole=edit", "--user=alice", "-n", ns)
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	r := ocr(t, runOpts{user: "admin"}, "revoke", "editor", "alice", "-n", ns)
	if r.code != 0 || strings.Contains(r.stdout, "can no longer push") ||
		!strings.Contains(r.stderr, "alice can still push to project "+ns+" through RoleBinding/alice-edit (ClusterRole/edit)") {
		t.Fatalf("revoke with edit still bound: %s", r)
	}
	if r := ocr(t, runOpts{user: "alice"}, "can-i", "push", "-n", ns); r.code != 0 {
		t.Fatalf("alice holds edit and may push: %s", r)
	}
	r = ocr(t, runOpts{user: "admin"}, "who-can", "push", "-n", ns)
	if !strings.Contains(r.stdout, "RoleBinding/alice-edit") {
		t.Fatalf("who-can should list the aggregated edit holder: %s", r)
	}
}

// A project admin who is not a cluster admin grants and revokes: RBAC's
// escalation check passes because admin aggregates the registry roles' rules.
func TestProjectAdminGrantsAndRevokes(t *testing.T) {
	ns := newProject(t, "padmin")
	mustKubectl(t, "admin", "create", "rolebinding", "carol-admin", "--clusterrole=admin", "--user=carol", "-n", ns)
	for _, role := range []string{"viewer", "editor", "builder", "admin"} {
		r := ocr(t, runOpts{user: "carol"}, "grant", role, "dave", "-n", ns)
		if r.code != 0 {
			t.Fatalf("project admin grants %s: %s", role, r)
		}
		r = ocr(t, runOpts{user: "carol"}, "revoke", role, "dave", "-n", ns)
		if r.code != 0 {
			t.Fatalf("project admin revokes %s: %s", role, r)
		}
	}
	// A mere editor may not grant (RBAC: no rolebindings).
	mustKubectl(t, "admin", "create", "rolebinding", "bob-edit", "--clusterrole=edit", "--user=bob", "-n", ns)
	if r := ocr(t, runOpts{user: "bob"}, "grant", "viewer", "dave", "-n", ns); r.code != 4 {
		t.Fatalf("an editor granting: want exit 4: %s", r)
	}
}

// Image stream names as openshift-apiserver validates them: refused before
// any upload by oc-registry, and refused by the cluster for others.
func TestStreamNamesAsOpenShiftValidatesThem(t *testing.T) {
	ns := newProject(t, "names")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	l := loggedIn(t, "alice")
	src, _ := ociImage(t, seedFor(t))
	r := ocr(t, l.opts("alice"), "push", src, ns+"/my__app")
	if r.code != 2 || !strings.Contains(r.stderr, `try "my_app"`) {
		t.Fatalf("push to my__app: want exit 2 with the nearest name: %s", r)
	}
	if r := skopeoPush(t, "alice", src, ns+"/my__app:v1"); r.code == 0 {
		t.Fatalf("the cluster accepted a stream named my__app: %s", r)
	}
	// (OpenShift also takes my_app; the local cluster's CRD cannot, as a
	// Kubernetes object name: see docs/local-cluster.md, fidelity.)
	if r := skopeoPush(t, "alice", src, ns+"/my.app:v1"); r.code != 0 {
		t.Fatalf("my.app is valid: %s", r)
	}
}

// Pushing needs only update on imagestreams/layers; a new stream is created
// at the manifest PUT with the pusher's own rights, and a pusher who may
// not create it gets 403 DENIED there, after the layers went up
// (image-registry pkg/imagestream/imagestream.go). push and tag explain it
// as the preflight does: exit 4.
func TestFirstPushToANewStreamAsPusher(t *testing.T) {
	ns := newProject(t, "pusher")
	mustOCR(t, "admin", "grant", "pusher", "alice", "-n", ns)
	src, _ := ociImage(t, seedFor(t))
	r := skopeoPush(t, "alice", src, ns+"/fresh:v1")
	if r.code == 0 || !strings.Contains(r.stderr, "uploading manifest v1") || !strings.Contains(r.stderr, ": denied") {
		t.Fatalf("skopeo push of a new stream as pusher: want 403 DENIED: %s", r)
	}
	l := loggedIn(t, "alice")
	r = ocr(t, l.opts("alice"), "push", "--no-preflight", src, ns+"/fresh2:v1")
	if r.code != 4 || !strings.Contains(r.stderr, "denied") || !strings.Contains(r.stderr, "create imagestreams") {
		t.Fatalf("push --no-preflight of a new stream as pusher: want exit 4 and the explanation: %s", r)
	}
	// With the preflight, refused before any upload, same exit code.
	r = ocr(t, l.opts("alice"), "push", src, ns+"/fresh3:v1")
	if r.code != 4 || !strings.Contains(r.stderr, "nothing was uploaded") {
		t.Fatalf("push of a new stream as pusher: want the preflight's exit 4: %s", r)
	}
	// An existing stream takes the pusher's push.
	mustOCR(t, "admin", "grant", "editor", "bob", "-n", ns)
	if r := skopeoPush(t, "bob", src, ns+"/fresh:v1"); r.code != 0 {
		t.Fatalf("editor creates the stream: %s", r)
	}
	if r := skopeoPush(t, "alice", src, ns+"/fresh:v2"); r.code != 0 {
		t.Fatalf("pusher on an existing stream: %s", r)
	}
}

// The route serves the ingress certificate (a reencrypt route), whose CA
// is published in default-ingress-cert; image-registry-ca holds only the
// service CA. Ordinary users may read neither, as on OpenShift.
func TestEachHostHasItsOwnCA(t *testing.T) {
	l := newLoginEnv(t)
	r := ocr(t, l.opts("admin"), "login", "--public", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, "configmap openshift-config-managed/default-ingress-cert key ca-bundle.crt") {
		t.Fatalf("admin login to the route: want the ingress CA: %s", r)
	}
	r = ocr(t, l.opts("admin"), "login", "--internal", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, "configmap openshift-config-managed/image-registry-ca key 127.0.0.1..15000") {
		t.Fatalf("admin login to the internal host: want the service CA: %s", r)
	}
	if keys := mustKubectl(t, "admin", "get", "configmap", "image-registry-ca", "-n", "openshift-config-managed", "-o", "jsonpath={.data}"); strings.Contains(keys, "localhost..15000") {
		t.Fatalf("image-registry-ca has a key for the route host, which OpenShift never publishes: %s", keys)
	}
	// The route's certificate is not the service CA's: trusting that one fails.
	r = ocr(t, l.opts("alice"), "login", "--public", "--ca-file", env.caFile)
	if r.code == 0 || !strings.Contains(r.stderr, "x509") {
		t.Fatalf("the service CA should not verify the route: %s", r)
	}
	// alice may not read the CA objects: the error says which one to ask for.
	r = ocr(t, l.opts("alice"), "login", "--public")
	if r.code == 0 || !strings.Contains(r.stderr, "configmap openshift-config-managed/default-ingress-cert") || !strings.Contains(r.stderr, "--ca-file") {
		t.Fatalf("alice without the CA: want the object and --ca-file named: %s", r)
	}
	if r := ocr(t, l.opts("alice"), "login", "--public", "--ca-file", env.ingressCA); r.code != 0 {
		t.Fatalf("alice with the ingress CA: %s", r)
	}
}

// Outside a cluster the internal name does not resolve. Discovery reads
// image streams as oc registry info does (the current project first, then
// openshift), takes the public host when it answers, and says why the
// internal one cannot be used.
func TestDiscoveryLikeOcOutsideTheCluster(t *testing.T) {
	restore(t, "imagestreams.image.openshift.io", "cli", "-n", "openshift")
	const svc = "image-registry.openshift-image-registry.svc:5000"
	mustKubectl(t, "admin", "patch", "imagestreams.image.openshift.io", "cli", "-n", "openshift", "--type", "merge", "-p",
		`{"status":{"dockerImageRepository":"`+svc+`/openshift/cli","publicDockerImageRepository":"`+env.public+`/openshift/cli"}}`)
	l := newLoginEnv(t)
	if r := ocr(t, l.opts("alice"), "info", "-q"); r.code != 0 || strings.TrimSpace(r.stdout) != env.public {
		t.Fatalf("default host outside the cluster: want the public one: %s", r)
	}
	r := ocr(t, l.opts("alice"), "login", "--internal", "--ca-file", env.caFile, "--timeout", "5s")
	if r.code == 0 || !strings.Contains(r.stderr, svc) || !strings.Contains(r.stderr, "unreachable") || !strings.Contains(r.stderr, "--registry") {
		t.Fatalf("login --internal to a name that does not resolve here: %s", r)
	}
	if _, err := os.Stat(l.authFile()); err == nil {
		t.Fatal("a failed login wrote the auth file")
	}
	if r := ocr(t, l.opts("alice"), "login", "--ca-file", env.ingressCA); r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded! "+env.public) {
		t.Fatalf("login by default goes to the public host: %s", r)
	}
	// The current project's streams come first.
	ns := newProject(t, "disc")
	mustOCR(t, "admin", "grant", "viewer", "alice", "-n", ns)
	stream := `{"apiVersion":"image.openshift.io/v1","kind":"ImageStream","metadata":{"name":"x","namespace":"` + ns + `"},
"status":{"dockerImageRepository":"` + env.registry + `/` + ns + `/x","publicDockerImageRepository":"` + env.public + `/` + ns + `/x"}}`
	mustKubectlIn(t, stream, "apply", "-f", "-")
	r = ocr(t, l.opts("alice"), "info", "--internal", "-n", ns)
	if r.code != 0 || !strings.Contains(r.stdout, "registry:  "+env.registry+" (from imagestream "+ns+"/x (internal host))") {
		t.Fatalf("the current project's image streams should come first: %s", r)
	}
}
