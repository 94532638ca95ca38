//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// statusReport is the part of `status -o json` the tests read.
type statusReport struct {
	Verdict  string
	Summary  string
	Reasons  []string
	Operator struct {
		State      string
		Conditions []struct{ Type, Status, Reason, Message string }
	}
	Pods struct {
		State string
		Items []struct {
			Name, Component, Ready, Status, Node string
			IsReady                              bool
			Restarts                             int
		}
	}
	Routes struct {
		Items []struct {
			Name, Host string
			Admitted   bool
		}
	}
}

func statusJSON(t *testing.T, user string, args ...string) (statusReport, result) {
	t.Helper()
	r := ocr(t, runOpts{user: user}, append([]string{"status", "-o", "json"}, args...)...)
	var s statusReport
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("status -o json: %v: %s", err, r)
	}
	return s, r
}

// clusterCmd runs the cluster program (stop-registry N, start-registry).
func clusterCmd(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.clusterBin, args...)
	cmd.Dir = env.clusterDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cluster %v: %v\n%s", args, err, out)
	}
}

// healthyAgain waits, at the end of a test, until the registry is healthy,
// so that the next test finds the cluster as this one found it.
func healthyAgain(t *testing.T) {
	t.Cleanup(func() {
		if r := ocr(t, runOpts{user: "admin"}, "status", "--wait", "--timeout", "60s"); r.code != 0 {
			t.Errorf("the registry did not become healthy again: %s", r)
		}
	})
}

// The healthy cluster: exit 0, every registry and node-ca pod in the table
// with READY and STATUS, the operator's conditions, the route.
func TestStatusHealthyListsEveryPod(t *testing.T) {
	if r := ocr(t, runOpts{user: "admin"}, "status", "--wait", "--timeout", "60s"); r.code != 0 {
		t.Fatalf("status --wait on the healthy cluster: %s", r)
	}
	r := ocr(t, runOpts{user: "admin"}, "status")
	if r.code != 0 || !strings.HasSuffix(r.stdout, "\nhealthy\n") || r.stderr != "" {
		t.Fatalf("status: %s", r)
	}
	pods := strings.Fields(mustKubectl(t, "admin", "get", "pods", "-n", "openshift-image-registry", "-l", "docker-registry=default", "-o", "name"))
	pods = append(pods, strings.Fields(mustKubectl(t, "admin", "get", "pods", "-n", "openshift-image-registry", "-l", "name=node-ca", "-o", "name"))...)
	if len(pods) < 3 {
		t.Fatalf("the fixture has %d registry and node-ca pods, want 3 or more", len(pods))
	}
	if header := podRow(r.stdout, "NAME"); strings.Join(header, " ") != "NAME READY STATUS RESTARTS AGE NODE" {
		t.Errorf("no pods table header:\n%s", r.stdout)
	}
	for _, p := range pods {
		name := strings.TrimPrefix(p, "pod/")
		var row []string
		for _, line := range strings.Split(r.stdout, "\n") {
			if f := strings.Fields(line); len(f) == 6 && f[0] == name {
				row = f
			}
		}
		if row == nil || row[1] != "1/1" || row[2] != "Running" || row[5] != "kwok-node-0" {
			t.Errorf("pod %s: row %q in:\n%s", name, row, r.stdout)
		}
	}
	for _, want := range []string{"managementState Managed, storage emptyDir, replicas 2", "Available     True", "Degraded      False",
		"default-route   " + env.public + "   admitted", "Internal:  " + env.registry} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	s, _ := statusJSON(t, "admin")
	if s.Verdict != "healthy" || s.Operator.State != "found" || len(s.Pods.Items) != len(pods) {
		t.Fatalf("status -o json: %+v", s)
	}
	for _, p := range s.Pods.Items {
		if !p.IsReady || p.Ready != "1/1" || p.Status != "Running" {
			t.Errorf("pod %+v", p)
		}
	}
}

