//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/internal/testimage"
)

// loginEnv is a user's sealed environment for login tests: own HOME and
// XDG_RUNTIME_DIR, so the containers default auth file is per test.
type loginEnv struct {
	home, runtime string
}

func newLoginEnv(t *testing.T) loginEnv {
	return loginEnv{home: t.TempDir(), runtime: t.TempDir()}
}

func (l loginEnv) opts(user string, extra ...string) runOpts {
	return runOpts{user: user, home: l.home, env: append([]string{"XDG_RUNTIME_DIR=" + l.runtime}, extra...)}
}

func (l loginEnv) authFile() string { return filepath.Join(l.runtime, "containers", "auth.json") }

// caDir is where root's login keeps host's CA for oc-registry (the tests
// run as root, and login writes /etc only with --install-ca): podman's
// --cert-dir form, for skopeo and podman.
func (l loginEnv) caDir(host string) string {
	return filepath.Join(l.home, ".config", "oc-registry", "certs.d", host)
}

// notInEtc fails the test if login wrote to the system certs directory.
func notInEtc(t *testing.T, host string) {
	_, err := os.Stat(filepath.Join("/etc/containers/certs.d", host))
	if err == nil {
		t.Fatalf("login wrote /etc/containers/certs.d/%s without --install-ca", host)
	}
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join("/etc/containers/certs.d", host)); err == nil {
			t.Errorf("/etc/containers/certs.d/%s was written", host)
		}
	})
}

func TestLoginThenSkopeoPodmanCrane(t *testing.T) {
	ns := newProject(t, "login")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	l := newLoginEnv(t)
	notInEtc(t, env.public)
	r := ocr(t, l.opts("alice"), "login", "--docker-config", "--ca-file", env.ingressCA)
	if r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded! "+env.public+" as alice") {
		t.Fatalf("login: %s", r)
	}
	if !strings.Contains(r.stderr, "from imagestream openshift/cli") {
		t.Errorf("login should say where the host came from: %s", r)
	}
	if fi, err := os.Stat(l.authFile()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("auth file %s: %v %v", l.authFile(), fi, err)
	}
	if _, err := os.Stat(filepath.Join(l.caDir(env.public), "ca.crt")); err != nil {
		t.Fatalf("CA not kept for oc-registry: %v", err)
	}
	if !strings.Contains(r.stderr, "--install-ca") {
		t.Errorf("login as root should say how to install the CA for root's podman: %s", r)
	}

	// skopeo: default auth file, TLS verified through the CA login kept.
	src, dgst := ociImage(t, seedFor(t))
	dest := "docker://" + env.public + "/" + ns + "/app:v1"
	if r := execIn(t, l.opts(""), "skopeo", "copy", "--quiet", "--dest-cert-dir", l.caDir(env.public), src, dest); r.code != 0 {
		t.Fatalf("skopeo copy after login: %s", r)
	}
	if r := execIn(t, l.opts(""), "skopeo", "inspect", "--cert-dir", l.caDir(env.public), "--format", "{{.Digest}}", dest); r.code != 0 || strings.TrimSpace(r.stdout) != dgst {
		t.Fatalf("skopeo inspect after login: %s", r)
	}

	// podman reads the same file.
	if r := execIn(t, l.opts(""), "podman", "login", "--get-login", env.public); r.code != 0 || strings.TrimSpace(r.stdout) != "alice" {
		t.Fatalf("podman login --get-login: %s", r)
	}
	store, err := os.MkdirTemp("/tmp", "pod") // podman wants a short runroot
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(store) })
	pod := func(args ...string) result {
		return execIn(t, l.opts(""), "podman", append([]string{"--root", store + "/root", "--runroot", store + "/run", "--storage-driver", "vfs"}, args...)...)
	}
	imgDir := filepath.Join(store, "img") // podman names the image after the path: keep it lowercase
	if _, err := testimage.Write(imgDir, "latest", 1, 64<<10, seedFor(t)); err != nil {
		t.Fatal(err)
	}
	r = pod("pull", "-q", "oci:"+imgDir+":latest")
	if r.code != 0 {
		t.Fatalf("podman pull from OCI layout: %s", r)
	}
	id := strings.TrimSpace(r.stdout)
	if r := pod("push", "-q", "--cert-dir", l.caDir(env.public), id, "docker://"+env.public+"/"+ns+"/podman:v1"); r.code != 0 {
		t.Fatalf("podman push after login: %s", r)
	}

	// crane reads ~/.docker/config.json, written by --docker-config.
	if env.crane == "" {
		t.Fatal("crane is not on PATH: run 'make tools'")
	}
	r = execIn(t, l.opts("", "SSL_CERT_FILE="+env.ingressCA), "crane", "digest", env.public+"/"+ns+"/app:v1")
	if r.code != 0 || strings.TrimSpace(r.stdout) != dgst {
		t.Fatalf("crane with ~/.docker/config.json: %s", r)
	}

	// logout cleans both files login wrote, and nothing else.
	r = ocr(t, l.opts("alice"), "logout")
	if r.code != 0 || strings.Count(r.stdout, "removed credentials for "+env.public) != 2 || !strings.Contains(r.stdout, "removed the CA login installed") {
		t.Fatalf("logout: %s", r)
	}
	if _, err := os.Stat(l.caDir(env.public)); err == nil {
		t.Fatal("logout left the CA login installed")
	}
	for _, f := range []string{l.authFile(), filepath.Join(l.home, ".docker", "config.json")} {
		if b, _ := os.ReadFile(f); strings.Contains(string(b), env.public) {
			t.Fatalf("%s still holds %s after logout", f, env.public)
		}
	}
	if r := execIn(t, l.opts(""), "podman", "login", "--get-login", env.public); r.code == 0 {
		t.Fatalf("podman still logged in after logout: %s", r)
	}
}

