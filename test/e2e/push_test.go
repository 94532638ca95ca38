//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/internal/testimage"
)

type pushResult struct {
	Reference, Digest string
	Pushed            int   `json:"blobsPushed"`
	Reused            int   `json:"blobsReused"`
	Moved             int64 `json:"bytesUploaded"`
	Tags              []string
	Unchanged         bool
}

// loggedIn returns a login environment for user, logged in to the internal host.
func loggedIn(t *testing.T, user string) loginEnv {
	t.Helper()
	l := newLoginEnv(t)
	notInEtc(t, env.registry)
	// Ordinary users may not read the CA configmaps, as on OpenShift: they
	// are given the CA.
	if r := ocr(t, l.opts(user), "login", "--internal", "--ca-file", env.caFile); r.code != 0 {
		t.Fatalf("login as %s: %s", user, r)
	}
	return l
}

func pushJSON(t *testing.T, l loginEnv, user string, args ...string) (pushResult, result) {
	t.Helper()
	r := ocr(t, l.opts(user), append([]string{"push", "-o", "json"}, args...)...)
	var res pushResult
	if r.code == 0 {
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
			t.Fatalf("push -o json: %v: %s", err, r)
		}
	}
	return res, r
}

func inspectDigest(t *testing.T, l loginEnv, ref string) string {
	t.Helper()
	r := execIn(t, l.opts(""), "skopeo", "inspect", "--cert-dir", l.caDir(env.registry), "--format", "{{.Digest}}", "docker://"+env.registry+"/"+ref)
	if r.code != 0 {
		return ""
	}
	return strings.TrimSpace(r.stdout)
}