// A stopped registry process makes status exit 6 and name the pod; --wait
// returns once it runs again; a Degraded condition of the operator is
// named with its reason.
func TestStatusDegradedThenWait(t *testing.T) {
	healthyAgain(t)
	t.Cleanup(func() { clusterCmd(t, "start-registry") })
	clusterCmd(t, "stop-registry", "1")
	var s statusReport
	var r result
	waitUntil(t, 20*time.Second, func() bool { s, r = statusJSON(t, "admin"); return r.code == 6 })
	var down []string
	for _, p := range s.Pods.Items {
		if !p.IsReady {
			down = append(down, p.Name)
		}
	}
	if len(down) != 1 || s.Verdict != "degraded" || !strings.Contains(s.Summary, "pod "+down[0]+" not ready (0/1, Running)") {
		t.Fatalf("one replica stopped: %+v", s)
	}
	text := ocr(t, runOpts{user: "admin"}, "status")
	if text.code != 6 || !strings.Contains(text.stdout, "\ndegraded: pod "+down[0]+" not ready") || !strings.Contains(text.stderr, "hint: wait for it with: oc-registry status --wait") {
		t.Fatalf("status, text: %s", text)
	}
	// --wait gives up with the degraded code...
	r = ocr(t, runOpts{user: "admin"}, "status", "--wait", "--timeout", "3s")
	if r.code != 6 || !strings.Contains(r.stderr, "waiting (0s): degraded: pod "+down[0]) || !strings.Contains(r.stderr, "error: timed out after 3s") {
		t.Fatalf("status --wait --timeout 3s while a replica is down: %s", r)
	}
	// ...and returns once the replica is back.
	done := make(chan result, 1)
	go func() { done <- ocr(t, runOpts{user: "admin"}, "status", "--wait", "--timeout", "90s") }()
	time.Sleep(2 * time.Second)
	clusterCmd(t, "start-registry")
	r = <-done
	if r.code != 0 || !strings.HasSuffix(r.stdout, "\nhealthy\n") || !strings.Contains(r.stderr, "waiting (0s): degraded") || !strings.Contains(r.stderr, "healthy after") {
		t.Fatalf("status --wait across the restart: %s", r)
	}
	// Ready again. (The restart count is the local operator loop's guess
	// from the probe; kwok's own status updates can race it, so it is not
	// asserted here.)
	if row := podRow(r.stdout, down[0]); len(row) != 6 || row[1] != "1/1" || row[2] != "Running" {
		t.Errorf("after the restart pod %s shows %q (want 1/1 Running)", down[0], row)
	}

	// The router refuses the default route: the operator reports Degraded
	// with reason RouteDegraded, and status names it.
	restore(t, "route.route.openshift.io", "default-route", "-n", "openshift-image-registry")
	mustKubectl(t, "admin", "patch", "route.route.openshift.io", "default-route", "-n", "openshift-image-registry", "--type", "merge", "-p",
		`{"status":{"ingress":[{"host":"`+env.public+`","routerName":"default","conditions":[{"type":"Admitted","status":"False","reason":"HostAlreadyClaimed","message":"a route in another namespace holds the host"}]}]}}`)
	waitUntil(t, 20*time.Second, func() bool { s, r = statusJSON(t, "admin"); return r.code == 6 })
	want := "operator Degraded (RouteDegraded): route default-route (host " + env.public + ", router default) not admitted: a route in another namespace holds the host"
	if !strings.Contains(s.Summary, want) {
		t.Fatalf("Degraded condition: want %q in %q", want, s.Summary)
	}
}

func podRow(stdout, name string) []string {
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name {
			return f
		}
	}
	return nil
}