func TestLoginServiceAccountToken(t *testing.T) {
	ns := newProject(t, "robot")
	mustKubectl(t, "admin", "create", "serviceaccount", "ci-bot", "-n", ns)
	mustOCR(t, "admin", "grant", "builder", "--serviceaccount", ns+":ci-bot", "-n", ns)
	authPath := filepath.Join(t.TempDir(), "robot.json")
	notInEtc(t, env.registry)
	r := ocr(t, runOpts{user: "admin"}, "login", "-z", ns+":ci-bot", "--duration", "10m", "-a", authPath, "--internal", "-o", "json")
	if r.code != 0 {
		t.Fatalf("login -z: %s", r)
	}
	var res struct {
		Registry, Username string
		Expires            time.Time
		Checked            bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("login -o json: %v: %s", err, r)
	}
	if left := time.Until(res.Expires); left < 9*time.Minute || left > 11*time.Minute || !res.Checked || res.Registry != env.registry {
		t.Fatalf("robot login: %+v (expires in %s)", res, time.Until(res.Expires))
	}
	src, _ := ociImage(t, seedFor(t))
	r = skopeo(t, "copy", "--quiet", "--authfile", authPath, "--dest-cert-dir", certDir(t), src, "docker://"+env.registry+"/"+ns+"/robot-made:v1")
	if r.code != 0 {
		t.Fatalf("robot push with builder: %s", r)
	}
	who := mustKubectl(t, "admin", "get", "imagestreams.image.openshift.io", "robot-made", "-n", ns, "-o", "name")
	if strings.TrimSpace(who) == "" {
		t.Fatal("the robot's push created no ImageStream")
	}
	// The token is a real, short-lived service account token.
	tok := storedPassword(t, authPath, env.registry)
	review := fmt.Sprintf(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":%q}}`, tok)
	r = execIn(t, runOpts{user: "admin", stdin: review}, "kubectl", "create", "-f", "-", "-o", "jsonpath={.status.user.username}")
	if r.stdout != "system:serviceaccount:"+ns+":ci-bot" {
		t.Fatalf("TokenReview of the robot token: %s", redactAlso(r.String(), tok))
	}
}

// storedPassword reads host's password from an auth file.
func storedPassword(t *testing.T, path, host string) string {
	t.Helper()
	var f struct {
		Auths map[string]struct{ Auth string }
	}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &f) != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	raw, _ := base64.StdEncoding.DecodeString(f.Auths[host].Auth)
	_, pass, _ := strings.Cut(string(raw), ":")
	if pass == "" {
		t.Fatalf("no credentials for %s in %s", host, path)
	}
	return pass
}

func redactAlso(s, secret string) string { return strings.ReplaceAll(s, secret, "<token>") }

