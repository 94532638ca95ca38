//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"github.com/oc-registry/oc-registry/internal/testspy"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// caFileOf writes the spy's CA certificate to a file.
func caFileOf(t *testing.T, s *testspy.Server) string {
	p := filepath.Join(t.TempDir(), "hostile-ca.crt")
	os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o644)
	return p
}

// snapshot lists every file and directory under the roots with contents.
func snapshot(t *testing.T, roots ...string) string {
	t.Helper()
	var out []string
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			b, _ := os.ReadFile(p)
			out = append(out, fmt.Sprintf("%s %x", p, sha256.Sum256(b)))
			return nil
		})
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// A registry that sends the client elsewhere gets no token there, and
// nothing is written.
func TestHostileRegistry(t *testing.T) {
	token := env.tokens["alice"]
	other := testspy.New(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		w.WriteHeader(http.StatusCreated)
	})
	realm := testspy.New(t, true, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"token":"x"}`) })
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%x","size":%d},"layers":[]}`,
		sha256.Sum256(config), len(config))

	tests := []struct {
		name    string
		handler http.HandlerFunc
		args    func(reg string) []string
		want    string
	}{
		{"redirect to plain http", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
		}, func(reg string) []string { return []string{"login", "--registry", reg} }, "another origin"},
		{"redirect to another https origin", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, realm.URL+r.URL.Path, http.StatusTemporaryRedirect)
		}, func(reg string) []string { return []string{"login", "--registry", reg} }, "another origin"},
		{"token realm on another host", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm.URL+`/token"`)
			w.WriteHeader(http.StatusUnauthorized)
		}, func(reg string) []string { return []string{"login", "--registry", reg} }, "--allow-realm"},
		{"mount Location on another origin (tag)", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
			switch {
			case strings.Contains(r.URL.Path, "/manifests/"):
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				fmt.Fprint(w, manifest)
			case r.Method == http.MethodPost:
				w.Header().Set("Location", other.URL+"/v2/q/b/blobs/uploads/1")
				w.WriteHeader(http.StatusAccepted)
			}
		}, func(reg string) []string {
			return []string{"tag", "--registry", reg, "--no-preflight", "p/a:v1", "q/b:v1"}
		}, "another origin"},
		{"upload Location on another origin (push)", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
			switch {
			case r.URL.Path == "/v2/":
			case r.Method == http.MethodPost:
				w.Header().Set("Location", other.URL+"/v2/q/b/blobs/uploads/1")
				w.WriteHeader(http.StatusAccepted)
			default:
				w.WriteHeader(http.StatusNotFound)
			}
		}, func(reg string) []string {
			src, _ := ociImage(t, seedFor(t))
			return []string{"push", "--registry", reg, "--no-preflight", "--retry-times", "0", src, "q/b:v1"}
		}, "outside the registry's origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := testspy.New(t, true, tt.handler)
			l := newLoginEnv(t)
			auth := filepath.Join(t.TempDir(), "auth.json")
			certs := filepath.Join(t.TempDir(), "certs.d")
			os.MkdirAll(filepath.Join(certs, reg.Host()), 0o755)
			os.WriteFile(filepath.Join(certs, reg.Host(), "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: reg.Certificate().Raw}), 0o644)
			args := tt.args(reg.Host())
			if args[0] == "login" {
				args = append(args, "-a", auth, "--ca-file", caFileOf(t, reg), "--cert-dir", filepath.Join(t.TempDir(), "c"))
			} else {
				enc := base64.StdEncoding.EncodeToString([]byte("alice:" + token))
				os.WriteFile(auth, []byte(`{"auths":{"`+reg.Host()+`":{"auth":"`+enc+`"}}}`), 0o600)
				args = append(args, "-a", auth, "--cert-dir", certs)
			}
			before := snapshot(t, auth)
			r := ocr(t, l.opts("alice"), args...)
			if r.code == 0 || !strings.Contains(r.stderr, tt.want) || strings.Count(strings.TrimSpace(r.stderr), "error:") != 1 {
				t.Fatalf("want one error line with %q: %s", tt.want, r)
			}
			if got := other.Requests(); len(got) != 0 || other.SawToken(token) {
				t.Fatalf("the other origin was contacted: %v", got)
			}
			if realm.SawToken(token) {
				t.Fatal("the token reached another host's realm")
			}
			if strings.Contains(r.stdout+r.stderr, token) {
				t.Fatal("the token is in the output")
			}
			if args[0] == "login" && snapshot(t, auth) != before {
				t.Fatal("a refused login wrote the auth file")
			}
		})
	}
}