// Partial permissions: what may not be read is unknown, with a warning,
// not a failure. Bad input: one error line, a hint, a non-zero code.
func TestStatusPartialPermissionsAndBadInput(t *testing.T) {
	ns := "openshift-image-registry"
	mustKubectl(t, "admin", "create", "role", "e2e-status-reader", "-n", ns, "--verb=get,list", "--resource=pods,deployments.apps,daemonsets.apps,routes.route.openshift.io")
	mustKubectl(t, "admin", "create", "rolebinding", "e2e-status-reader", "-n", ns, "--role=e2e-status-reader", "--user=carol")
	t.Cleanup(func() {
		kubectl(t, "admin", "delete", "rolebinding,role", "e2e-status-reader", "-n", ns)
	})
	var r result
	waitUntil(t, 10*time.Second, func() bool {
		r = ocr(t, runOpts{user: "carol"}, "status", "--wait", "--timeout", "30s")
		return !strings.Contains(r.stderr, "pods: unknown")
	})
	if r.code != 0 || !strings.HasSuffix(r.stdout, "\nhealthy\n") || !strings.Contains(r.stdout, "Operator:     unknown (") ||
		!strings.Contains(r.stderr, "warning: configs.imageregistry.operator.openshift.io/cluster: unknown:") || strings.Count(r.stderr, "warning:") != 1 {
		t.Fatalf("carol, who may read the namespace but not the operator config: %s", r)
	}
	if podRow(r.stdout, "node-ca-hjksc") == nil {
		t.Errorf("carol's status lacks the pods: %s", r)
	}
	// dave may read nothing: unknown, exit 4.
	r = ocr(t, runOpts{user: "dave"}, "status")
	if r.code != 4 || !strings.Contains(r.stderr, "error: cannot tell the registry's health") || !strings.Contains(r.stderr, "hint: ") {
		t.Fatalf("dave: %s", r)
	}

	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"status", "-o", "xml"}, 2, `error: unknown output format "xml"`},
		{[]string{"status", "-n", "default"}, 7, "error: namespace \"default\" has no image registry: not installed: no deployment image-registry in namespace default\nhint: the integrated registry runs in namespace openshift-image-registry: leave out -n"},
		{[]string{"status", "--wait", "--timeout", "-1s"}, 2, "error: --timeout must be positive"},
		{[]string{"expose", "--dry-run=maybe"}, 2, "error: --dry-run must be none, client or server"},
		{[]string{"doctor", "a/b", "c/d"}, 2, "error: accepts at most 1 arg(s)"},
	}
	for _, tt := range tests {
		r := ocr(t, runOpts{user: "admin"}, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "error:") != 1 || r.stdout != "" {
			t.Errorf("%v: want exit %d and %q: %s", tt.args, tt.code, tt.want, r)
		}
	}
}

