package commands

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/oc-registry/oc-registry/internal/testimage"
	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"
	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// imageRegistry is a TLS registry: enough of the distribution API for a
// login check, a re-push check and a tag (/v2/, manifest HEAD, GET and PUT,
// blob mounts), recording every write. With a token, every request needs
// Basic credentials whose password is that token, as OpenShift's registry
// takes them; without, it answers anonymously.
type imageRegistry struct {
	*httptest.Server
	token     string
	mu        sync.Mutex
	manifests map[string][]byte // "repo:ref" -> manifest
	writes    []string
}

func newImageRegistry(t *testing.T, token string) *imageRegistry {
	r := &imageRegistry{token: token, manifests: map[string][]byte{}}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.Server.Config.ErrorLog = log.New(io.Discard, "", 0) // the TLS failures tests ask for
	r.StartTLS()
	t.Cleanup(r.Close)
	return r
}

func (r *imageRegistry) host() string { return strings.TrimPrefix(r.URL, "https://") }

func (r *imageRegistry) serve(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	if _, p, ok := req.BasicAuth(); r.token != "" && (!ok || p != r.token) {
		w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	path := strings.TrimPrefix(req.URL.Path, "/v2/")
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		r.writes = append(r.writes, req.Method+" "+req.URL.RequestURI())
	}
	switch {
	case req.URL.Path == "/v2/":
		w.WriteHeader(http.StatusOK)
	case strings.Contains(path, "/manifests/"):
		repo, ref, _ := strings.Cut(path, "/manifests/")
		if req.Method == http.MethodPut {
			b := make([]byte, req.ContentLength)
			req.Body.Read(b)
			r.manifests[repo+":"+ref] = b
			w.WriteHeader(http.StatusCreated)
			return
		}
		m, ok := r.manifests[repo+":"+ref]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.Header().Set("Docker-Content-Digest", digest.FromBytes(m).String())
		if req.Method == http.MethodGet {
			w.Write(m)
		}
	case strings.HasSuffix(path, "/blobs/uploads/") && req.URL.Query().Get("mount") != "":
		w.WriteHeader(http.StatusCreated)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (r *imageRegistry) wrote() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

// certDirFor writes the registry's CA the way podman reads it: DIR/HOST/ca.crt.
func certDirFor(t *testing.T, r *imageRegistry) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, r.host()), 0o700)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(dir, r.host(), "ca.crt"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ociLayout writes a small image and returns its directory and manifest.
func ociLayout(t *testing.T) (string, []byte) {
	dir := t.TempDir()
	dgst, err := testimage.Write(dir, "latest", 2, 4<<10, 7)
	if err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(dgst, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

func pushCmd(f Factory, s genericiooptions.IOStreams) *cobra.Command { return NewCmdPush(f, s) }
func tagCmd(f Factory, s genericiooptions.IOStreams) *cobra.Command  { return NewCmdTag(f, s) }

// An unchanged re-push is answered from one manifest check: exit 0, even
// though the permission check says no (nothing is written).
func TestPushRunUnchanged(t *testing.T) {
	f := newFakeFactory(t, "team", namespace("team"))
	answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return false })
	reg := newImageRegistry(t, "")
	dir, m := ociLayout(t)
	reg.manifests["team/app:v1"] = m
	r := run(t, f, pushCmd, "--registry", reg.host(), "--cert-dir", certDirFor(t, reg), dir, "team/app:v1")
	if r.code != 0 || !strings.HasSuffix(strings.TrimSpace(r.stdout), "@"+digest.FromBytes(m).String()+" unchanged") ||
		!strings.Contains(r.stderr, "unchanged") || len(reg.wrote()) != 0 {
		t.Fatalf("unchanged re-push: %s\nwrites: %v", r, reg.wrote())
	}
}

// A push the permission check refuses uploads nothing and names the grant.
func TestPushRunDeniedWritesNothing(t *testing.T) {
	f := newFakeFactory(t, "team", namespace("team"))
	answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return false })
	reg := newImageRegistry(t, "")
	dir, _ := ociLayout(t)
	r := run(t, f, pushCmd, "--registry", reg.host(), "--cert-dir", certDirFor(t, reg), dir, "team/app:v1")
	if r.code != 4 || !strings.Contains(r.stderr, "nothing was uploaded") || !strings.Contains(r.stderr, "grant editor") || r.stdout != "" {
		t.Fatalf("denied push: %s", r)
	}
	if w := reg.wrote(); len(w) != 0 {
		t.Fatalf("the registry received writes: %v", w)
	}
	// Bad names and flags are usage errors before anything else.
	for _, args := range [][]string{{dir, "team/a/b"}, {"--jobs", "0", dir, "team/app"}, {"no-such-dir", "team/app"}} {
		if r := run(t, f, pushCmd, args...); r.code != 2 {
			t.Errorf("push %v: %s", args, r)
		}
	}
}

// tag mounts every blob and writes the manifest; nothing else moves.
func TestTagRun(t *testing.T) {
	f := newFakeFactory(t, "team", namespace("team"), namespace("prod"))
	answerReviews(f.kube, func(string, authzv1.ResourceAttributes) bool { return true })
	reg := newImageRegistry(t, "")
	_, m := ociLayout(t)
	reg.manifests["team/app:v1"] = m
	r := run(t, f, tagCmd, "--registry", reg.host(), "--cert-dir", certDirFor(t, reg), "team/app:v1", "prod/app:v1")
	if r.code != 0 || !strings.Contains(r.stdout, "prod/app@"+digest.FromBytes(m).String()) || !strings.Contains(r.stderr, "3 blobs mounted") {
		t.Fatalf("tag: %s", r)
	}
	w := reg.wrote()
	mounts := 0
	for _, x := range w {
		if strings.HasPrefix(x, "POST /v2/prod/app/blobs/uploads/?") && strings.Contains(x, "from=team%2Fapp") {
			mounts++
		}
	}
	if mounts != 3 || w[len(w)-1] != "PUT /v2/prod/app/manifests/v1" || string(reg.manifests["prod/app:v1"]) != string(m) {
		t.Fatalf("tag writes: %v", w)
	}
}

// tag without pull on the source stops before any write.
func TestTagRunDenied(t *testing.T) {
	f := newFakeFactory(t, "team", namespace("team"), namespace("prod"))
	answerReviews(f.kube, func(_ string, a authzv1.ResourceAttributes) bool { return a.Namespace != "team" })
	reg := newImageRegistry(t, "")
	_, m := ociLayout(t)
	reg.manifests["team/app:v1"] = m
	r := run(t, f, tagCmd, "--registry", reg.host(), "--cert-dir", certDirFor(t, reg), "team/app:v1", "prod/app:v1")
	if r.code != 4 || !strings.Contains(r.stderr, "may not pull from project team") || !strings.Contains(r.stderr, "grant viewer") {
		t.Fatalf("tag without pull: %s", r)
	}
	if w := reg.wrote(); len(w) != 0 {
		t.Fatalf("the registry received writes: %v", w)
	}
}