func TestPushFromEveryLocalFormat(t *testing.T) {
	ns := newProject(t, "push")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	l := loggedIn(t, "alice")

	dir := t.TempDir()
	want, err := testimage.Write(dir, "latest", 3, 256<<10, seedFor(t))
	if err != nil {
		t.Fatal(err)
	}
	res, r := pushJSON(t, l, "alice", "oci:"+dir+":latest", ns+"/app:v1", "--tag", "stable")
	if r.code != 0 || res.Digest != want || res.Pushed != 4 || strings.Join(res.Tags, ",") != "v1,stable" {
		t.Fatalf("push from an OCI layout: %+v %s", res, r)
	}
	if got := inspectDigest(t, l, ns+"/app:stable"); got != want {
		t.Fatalf("skopeo sees %q at app:stable, want %s", got, want)
	}
	if out := mustKubectl(t, "admin", "get", "imagestreams.image.openshift.io", "app", "-n", ns, "-o", "jsonpath={.status.tags[*].tag}"); !strings.Contains(out, "v1") || !strings.Contains(out, "stable") {
		t.Fatalf("ImageStream tags: %q", out)
	}

	// oci-archive: a tar of an OCI layout.
	archive := filepath.Join(t.TempDir(), "img.tar")
	if out, err := exec.Command("tar", "-C", dir, "-cf", archive, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	res, r = pushJSON(t, l, "alice", "oci-archive:"+archive, ns+"/from-archive:v1")
	if r.code != 0 || res.Digest != want {
		t.Fatalf("push from an oci-archive: %+v %s", res, r)
	}

	// docker-archive, made by skopeo.
	darchive := filepath.Join(t.TempDir(), "docker.tar")
	if r := skopeo(t, "copy", "--quiet", "oci:"+dir+":latest", "docker-archive:"+darchive+":x/y:latest"); r.code != 0 {
		t.Fatalf("making a docker-archive: %s", r)
	}
	res, r = pushJSON(t, l, "alice", "docker-archive:"+darchive, ns+"/from-docker:v1")
	if r.code != 0 || res.Digest == "" {
		t.Fatalf("push from a docker-archive: %s", r)
	}
	if got := inspectDigest(t, l, ns+"/from-docker:v1"); got != res.Digest {
		t.Fatalf("skopeo sees %q, push said %s", got, res.Digest)
	}

	// A bare directory is an OCI layout; pushing again uploads nothing.
	// The config blob is checked and counted, but no layer is sent again.
	res, r = pushJSON(t, l, "alice", dir, ns+"/app:v1")
	if r.code != 0 || res.Pushed > 1 || res.Moved > 4096 || !res.Unchanged {
		t.Fatalf("re-push: %+v %s", res, r)
	}
}

// The re-push decision: when the tag already holds exactly this image,
// nothing is written, so nothing needs the push permission: a viewer's
// re-push says unchanged and exits 0. A changed image is still refused
// before any upload.
func TestRePushUnchangedNeedsNoPushRole(t *testing.T) {
	ns := newProject(t, "repush")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	mustOCR(t, "admin", "grant", "viewer", "bob", "-n", ns)
	dir := t.TempDir()
	if _, err := testimage.Write(dir, "latest", 2, 64<<10, seedFor(t)); err != nil {
		t.Fatal(err)
	}
	la := loggedIn(t, "alice")
	if _, r := pushJSON(t, la, "alice", dir, ns+"/app:v1"); r.code != 0 {
		t.Fatalf("first push: %s", r)
	}
	lb := loggedIn(t, "bob")
	r := ocr(t, lb.opts("bob"), "push", dir, ns+"/app:v1")
	if r.code != 0 || !strings.HasSuffix(strings.TrimSpace(r.stdout), " unchanged") || !strings.Contains(r.stderr, "nothing was written") {
		t.Fatalf("a viewer's re-push of the same image: want unchanged, exit 0: %s", r)
	}
	other := t.TempDir()
	if _, err := testimage.Write(other, "latest", 2, 64<<10, seedFor(t)+1); err != nil {
		t.Fatal(err)
	}
	before := markLogs()
	r = ocr(t, lb.opts("bob"), "push", other, ns+"/app:v1")
	if r.code != 4 || !strings.Contains(r.stderr, "nothing was uploaded") || !strings.Contains(r.stderr, "grant") {
		t.Fatalf("a viewer pushing a changed image: want the preflight's exit 4 and the grant hint: %s", r)
	}
	if strings.Contains(before.since(t), ns+"/app/blobs/uploads/") {
		t.Fatal("blobs were uploaded before the preflight said no")
	}
}

// tag across projects mounts blobs: the registry sees no blob read and no
// blob upload.
func TestTagAcrossProjectsMovesNoBlobs(t *testing.T) {
	src := newProject(t, "tagsrc")
	dst := newProject(t, "tagdst")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", src)
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", dst)
	l := loggedIn(t, "alice")
	dir := t.TempDir()
	want, _ := testimage.Write(dir, "latest", 2, 512<<10, seedFor(t))
	if _, r := pushJSON(t, l, "alice", dir, src+"/app:v1"); r.code != 0 {
		t.Fatalf("push: %s", r)
	}
	before := markLogs()
	r := ocr(t, l.opts("alice"), "tag", src+"/app:v1", dst+"/app:prod", "-o", "json")
	var res pushResult
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Moved != 0 || res.Pushed != 0 || res.Reused != 3 {
		t.Fatalf("tag: %s", r)
	}
	time.Sleep(200 * time.Millisecond)
	logs := before.since(t)
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "response completed") &&
			(strings.Contains(line, "http.request.method=PATCH") ||
				(strings.Contains(line, "http.request.method=GET") && strings.Contains(line, "/blobs/sha256:"))) {
			t.Fatalf("tag moved blob bytes: %s", line)
		}
	}
	if !strings.Contains(logs, "mount=") {
		t.Fatalf("no blob mount in the registry log during tag")
	}
	if got := inspectDigest(t, l, dst+"/app:prod"); got != want {
		t.Fatalf("tagged image digest %q, want %s", got, want)
	}
}

// logMark is where each replica's log ends now.
type logMark map[string]int64

func markLogs() logMark {
	m := logMark{}
	for _, p := range env.clusterLogs {
		if fi, err := os.Stat(p); err == nil {
			m[p] = fi.Size()
		}
	}
	return m
}