// expose, expose again (no change), --disable (the route goes, and with it
// the public host), --disable again, expose: the same host as before, and
// the printed login line works.
func TestExposeIdempotentThenDisable(t *testing.T) {
	healthyAgain(t)
	t.Cleanup(func() {
		// Leave the default route as the fixture has it, whatever happened.
		if r := ocr(t, runOpts{user: "admin"}, "expose"); r.code != 0 {
			t.Errorf("re-exposing: %s", r)
		}
	})
	r := ocr(t, runOpts{user: "admin"}, "expose")
	want := "unchanged: the registry is exposed at " + env.public + " (route openshift-image-registry/default-route)\nlog in with: oc-registry login --registry " + env.public + "\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("expose on the exposed registry: %s", r)
	}
	r = ocr(t, runOpts{user: "admin"}, "expose", "--disable", "--dry-run=server")
	if r.code != 0 || !strings.Contains(r.stdout, "would set spec.defaultRoute to false (dry run: nothing changed)") {
		t.Fatalf("expose --disable --dry-run=server: %s", r)
	}
	mustKubectl(t, "admin", "get", "route.route.openshift.io", "default-route", "-n", "openshift-image-registry")

	r = ocr(t, runOpts{user: "alice"}, "expose", "--disable")
	if r.code != 4 || !strings.Contains(r.stderr, "hint: changing the registry operator's config needs a cluster admin") {
		t.Fatalf("alice may not expose: %s", r)
	}

	r = ocr(t, runOpts{user: "admin"}, "expose", "--disable", "--timeout", "60s")
	if r.code != 0 || r.stdout != "changed: the registry is not exposed (route openshift-image-registry/default-route is gone)\n" {
		t.Fatalf("expose --disable: %s", r)
	}
	if k := kubectl(t, "admin", "get", "route.route.openshift.io", "default-route", "-n", "openshift-image-registry"); k.code == 0 || !strings.Contains(k.stderr, "NotFound") {
		t.Fatalf("the route is still there: %s", k)
	}
	if r := ocr(t, runOpts{user: "admin"}, "info", "-q", "--public"); r.code == 0 || !strings.Contains(r.stderr, "publishes no public registry host") {
		t.Errorf("with the route gone, the cluster still publishes a public host: %s", r)
	}
	s, _ := statusJSON(t, "admin")
	if len(s.Routes.Items) != 0 {
		t.Errorf("status lists routes after --disable: %+v", s.Routes)
	}
	if r := ocr(t, runOpts{user: "admin"}, "expose", "--disable"); r.code != 0 || !strings.HasPrefix(r.stdout, "unchanged:") {
		t.Fatalf("expose --disable again: %s", r)
	}

	r = ocr(t, runOpts{user: "admin"}, "expose", "--timeout", "60s", "-o", "json")
	var res struct {
		DefaultRoute, Changed bool
		Host, Login, DryRun   string
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || !res.Changed || !res.DefaultRoute || res.Host != env.public ||
		res.Login != "oc-registry login --registry "+env.public || res.DryRun != "none" {
		t.Fatalf("expose after --disable: %s", r)
	}
	if !strings.Contains(r.stderr, "waiting for the image registry operator to create the route") {
		t.Errorf("no progress on stderr: %s", r)
	}
	// The login line it printed works, CA and all.
	l := newLoginEnv(t)
	notInEtc(t, env.public)
	// alice may not read the ingress CA object, as on OpenShift: she is given it.
	args := append(strings.Fields(strings.TrimPrefix(res.Login, "oc-registry ")), "--cert-dir", t.TempDir(), "--ca-file", env.ingressCA)
	if r := ocr(t, l.opts("alice"), args...); r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded! "+env.public) {
		t.Fatalf("the printed login line: %s", r)
	}
	if r := ocr(t, runOpts{user: "admin"}, "info", "-q", "--public"); r.code != 0 || strings.TrimSpace(r.stdout) != env.public {
		t.Errorf("the public host is not back: %s", r)
	}
}