// restore puts a cluster object back as it was when the test ends.
func restore(t *testing.T, args ...string) {
	t.Helper()
	out := mustKubectl(t, "admin", append([]string{"get", "-o", "json"}, args...)...)
	var obj map[string]any
	json.Unmarshal([]byte(out), &obj)
	delete(obj["metadata"].(map[string]any), "resourceVersion")
	b, _ := json.Marshal(obj)
	t.Cleanup(func() {
		r := execIn(t, runOpts{user: "admin", stdin: string(b)}, "kubectl", "replace", "-f", "-")
		if r.code != 0 {
			t.Errorf("restoring %v: %s", args, r)
		}
	})
}

// Cluster objects name the registry; a hostile one must not make login
// write outside the certs directory, nor plant a CA that was not proven.
func TestHostileClusterObjects(t *testing.T) {
	hostile := testspy.New(t, true, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm=openshift`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	patch := func(kind, name, ns, body string) {
		args := []string{"patch", kind, name, "--type", "merge", "-p", body}
		if ns != "" {
			args = append(args, "-n", ns)
		}
		mustKubectl(t, "admin", args...)
	}
	hostileCA := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hostile.Certificate().Raw}))
	// The public host's CA is the ingress CA: a hostile object plants its
	// own there.
	caPatch, _ := json.Marshal(map[string]any{"data": map[string]string{"ca-bundle.crt": hostileCA}})

	tests := []struct {
		name  string
		setup func()
		user  string
		args  []string
		code  int
		want  string
	}{
		{"image config host escaping the certs dir", func() {
			patch("images.config.openshift.io", "cluster", "", `{"status":{"internalRegistryHostname":"../../../../tmp/ocr-escape"}}`)
		}, "admin", []string{"login", "--internal"}, 1, "images.config.openshift.io/cluster"},
		{"route host with a path", func() {
			patch("route.route.openshift.io", "default-route", "openshift-image-registry", `{"spec":{"host":"evil.example.com/x"}}`)
		}, "admin", []string{"login", "--public"}, 1, "route openshift-image-registry/default-route"},
		{"image stream with an empty host", func() {
			patch("imagestreams.image.openshift.io", "cli", "openshift", `{"status":{"publicDockerImageRepository":"/leading","dockerImageRepository":"/leading"}}`)
		}, "alice", []string{"info"}, 1, "imagestream openshift/cli"},
		{"foreign host with a planted CA", func() {
			patch("images.config.openshift.io", "cluster", "", `{"status":{"externalRegistryHostnames":["`+hostile.Host()+`"]}}`)
			patch("configmap", "default-ingress-cert", "openshift-config-managed", string(caPatch))
		}, "admin", []string{"login", "--public"}, 3, "rejected the token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			restore(t, "images.config.openshift.io", "cluster")
			restore(t, "route.route.openshift.io", "default-route", "-n", "openshift-image-registry")
			restore(t, "imagestreams.image.openshift.io", "cli", "-n", "openshift")
			restore(t, "configmap", "image-registry-ca", "-n", "openshift-config-managed")
			restore(t, "configmap", "default-ingress-cert", "-n", "openshift-config-managed")
			tt.setup()
			l := newLoginEnv(t)
			before := snapshot(t, l.home, l.runtime)
			r := ocr(t, l.opts(tt.user), tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "error:") != 1 {
				t.Fatalf("want exit %d and one error line naming %q: %s", tt.code, tt.want, r)
			}
			if after := snapshot(t, l.home, l.runtime); after != before {
				t.Fatalf("a refused login wrote files:\n%s", after)
			}
			if _, err := os.Stat("/tmp/ocr-escape"); err == nil {
				t.Fatal("a file was written through the escaping host")
			}
		})
	}
}

// login --cert-dir D, then push without repeating it: our commands trust
// the CA login recorded. logout then leaves both directories as they were.
func TestLoginCertDirThenPushThenLogoutRestores(t *testing.T) {
	ns := newProject(t, "certdir")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	l := newLoginEnv(t)
	certs := filepath.Join(t.TempDir(), "certs.d")
	os.MkdirAll(filepath.Join(certs, "other.example.com"), 0o755)
	os.WriteFile(filepath.Join(certs, "other.example.com", "ca.crt"), unrelatedCA(t), 0o644)
	os.MkdirAll(filepath.Dir(l.authFile()), 0o700)
	// As podman and skopeo write it (c/image's own format).
	os.WriteFile(l.authFile(), []byte("{\n\t\"auths\": {\n\t\t\"quay.io\": {\n\t\t\t\"auth\": \"dTpw\"\n\t\t}\n\t}\n}"), 0o600)
	before := snapshot(t, certs, l.authFile())

	if r := ocr(t, l.opts("alice"), "login", "--internal", "--ca-file", env.caFile, "--cert-dir", certs); r.code != 0 {
		t.Fatalf("login --cert-dir: %s", r)
	}
	if _, err := os.Stat(filepath.Join(certs, env.registry, "ca.crt")); err != nil {
		t.Fatalf("CA not in --cert-dir: %v", err)
	}
	src, want := ociImage(t, seedFor(t))
	r := ocr(t, l.opts("alice"), "push", "-q", src, ns+"/app:v1")
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Fatalf("push after login --cert-dir: %s", r)
	}
	if r := ocr(t, l.opts("alice"), "logout"); r.code != 0 {
		t.Fatalf("logout: %s", r)
	}
	if after := snapshot(t, certs, l.authFile()); after != before {
		t.Fatalf("logout did not restore the files:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// A login waiting on a lock another process holds ends on Ctrl-C.
func TestLoginInterruptedWhileWaitingForLock(t *testing.T) {
	l := newLoginEnv(t)
	auth := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(auth, []byte(`{"auths":{}}`), 0o600)
	lf, _ := os.OpenFile(auth+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(env.bin, "login", "--internal", "--ca-file", env.caFile, "-a", auth)
	cmd.Env = sealedEnv(l.home, "alice", "XDG_RUNTIME_DIR="+l.runtime)
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // past the credential check, into the lock wait
	sent := time.Now()
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	took := time.Since(sent)
	code := cmd.ProcessState.ExitCode()
	if code != 130 || took > 2*time.Second {
		t.Fatalf("want exit 130 within 2s of SIGINT, got %d after %s (%v): %s", code, took, err, redact(errb.String()))
	}
	if b, _ := os.ReadFile(auth); string(b) != `{"auths":{}}` {
		t.Fatalf("auth file changed: %s", b)
	}
}

// logout -a FILE touches only that file: a CI job with its own auth file
// does not log out a neighbour sharing the same HOME.
func TestLogoutWithAFileTouchesOnlyThatFile(t *testing.T) {
	l := newLoginEnv(t)
	if r := ocr(t, l.opts("alice"), "login", "--internal", "--ca-file", env.caFile); r.code != 0 {
		t.Fatalf("login (default file): %s", r)
	}
	job := filepath.Join(t.TempDir(), "job-auth.json")
	if r := ocr(t, l.opts("alice"), "login", "--internal", "--ca-file", env.caFile, "-a", job); r.code != 0 {
		t.Fatalf("login -a: %s", r)
	}
	certs := filepath.Join(l.home, ".config", "oc-registry", "certs.d")
	before := snapshot(t, l.authFile(), certs)
	r := ocr(t, l.opts("alice"), "logout", "-a", job)
	if r.code != 0 || !strings.Contains(r.stdout, "removed credentials for "+env.registry+" from "+job) || strings.Contains(r.stdout, l.authFile()) {
		t.Fatalf("logout -a: %s", r)
	}
	if after := snapshot(t, l.authFile(), certs); after != before || !strings.Contains(after, "ca.crt") {
		t.Fatalf("logout -a touched the neighbour's file or the CA:\nbefore %s\nafter %s", before, after)
	}
	if b, _ := os.ReadFile(l.authFile()); !strings.Contains(string(b), env.registry) {
		t.Fatal("the default auth file lost its entry")
	}
}