// since returns what every replica logged after the mark, joined.
func (m logMark) since(t *testing.T) string {
	t.Helper()
	var out strings.Builder
	for _, p := range env.clusterLogs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		f.Seek(m[p], 0)
		b, _ := io.ReadAll(io.LimitReader(f, 8<<20))
		f.Close()
		out.Write(b)
	}
	return out.String()
}

func TestPushDeniedBeforeUpload(t *testing.T) {
	ns := newProject(t, "deny")
	l := loggedIn(t, "alice")
	dir := t.TempDir()
	testimage.Write(dir, "latest", 1, 64<<10, seedFor(t))

	before := markLogs()
	r := ocr(t, l.opts("alice"), "push", dir, ns+"/app:v1")
	if r.code != 4 || !strings.Contains(r.stderr, "nothing was uploaded") || !strings.Contains(r.stderr, "oc-registry grant editor alice -n "+ns) {
		t.Fatalf("push without a role: %s", r)
	}
	for _, line := range strings.Split(before.since(t), "\n") {
		if strings.Contains(line, ns+"/app") && (strings.Contains(line, "method=POST") || strings.Contains(line, "method=PATCH") || strings.Contains(line, "method=PUT")) {
			t.Fatalf("the registry received a write for %s/app: %s", ns, line)
		}
	}

	mustOCR(t, "admin", "grant", "pusher", "alice", "-n", ns)
	r = ocr(t, l.opts("alice"), "push", dir, ns+"/new:v1")
	if r.code != 4 || !strings.Contains(r.stderr, "builder") {
		t.Fatalf("pusher and a new stream: %s", r)
	}
	r = ocr(t, runOpts{user: "admin", home: l.home, env: []string{"XDG_RUNTIME_DIR=" + l.runtime}}, "push", dir, "no-such-project-x/app")
	if r.code != 1 || !strings.Contains(r.stderr, `project "no-such-project-x" does not exist`) {
		t.Fatalf("nonexistent project: %s", r)
	}
	for _, bad := range []string{"app", ns + "/a/b", ns + "/App", ns + "/app@sha256:0000"} {
		if r := ocr(t, l.opts("alice"), "push", dir, bad); r.code != 2 {
			t.Errorf("push to %q: %s", bad, r)
		}
	}
}

// The registry goes away in the middle of an upload: without retries the
// push fails and the tag does not exist; with retries it completes.
func TestPushSurvivesARegistryRestart(t *testing.T) {
	ns := newProject(t, "fault")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	l := loggedIn(t, "alice")
	dir := t.TempDir()
	want, _ := testimage.Write(dir, "latest", 4, 48<<20, seedFor(t))

	interrupt := func(repo string) {
		before := markLogs()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Contains(before.since(t), repo+"/blobs/uploads/") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cluster(t, "stop-registry")
		time.Sleep(1500 * time.Millisecond)
		cluster(t, "start-registry")
	}

	done := make(chan result, 1)
	go func() { done <- ocr(t, l.opts("alice"), "push", dir, ns+"/once:v1", "--retry-times", "0", "-q") }()
	interrupt(ns + "/once")
	if r := <-done; r.code == 0 {
		t.Fatalf("push without retries survived the outage; the test did not interrupt it: %s", r)
	}
	if got := inspectDigest(t, l, ns+"/once:v1"); got != "" {
		t.Fatalf("a failed push left the tag pointing at %s", got)
	}

	go func() { done <- ocr(t, l.opts("alice"), "push", dir, ns+"/retried:v1", "--retry-times", "5") }()
	interrupt(ns + "/retried")
	r := <-done
	if r.code != 0 || !strings.Contains(r.stderr, "retrying") {
		t.Fatalf("push with retries: %s", r)
	}
	if got := inspectDigest(t, l, ns+"/retried:v1"); got != want {
		t.Fatalf("after the retried push the tag points at %q, want %s", got, want)
	}
}

func cluster(t *testing.T, verb string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.clusterBin, strings.Fields(verb)...)
	cmd.Dir = env.clusterDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cluster %s: %v\n%s", verb, err, out)
	}
}