// doctor walks alice through each failure of a push, one at a time, each
// with its fix; after each fix the next check is reached; then all green,
// and the push works.
func TestDoctorWalksAliceThroughEachFailure(t *testing.T) {
	ns := newProject(t, "doctor")
	l := newLoginEnv(t)
	notInEtc(t, env.public)
	caDir := l.caDir(env.public)
	img := ns + "/app:v1"
	type check struct {
		Name, Detail, Fix string
		OK, Skipped       bool
	}
	var rep struct {
		OK                     bool
		Registry, Verdict, Fix string
		Checks                 []check
	}
	doctor := func(args ...string) result {
		t.Helper()
		r := ocr(t, l.opts("alice"), append([]string{"doctor", "-o", "json"}, args...)...)
		rep.Checks = nil
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("doctor -o json: %v: %s", err, r)
		}
		for _, tok := range []string{env.tokens["alice"], "sha256~an-old-token"} {
			if strings.Contains(r.stdout+r.stderr, tok) {
				t.Fatal("doctor printed a token")
			}
		}
		return r
	}
	get := func(name string) check {
		for _, c := range rep.Checks {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no check %s in %+v", name, rep.Checks)
		return check{}
	}
	firstFailure := func() check {
		for _, c := range rep.Checks {
			if !c.OK && !c.Skipped {
				return c
			}
		}
		return check{}
	}

	// 1. Not logged in: podman has no CA and no credentials.
	r := doctor(img, "--cert-dir", caDir)
	if c := get("auth-file"); r.code == 0 || c.OK || !strings.Contains(c.Detail, "has no entry for "+env.public) || c.Fix != "log in: oc-registry login" {
		t.Fatalf("before login: %s", r)
	}
	if c := get("tls"); c.OK || !strings.Contains(c.Fix, "oc-registry login") || !strings.Contains(rep.Fix, "login") {
		t.Fatalf("before login, tls: %s", r)
	}
	if rep.Registry != env.public {
		t.Fatalf("doctor checked %s, want %s", rep.Registry, env.public)
	}

	// 2. Logged in, then the entry holds an old token: the silent 401.
	if r := ocr(t, l.opts("alice"), "login", "--ca-file", env.ingressCA); r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	old, _ := json.Marshal(map[string]any{"auths": map[string]any{env.public: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte("alice:sha256~an-old-token-0123456789"))}}})
	if err := os.WriteFile(l.authFile(), old, 0o600); err != nil {
		t.Fatal(err)
	}
	r = doctor(img, "--cert-dir", caDir)
	if c := firstFailure(); r.code != 3 || c.Name != "auth-file" || !strings.Contains(c.Detail, "old, expired or revoked") || c.Fix != "log in again: oc-registry login" {
		t.Fatalf("stale entry: %s", r)
	}
	src, _ := ociImage(t, seedFor(t))
	push := func() result {
		return execIn(t, l.opts(""), "skopeo", "copy", "--quiet", "--dest-cert-dir", caDir, src, "docker://"+env.public+"/"+img)
	}
	if p := push(); p.code == 0 || !strings.Contains(p.stderr, "unauthorized") {
		t.Fatalf("skopeo with the stale entry should fail as the doctor says: %s", p)
	}

	// 3. Logged in again: no role in the project.
	if r := ocr(t, l.opts("alice"), "login", "--ca-file", env.ingressCA); r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	r = doctor(img, "--cert-dir", caDir)
	grant := "oc-registry grant editor alice -n " + ns
	if r.code != 4 || !strings.Contains(rep.Fix, grant) || !strings.Contains(get("permission").Fix, grant) || !get("auth-file").OK {
		t.Fatalf("no role: %s", r)
	}
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)

	// 4. A three-level name.
	r = doctor(ns+"/team/app", "--cert-dir", caDir)
	if c := firstFailure(); r.code != 2 || c.Name != "name" || !strings.Contains(c.Detail, "one project level") || !get("permission").Skipped {
		t.Fatalf("three-level name: %s", r)
	}

	// 5. A project that does not exist: alice cannot tell it from one she
	// holds no role in; an admin can.
	r = doctor("nosuch-"+ns+"/app", "--cert-dir", caDir)
	if c := firstFailure(); r.code != 4 || c.Name != "project" || !strings.Contains(c.Detail, "does not exist, or you hold no role in it") {
		t.Fatalf("missing project, as alice: %s", r)
	}
	ra := ocr(t, runOpts{user: "admin"}, "doctor", "nosuch-"+ns+"/app", "-o", "json")
	if !strings.Contains(ra.stdout, `"detail": "project nosuch-`+ns+` does not exist"`) || !strings.Contains(ra.stdout, "oc new-project nosuch-"+ns) {
		t.Fatalf("missing project, as admin: %s", ra)
	}

	// 6. An untrusted CA: podman given a directory with another CA.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "ca.crt"), unrelatedCA(t), 0o644)
	r = doctor(img, "--cert-dir", other)
	if c := firstFailure(); r.code != 1 || c.Name != "tls" || !strings.Contains(c.Fix, "--cert-dir "+caDir) {
		t.Fatalf("untrusted CA: %s", r)
	}

	// All green, in text too, and the push works.
	r = ocr(t, l.opts("alice"), "doctor", img, "--cert-dir", caDir)
	if r.code != 0 || !strings.HasSuffix(r.stdout, "\nalice can push to "+img+" at "+env.public+"\n") {
		t.Fatalf("all fixed: %s", r)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line == "" {
			break
		}
		if !strings.HasPrefix(line, "ok ") {
			t.Errorf("not ok: %q", line)
		}
	}
	if p := push(); p.code != 0 {
		t.Fatalf("doctor says alice can push, skopeo says: %s", p)
	}
}

