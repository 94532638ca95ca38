package registry

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"github.com/oc-registry/oc-registry/internal/testspy"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/blobinfocache/none"
	"go.podman.io/image/v5/types"
)

const secret = "sha256~hostile-test-token-0123456789"

// spy is testspy's server, its checks bound to this file's secret.
type spy struct{ *testspy.Server }

func newSpy(t *testing.T, tlsOn bool, h http.HandlerFunc) *spy { return &spy{testspy.New(t, tlsOn, h)} }
func (s *spy) host() string                                    { return s.Host() }
func (s *spy) sawToken() bool                                  { return s.SawToken(secret) }
func (s *spy) requests() int                                   { return len(s.Requests()) }

func clientFor(t *testing.T, reg *spy, mut ...func(*Config)) *Client {
	t.Helper()
	pool := x509.NewCertPool()
	if reg.TLS != nil {
		pool.AddCert(reg.Certificate())
	}
	cfg := Config{Host: reg.host(), Secret: secret, Roots: pool}
	for _, m := range mut {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func v2Header(w http.ResponseWriter) {
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
}

func TestRedirectToPlainHTTPIsRefused(t *testing.T) {
	other := newSpy(t, false, func(w http.ResponseWriter, r *http.Request) { v2Header(w) })
	reg := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v2/", http.StatusFound)
	})
	err := clientFor(t, reg).Check(context.Background())
	if CauseOf(err) != CausePolicy || !strings.Contains(err.Error(), "another origin") {
		t.Fatalf("want a policy refusal, got %v", err)
	}
	if other.requests() != 0 || other.sawToken() {
		t.Fatalf("the redirect target was contacted: %v", other.Requests())
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatal("error holds the token")
	}
}

func TestRedirectToAnotherHTTPSOriginIsRefusedForCheck(t *testing.T) {
	other := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) { v2Header(w) })
	reg := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v2/", http.StatusTemporaryRedirect)
	})
	err := clientFor(t, reg).Check(context.Background())
	if CauseOf(err) != CausePolicy {
		t.Fatalf("want a policy refusal, got %v", err)
	}
	if other.requests() != 0 {
		t.Fatalf("the other origin was contacted: %v", other.Requests())
	}
}

func TestBlobRedirectToStorageIsFollowedWithoutCredentials(t *testing.T) {
	storage := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "layer-bytes") })
	reg := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, storage.URL+"/bucket/blob?sig=abc", http.StatusFound)
	})
	c := clientFor(t, reg, func(cfg *Config) { cfg.Roots.AddCert(storage.Certificate()) })
	resp, err := c.Get(context.Background(), "/v2/p/app/blobs/sha256:"+strings.Repeat("a", 64), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "layer-bytes" {
		t.Fatalf("body %q", b)
	}
	if storage.sawToken() || storage.Auths()[0] != "" {
		t.Fatalf("storage got an Authorization header: %q", storage.Auths())
	}
	if !reg.sawToken() {
		t.Fatal("the registry itself should have had the credentials")
	}
}

func TestMountLocationOnAnotherOriginIsNotFollowed(t *testing.T) {
	other := newSpy(t, false, func(w http.ResponseWriter, r *http.Request) {})
	reg := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", other.URL+"/v2/p/app/blobs/uploads/123")
		w.WriteHeader(http.StatusAccepted)
	})
	_, err := clientFor(t, reg).Mount(context.Background(), "p/app", "q/app", "sha256:"+strings.Repeat("b", 64))
	if CauseOf(err) != CausePolicy || !strings.Contains(err.Error(), "another origin") {
		t.Fatalf("want a policy refusal, got %v", err)
	}
	if other.requests() != 0 {
		t.Fatalf("DELETE went to the other origin: %v", other.Requests())
	}
}

func TestRealmOnAnotherHostIsRefused(t *testing.T) {
	realm := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"token":"t"}`) })
	reg := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm.URL+`/token",service="x"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	err := clientFor(t, reg).Check(context.Background())
	if CauseOf(err) != CausePolicy || !strings.Contains(err.Error(), "--allow-realm "+realm.host()) {
		t.Fatalf("want a realm refusal naming --allow-realm, got %v", err)
	}
	if realm.requests() != 0 {
		t.Fatal("the foreign realm was contacted")
	}
}