// A push into a second project mounts the layers the blob-info cache knows
// from the first, when the user may read it; a user who may not gets the
// same push done by upload.
func TestPushMountsKnownLayersAcrossProjects(t *testing.T) {
	a, b, c := newProject(t, "mnta"), newProject(t, "mntb"), newProject(t, "mntc")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", a)
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", b)
	mustOCR(t, "admin", "grant", "editor", "bob", "-n", c)
	cache := t.TempDir() // one CI runner's cache, shared by both users
	withCache := "XDG_CACHE_HOME=" + cache
	const layer = 256 << 10
	seed := seedFor(t)
	three, four := t.TempDir(), t.TempDir()
	if _, err := testimage.Write(three, "latest", 3, layer, seed); err != nil {
		t.Fatal(err)
	}
	// Layers are seeded by position: the 4-layer image shares 3 with the other.
	if _, err := testimage.Write(four, "latest", 4, layer, seed); err != nil {
		t.Fatal(err)
	}
	push := func(l loginEnv, user, dir, dst string) pushResult {
		t.Helper()
		r := ocr(t, l.opts(user, withCache), "push", "-o", "json", dir, dst)
		var res pushResult
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil {
			t.Fatalf("push %s %s as %s: %s", dir, dst, user, r)
		}
		return res
	}
	alice := loggedIn(t, "alice")
	if res := push(alice, "alice", three, a+"/app:v1"); res.Moved < 3*layer {
		t.Fatalf("first push uploaded %d bytes, want the 3 layers", res.Moved)
	}
	fi, err := os.Stat(filepath.Join(cache, "oc-registry", "blob-info-cache-v1.boltdb"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("blob-info cache: %v %v, want mode 0600", err, fi)
	}

	mark := markLogs()
	res := push(alice, "alice", four, b+"/app:v1")
	if res.Reused != 3 || res.Pushed != 2 || res.Moved < layer || res.Moved > layer+layer/2 {
		t.Fatalf("second project: reused %d, pushed %d, %d bytes; want 3 layers mounted and only the new layer and config uploaded", res.Reused, res.Pushed, res.Moved)
	}
	time.Sleep(200 * time.Millisecond)
	if logs := mark.since(t); !strings.Contains(logs, "mount=") || !strings.Contains(logs, "from="+a) {
		t.Fatalf("no mount from %s in the registry log", a)
	}
	// The 3-layer image itself: its config is known in a only; nothing moves.
	if res := push(alice, "alice", three, b+"/app:v0"); res.Moved != 0 || res.Reused != 4 {
		t.Fatalf("same image into a second project: %d bytes uploaded, %d reused; want 0 and 4", res.Moved, res.Reused)
	}

	// bob may not read a or b. As on OpenShift, the registry answers such a
	// mount by starting an ordinary upload (202), and the push uploads.
	bob := loggedIn(t, "bob")
	mark = markLogs()
	if res := push(bob, "bob", three, c+"/app:v1"); res.Moved < 3*layer || res.Reused != 0 {
		t.Fatalf("push by a user who cannot read the other projects: %d bytes uploaded, %d reused; want a full upload", res.Moved, res.Reused)
	}
	time.Sleep(200 * time.Millisecond)
	mounts := 0
	for _, line := range strings.Split(mark.since(t), "\n") {
		if !strings.Contains(line, "msg=response ") || !strings.Contains(line, "mount=") {
			continue
		}
		mounts++
		if !strings.Contains(line, "http.response.status=202") {
			t.Fatalf("a mount bob may not make was not answered with an upload (202), as OpenShift answers it: %s", line)
		}
	}
	if mounts == 0 {
		t.Fatal("bob's push tried no mount: the shared cache was not used")
	}
}

// A CI job logs in as a robot with an admin's kubeconfig still current:
// the preflight asks about the robot, whose token the push will send.
func TestPushPreflightAsksAboutTheRobot(t *testing.T) {
	ns := newProject(t, "robotpf")
	mustKubectl(t, "admin", "create", "serviceaccount", "ci-bot", "-n", ns)
	home, runtime := t.TempDir(), t.TempDir()
	admin := runOpts{user: "admin", home: home, env: []string{"XDG_RUNTIME_DIR=" + runtime}}
	robotAuth := filepath.Join(t.TempDir(), "robot.json")
	if r := ocr(t, admin, "login", "-z", ns+":ci-bot", "--duration", "10m", "-a", robotAuth, "--internal"); r.code != 0 {
		t.Fatalf("login -z: %s", r)
	}
	dir := t.TempDir()
	testimage.Write(dir, "latest", 1, 64<<10, seedFor(t))

	mark := markLogs()
	r := ocr(t, admin, "push", "-a", robotAuth, dir, ns+"/app:v1")
	t.Logf("robot denied: %s", r)
	if r.code != 4 || !strings.Contains(r.stderr, "serviceaccount "+ns+":ci-bot") ||
		!strings.Contains(r.stderr, "grant editor --serviceaccount "+ns+":ci-bot -n "+ns) || !strings.Contains(r.stderr, "nothing was uploaded") {
		t.Fatalf("robot without a role, admin kubeconfig current: want exit 4 naming the robot and its grant: %s", r)
	}
	time.Sleep(200 * time.Millisecond)
	for _, line := range strings.Split(mark.since(t), "\n") {
		if strings.Contains(line, ns+"/app") && (strings.Contains(line, "method=POST") || strings.Contains(line, "method=PATCH")) {
			t.Fatalf("the registry received an upload before the preflight said no: %s", line)
		}
	}

	mustOCR(t, "admin", "grant", "builder", "--serviceaccount", ns+":ci-bot", "-n", ns)
	if r := ocr(t, admin, "push", "-a", robotAuth, dir, ns+"/app:v1"); r.code != 0 {
		t.Fatalf("robot with builder: %s", r)
	}

	// An entry login did not write (a password, another tool's token):
	// the cluster cannot be asked about it, and the push says so.
	foreign := authFile(t, "carol")
	r = ocr(t, admin, "push", "-a", foreign, dir, ns+"/other:v1")
	t.Logf("foreign: %s", r)
	if !strings.Contains(r.stderr, "permission check skipped") || !strings.Contains(r.stderr, "not stored by login") || r.code == 0 ||
		strings.Count(r.stderr, "authentication required") != 1 {
		t.Fatalf("foreign auth entry: want the skip explained and the registry's refusal, said once: %s", r)
	}
}

// A full pull spec is taken only for this cluster's registry, unless
// --registry names its host too.
func TestPushFullPullSpecMustBeThisCluster(t *testing.T) {
	ns := newProject(t, "pinned")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	l := loggedIn(t, "alice")
	dir := t.TempDir()
	testimage.Write(dir, "latest", 1, 32<<10, seedFor(t))
	r := ocr(t, l.opts("alice"), "push", dir, "quay.example:443/"+ns+"/app:v1")
	if r.code != 2 || !strings.Contains(r.stderr, "quay.example:443 is not this cluster's registry") || !strings.Contains(r.stderr, "--registry quay.example:443") {
		t.Fatalf("a foreign host in the destination: %s", r)
	}
	r = ocr(t, l.opts("alice"), "push", "--registry", env.registry, dir, "quay.example:443/"+ns+"/app:v1")
	if r.code != 2 || !strings.Contains(r.stderr, "--registry says") {
		t.Fatalf("destination host and --registry disagree: %s", r)
	}
	if r := ocr(t, l.opts("alice"), "push", dir, env.registry+"/"+ns+"/app:v1"); r.code != 0 {
		t.Fatalf("the cluster's own host in the destination: %s", r)
	}
}

// What podman built is pushed from its local store: by containers-storage:
// reference and by bare name. The store is a test's own (storage.conf in
// CONTAINERS_STORAGE_CONF, vfs driver), never the machine's.
func TestPushFromPodmanStorage(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Fatal("podman is not installed (make deps installs it)")
	}
	ns := newProject(t, "podman")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	store := t.TempDir()
	conf := filepath.Join(store, "storage.conf")
	os.WriteFile(conf, []byte("[storage]\ndriver = \"vfs\"\ngraphroot = \""+store+"/graph\"\nrunroot = \""+store+"/run\"\n"), 0o600)
	withStore := "CONTAINERS_STORAGE_CONF=" + conf
	t.Cleanup(func() {
		exec.Command("podman", "--storage-driver", "vfs", "--root", store+"/graph", "--runroot", store+"/run", "system", "reset", "-f").Run()
	})

	ctxDir := t.TempDir()
	os.WriteFile(filepath.Join(ctxDir, "hello.txt"), []byte("built by podman for "+ns+"\n"), 0o644)
	os.WriteFile(filepath.Join(ctxDir, "Containerfile"), []byte("FROM scratch\nCOPY hello.txt /hello.txt\nLABEL e2e="+ns+"\n"), 0o644)
	if r := execIn(t, runOpts{env: []string{withStore}}, "podman", "build", "-q", "-t", "localhost/e2e-app:v1", ctxDir); r.code != 0 {
		// No build here: load an OCI layout into the store instead.
		t.Logf("podman build: %s; loading an OCI layout instead", r)
		dir := t.TempDir()
		testimage.Write(dir, "latest", 1, 16<<10, seedFor(t))
		if r := execIn(t, runOpts{env: []string{withStore}}, "podman", "pull", "-q", "oci:"+dir+":latest"); r.code != 0 {
			t.Fatalf("podman pull oci: %s", r)
		}
		if r := execIn(t, runOpts{env: []string{withStore}}, "podman", "tag", "oci:"+dir+":latest", "localhost/e2e-app:v1"); r.code != 0 {
			t.Fatalf("podman tag: %s", r)
		}
	}
	l := loggedIn(t, "alice")
	for _, src := range []string{"containers-storage:localhost/e2e-app:v1", "localhost/e2e-app:v1"} {
		r := ocr(t, l.opts("alice", withStore), "push", src, ns+"/app:v1")
		if r.code != 0 || strings.Contains(r.stderr, "level=info") {
			t.Fatalf("push %s: %s", src, r)
		}
	}
	r := execIn(t, l.opts(""), "skopeo", "inspect", "--cert-dir", l.caDir(env.registry), "--config", "docker://"+env.registry+"/"+ns+"/app:v1")
	if r.code != 0 || !strings.Contains(r.stdout, ns) && !strings.Contains(r.stdout, "rootfs") {
		t.Fatalf("skopeo inspect of the pushed image: %s", r)
	}
	r = ocr(t, l.opts("alice", withStore), "push", "containers-storage:localhost/no-such:v1", ns+"/app:v2")
	if r.code != 2 || !strings.Contains(r.stderr, "podman save --format oci-archive") {
		t.Fatalf("a missing local image: %s", r)
	}
}