// The token never shows: not in any process's argv while login runs, not
// in -v=10 output, not in errors.
func TestLoginKeepsTokensSecret(t *testing.T) {
	ns := newProject(t, "secret")
	mustKubectl(t, "admin", "create", "serviceaccount", "bot", "-n", ns)
	l := newLoginEnv(t)
	notInEtc(t, env.registry)
	token := env.tokens["alice"]

	stop := make(chan struct{})
	var seen []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
			for _, p := range procs {
				if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), token) {
					seen = append(seen, p)
				}
			}
		}
	}()
	for i := 0; i < 5; i++ {
		r := ocr(t, l.opts("alice"), "login", "--internal", "--ca-file", env.caFile, "-v=10")
		if r.code != 0 {
			close(stop)
			t.Fatalf("login: %s", r)
		}
		if strings.Contains(r.stdout+r.stderr, token) {
			close(stop)
			t.Fatal("the token appears in login's output at -v=10")
		}
	}
	close(stop)
	wg.Wait()
	if len(seen) > 0 {
		t.Fatalf("the token appeared in the argv of %v", seen)
	}

	// A service account token, from the TokenRequest API, at -v=10.
	authPath := filepath.Join(t.TempDir(), "a.json")
	r := ocr(t, runOpts{user: "admin"}, "login", "-z", ns+":bot", "-a", authPath, "--internal", "--skip-check", "-v=10")
	if r.code != 0 {
		t.Fatalf("login -z: %s", r)
	}
	if sat := storedPassword(t, authPath, env.registry); strings.Contains(r.stdout+r.stderr, sat) {
		t.Fatal("the service account token appears in login's output at -v=10")
	}

	// A rejected token is not echoed in the error.
	bogus := "sha256~not-a-real-token-0123456789abcdef"
	kc := kubeconfigWithToken(t, bogus)
	r = execIn(t, runOpts{env: []string{"KUBECONFIG=" + kc, "XDG_RUNTIME_DIR=" + t.TempDir()}}, env.bin, "login", "--registry", env.registry, "--ca-file", env.caFile, "--cert-dir", t.TempDir())
	if r.code != 3 || !strings.Contains(r.stderr, "token rejected") || !strings.Contains(r.stderr, "oc login") {
		t.Fatalf("login with a rejected token: %s", r)
	}
	if strings.Contains(r.stdout+r.stderr, bogus) {
		t.Fatal("the rejected token appears in the error")
	}
}

// kubeconfigWithToken is alice's kubeconfig with another token.
func kubeconfigWithToken(t *testing.T, token string) string {
	t.Helper()
	b, err := os.ReadFile(kubeconfigOf("alice"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(p, []byte(strings.ReplaceAll(string(b), env.tokens["alice"], token)), 0o600)
	return p
}

func TestConcurrentLoginsKeepEveryEntry(t *testing.T) {
	l := newLoginEnv(t)
	path := l.authFile()
	os.MkdirAll(filepath.Dir(path), 0o700)
	pre := `{"auths":{"quay.io":{"auth":"dXNlcjpwYXNz"},"docker.io":{"auth":"dXNlcjpwYXNz"}}}`
	os.WriteFile(path, []byte(pre), 0o600)
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cmd := exec.Command(env.bin, "login", "--registry", fmt.Sprintf("host%d.example:5000", i), "--skip-check")
			cmd.Env = sealedEnv(l.home, "alice", "XDG_RUNTIME_DIR="+l.runtime)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- redact(string(out))
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("login failed: %s", e)
	}
	var f struct{ Auths map[string]any }
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("auth file after 20 logins: %v", err)
	}
	if len(f.Auths) != 22 {
		t.Fatalf("want 20 new entries plus 2 old ones, got %d", len(f.Auths))
	}
	// logout removes only that host.
	r := ocr(t, l.opts("alice"), "logout", "--registry", "host7.example:5000")
	if r.code != 0 || !strings.Contains(r.stdout, "removed credentials for host7.example:5000") {
		t.Fatalf("logout: %s", r)
	}
	b, _ = os.ReadFile(path)
	f.Auths = nil
	json.Unmarshal(b, &f)
	if _, still := f.Auths["host7.example:5000"]; still || len(f.Auths) != 21 {
		t.Fatalf("after logout: %d entries", len(f.Auths))
	}
}

func TestLoginBadInput(t *testing.T) {
	l := newLoginEnv(t)
	otherCA := filepath.Join(t.TempDir(), "other-ca.crt")
	os.WriteFile(otherCA, unrelatedCA(t), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
		max  time.Duration
	}{
		{"colon user name", []string{"login", "--username", "kube:admin", "--registry", env.registry}, 2, "contains a colon", 0},
		{"unreachable host", []string{"login", "--registry", "127.0.0.1:1", "--timeout", "3s"}, 1, "unreachable", 10 * time.Second},
		{"wrong CA", []string{"login", "--registry", env.registry, "--ca-file", otherCA, "--cert-dir", t.TempDir()}, 1, "x509", 0},
		{"bad --registry", []string{"login", "--registry", "https://host/path"}, 2, `invalid registry host "host/path" from --registry`, 0},
		{"path-escaping --registry", []string{"login", "--registry", ".."}, 2, "from --registry", 0},
		{"bad --allow-realm", []string{"login", "--registry", env.registry, "--allow-realm", "a/b"}, 2, "from --allow-realm", 0},
		{"short robot token", []string{"login", "-z", "ns:bot", "--duration", "1m"}, 2, "too short", 0},
		{"missing kubeconfig", []string{"--kubeconfig", "/nonexistent", "login"}, 1, `kubeconfig "/nonexistent": file not found`, 0},
	}
	for _, tt := range tests {
		start := time.Now()
		r := ocr(t, l.opts("alice"), tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: want exit %d and %q: %s", tt.name, tt.code, tt.want, r)
		}
		if tt.max > 0 && time.Since(start) > tt.max {
			t.Errorf("%s: took %s", tt.name, time.Since(start))
		}
		if tt.name == "wrong CA" && !strings.Contains(r.stderr, "--ca-file") {
			t.Errorf("wrong CA: no hint: %s", r)
		}
	}
	// A corrupt auth file is refused, named, and left as it was.
	path := l.authFile()
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte("{not json"), 0o600)
	r := ocr(t, l.opts("alice"), "login", "--registry", env.registry, "--ca-file", env.caFile, "--cert-dir", t.TempDir())
	if r.code == 0 || !strings.Contains(r.stderr, path) {
		t.Fatalf("corrupt auth file: %s", r)
	}
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Fatalf("corrupt auth file was changed: %q", b)
	}
}