func TestRealmAllowedByFlag(t *testing.T) {
	realm := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"token":"bearer-xyz"}`) })
	reg := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer bearer-xyz" {
			v2Header(w)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm.URL+`/token",service="x"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	c := clientFor(t, reg, func(cfg *Config) {
		cfg.Roots.AddCert(realm.Certificate())
		cfg.AllowRealms = []string{realm.host()}
	})
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("allowed realm: %v", err)
	}
	if !realm.sawToken() {
		t.Fatal("the allowed realm should have had the credentials")
	}
}

func TestRealmOnSameHostPlainHTTPIsRefused(t *testing.T) {
	reg := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="http://`+r.Host+`/openshift/token"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	err := clientFor(t, reg).Check(context.Background())
	if CauseOf(err) != CausePolicy || !strings.Contains(err.Error(), "not https") {
		t.Fatalf("want refusal of an http realm, got %v", err)
	}
}

func TestOpenShiftStyleRealmAndDeniedChallenge(t *testing.T) {
	reg := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/openshift/token":
			io.WriteString(w, `{"token":"`+secret+`"}`)
		case r.URL.Path == "/extensions/v2/metrics":
			w.Header().Set("WWW-Authenticate", `Basic realm=openshift,error="access denied"`)
			w.WriteHeader(http.StatusUnauthorized)
		case r.Header.Get("Authorization") == "Bearer "+secret:
			v2Header(w)
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://`+r.Host+`/openshift/token"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	c := clientFor(t, reg)
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("check: %v", err)
	}
	resp, err := c.Get(context.Background(), "/extensions/v2/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !AccessDenied(resp) {
		t.Fatalf("want 401 access denied, got %d %v", resp.StatusCode, resp.Header)
	}
}

func TestPlainHTTPRegistryNeedsInsecure(t *testing.T) {
	reg := newSpy(t, false, func(w http.ResponseWriter, r *http.Request) { v2Header(w) })
	err := clientFor(t, reg).Check(context.Background())
	if CauseOf(err) != CauseNotRegistry || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("want a plain-HTTP refusal, got %v", err)
	}
	if reg.sawToken() {
		t.Fatal("credentials went over plain HTTP")
	}
	if err := clientFor(t, reg, func(c *Config) { c.Insecure = true }).Check(context.Background()); err != nil {
		t.Fatalf("with insecure: %v", err)
	}
}

// c/image follows an upload Location to any host with the credentials;
// Guard stops the request before it leaves the process.
func TestGuardStopsCImageUploadToAnotherOrigin(t *testing.T) {
	other := newSpy(t, false, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	reg := newSpy(t, true, func(w http.ResponseWriter, r *http.Request) {
		v2Header(w)
		switch {
		case r.URL.Path == "/v2/" && r.Header.Get("Authorization") == "":
			w.Header().Set("WWW-Authenticate", `Basic realm=openshift`)
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/v2/":
		case r.Method == http.MethodHead:
			w.WriteHeader(http.StatusNotFound)
		case r.Method == http.MethodPost:
			w.Header().Set("Location", other.URL+"/upload/1")
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	certDir := t.TempDir()
	writeCert(t, filepath.Join(certDir, "ca.crt"), reg.Certificate())
	authFile := filepath.Join(t.TempDir(), "auth.json")
	auth := base64.StdEncoding.EncodeToString([]byte("u:" + secret))
	os.WriteFile(authFile, []byte(`{"auths":{"`+reg.host()+`":{"auth":"`+auth+`"}}}`), 0o600)
	sys := &types.SystemContext{AuthFilePath: authFile, DockerCertPath: certDir, DockerProxy: Guard(reg.host(), false, nil)}
	ref, err := docker.ParseReference("//" + reg.host() + "/p/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	dest, err := ref.NewImageDestination(context.Background(), sys)
	if err != nil {
		t.Fatal(err)
	}
	defer dest.Close()
	_, err = dest.PutBlob(context.Background(), strings.NewReader("x"), types.BlobInfo{Size: 1}, none.NoCache, false)
	var pe *Error
	if err == nil || !errors.As(err, &pe) || pe.Cause != CausePolicy {
		t.Fatalf("want the guard's refusal, got %v", err)
	}
	if other.requests() != 0 || other.sawToken() {
		t.Fatalf("the upload went to the other origin: %v", other.Requests())
	}
	if !reg.sawToken() {
		t.Fatal("the registry itself should have had the credentials")
	}
}

func writeCert(t *testing.T, path string, c *x509.Certificate) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
}