// tag records the blobs it sees: a later push of the same image into
// another project mounts them, though this user never pushed them.
func TestTagRecordsBlobsForLaterMounts(t *testing.T) {
	a, b, c := newProject(t, "tra"), newProject(t, "trb"), newProject(t, "trc")
	for _, p := range []string{a, b, c} {
		mustOCR(t, "admin", "grant", "editor", "alice", "-n", p)
	}
	dir := t.TempDir()
	testimage.Write(dir, "latest", 2, 128<<10, seedFor(t))
	// Someone else pushes into a, with a cache alice does not share.
	admin := loggedIn(t, "admin")
	if r := ocr(t, admin.opts("admin", "XDG_CACHE_HOME="+t.TempDir()), "push", dir, a+"/app:v1"); r.code != 0 {
		t.Fatalf("push into %s: %s", a, r)
	}
	alice := loggedIn(t, "alice")
	cache := "XDG_CACHE_HOME=" + t.TempDir()
	if r := ocr(t, alice.opts("alice", cache), "tag", a+"/app:v1", b+"/app:v1"); r.code != 0 {
		t.Fatalf("tag: %s", r)
	}
	r := ocr(t, alice.opts("alice", cache), "push", "-o", "json", dir, c+"/app:v1")
	var res pushResult
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Moved != 0 || res.Reused != 3 {
		t.Fatalf("push after tag: want every blob mounted from what tag recorded: %s", r)
	}
}