// doctor --pull: green for a viewer, and for a user without a role it
// names grant viewer.
func TestDoctorPull(t *testing.T) {
	ns := newProject(t, "dpull")
	src, _ := ociImage(t, seedFor(t))
	if r := skopeoPush(t, "admin", src, ns+"/app:v1"); r.code != 0 {
		t.Fatalf("seeding the image: %s", r)
	}
	mustOCR(t, "admin", "grant", "viewer", "bob", "-n", ns)
	for _, tt := range []struct {
		user string
		code int
		want string
	}{
		{"bob", 0, "bob can pull from " + ns + "/app:v1 at " + env.public},
		{"carol", 4, "fix: check the project name; if it is right, ask an admin of " + ns + " for a role: oc-registry grant viewer carol -n " + ns},
	} {
		l := newLoginEnv(t)
		notInEtc(t, env.public)
		if r := ocr(t, l.opts(tt.user), "login", "--ca-file", env.ingressCA); r.code != 0 {
			t.Fatalf("login as %s: %s", tt.user, r)
		}
		r := ocr(t, l.opts(tt.user), "doctor", "--pull", ns+"/app:v1", "--cert-dir", l.caDir(env.public))
		if r.code != tt.code || !strings.Contains(r.stdout, tt.want) {
			t.Errorf("%s: want exit %d and %q: %s", tt.user, tt.code, tt.want, r)
		}
		if tt.code != 0 && !strings.Contains(r.stdout, "fix: ask an admin of project "+ns+" for the role: oc-registry grant viewer "+tt.user+" -n "+ns) {
			t.Errorf("%s: the permission line lacks the grant: %s", tt.user, r)
		}
		if tt.code == 0 {
			if p := execIn(t, l.opts(""), "skopeo", "inspect", "--cert-dir", l.caDir(env.public), "docker://"+env.public+"/"+ns+"/app:v1"); p.code != 0 {
				t.Errorf("doctor says %s can pull, skopeo says: %s", tt.user, p)
			}
		}
	}
}

// doctor --as-robot: a service account's permission (asked by a project
// admin) and the auth file holding its token.
func TestDoctorRobot(t *testing.T) {
	ns := newProject(t, "drobot")
	mustKubectl(t, "admin", "create", "serviceaccount", "ci", "-n", ns)
	l := newLoginEnv(t)
	notInEtc(t, env.public)
	robotAuth := filepath.Join(t.TempDir(), "robot.json")
	if r := ocr(t, l.opts("admin"), "login", "-z", ns+":ci", "--duration", "10m", "-a", robotAuth); r.code != 0 {
		t.Fatalf("robot login: %s", r)
	}
	args := []string{"doctor", ns + "/app", "--as-robot", ns + ":ci", "-a", robotAuth, "--cert-dir", l.caDir(env.public)}
	r := ocr(t, l.opts("admin"), args...)
	if r.code != 4 || !strings.Contains(r.stdout, "oc-registry grant builder --serviceaccount "+ns+":ci -n "+ns) {
		t.Fatalf("robot without a role: %s", r)
	}
	mustOCR(t, "admin", "grant", "builder", "--serviceaccount", ns+":ci", "-n", ns)
	waitUntil(t, 10*time.Second, func() bool { r = ocr(t, l.opts("admin"), args...); return r.code == 0 })
	if !strings.Contains(r.stdout, "system:serviceaccount:"+ns+":ci can push to "+ns+"/app at "+env.public) {
		t.Fatalf("robot with builder: %s", r)
	}
	// The proof: skopeo pushes with the robot's file.
	src, _ := ociImage(t, seedFor(t))
	if p := skopeo(t, "copy", "--quiet", "--authfile", robotAuth, "--dest-cert-dir", l.caDir(env.public), src, "docker://"+env.public+"/"+ns+"/app:v1"); p.code != 0 {
		t.Fatalf("doctor says the robot can push, skopeo says: %s", p)
	}
}