func TestInfoFlags(t *testing.T) {
	l := newLoginEnv(t)
	r := ocr(t, l.opts("alice"), "info", "-q")
	if r.code != 0 || strings.TrimSpace(r.stdout) != env.public {
		t.Fatalf("info -q: %s", r)
	}
	if r := ocr(t, l.opts("alice"), "info", "-q", "--internal"); strings.TrimSpace(r.stdout) != env.registry {
		t.Fatalf("info -q --internal: %s", r)
	}
	// Before any login the kubeconfig token works, but podman has nothing.
	r = ocr(t, l.opts("alice"), "info", "--public", "--check", "--ca-file", env.ingressCA)
	if r.code != 3 || !strings.Contains(r.stdout, "check:     your token works") || !strings.Contains(r.stdout, "auth file: "+l.authFile()+": FAILED: no entry") {
		t.Fatalf("info --check before login: %s", r)
	}
	if r := ocr(t, l.opts("alice"), "login", "--public", "--ca-file", env.ingressCA); r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	r = ocr(t, l.opts("alice"), "info", "--public", "--check", "--ca-file", env.ingressCA, "-o", "json")
	var res struct {
		Registry         string
		Checked          bool
		CASource         string
		AuthFileChecked  bool
		PodmanTrustError string
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Registry != env.public || !res.Checked || res.CASource == "" || !res.AuthFileChecked {
		t.Fatalf("info --public --check -o json: %s", r)
	}
	// Root's podman reads only /etc/containers/certs.d, where login wrote nothing.
	if !strings.Contains(res.PodmanTrustError, "--install-ca") {
		t.Fatalf("info should say root's podman will not trust the CA: %s", r)
	}
	// After logout the kubeconfig token still works, the auth file does not.
	if r := ocr(t, l.opts("alice"), "logout"); r.code != 0 {
		t.Fatalf("logout: %s", r)
	}
	r = ocr(t, l.opts("alice"), "info", "--public", "--check", "--ca-file", env.ingressCA)
	if r.code != 3 || !strings.Contains(r.stdout, "auth file: "+l.authFile()+": FAILED") {
		t.Fatalf("info --check after logout: %s", r)
	}
	if r := ocr(t, l.opts("alice"), "info", "--internal", "--public"); r.code != 2 {
		t.Fatalf("conflicting flags: %s", r)
	}
	kc := kubeconfigWithToken(t, "sha256~revoked-token-value-000000")
	r = execIn(t, runOpts{home: l.home, env: []string{"KUBECONFIG=" + kc}}, env.bin, "info", "--registry", env.registry, "--check", "--ca-file", env.caFile)
	if r.code != 3 || !strings.Contains(r.stdout, "check:     FAILED") {
		t.Fatalf("info --check with a revoked token: %s", r)
	}
}

func TestTokenForPiping(t *testing.T) {
	r := ocr(t, runOpts{user: "alice"}, "token")
	if r.code != 0 || strings.TrimSpace(r.stdout) != env.tokens["alice"] {
		t.Fatalf("token into a pipe: exit %d", r.code)
	}
	// On a terminal it refuses (script gives it one).
	r = execIn(t, runOpts{user: "alice"}, "script", "-qec", env.bin+" token", "/dev/null")
	if strings.Contains(r.stdout, env.tokens["alice"]) || !strings.Contains(r.stdout, "refusing to print a token to a terminal") {
		t.Fatalf("token on a terminal: %s", r)
	}
}

// unrelatedCA is a freshly made CA that signed nothing the cluster uses.
func unrelatedCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
