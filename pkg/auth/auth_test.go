package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const good = "good-token"

// fakeRegistry answers like OpenShift's registry: a Bearer challenge, a
// token realm taking Basic credentials, and /v2/ with the bearer token.
func fakeRegistry(t *testing.T, scheme string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		switch r.URL.Path {
		case "/openshift/token":
			if _, p, ok := r.BasicAuth(); !ok || p != good {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			json.NewEncoder(w).Encode(map[string]string{"token": good})
		case "/v2/":
			_, p, basic := r.BasicAuth()
			switch {
			case scheme == "basic" && basic && p == good, r.Header.Get("Authorization") == "Bearer "+good:
				w.WriteHeader(http.StatusOK)
			case scheme == "basic":
				w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
				w.WriteHeader(http.StatusUnauthorized)
			default:
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/openshift/token",service="reg"`, srv.URL))
				w.WriteHeader(http.StatusUnauthorized)
			}
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func checkerFor(srv *httptest.Server) *Checker {
	return &Checker{Client: srv.Client()}
}

func host(srv *httptest.Server) string { return strings.TrimPrefix(srv.URL, "https://") }

func cause(err error) string {
	var ce *CheckError
	if errors.As(err, &ce) {
		return ce.Cause
	}
	if err == nil {
		return "ok"
	}
	return "other: " + err.Error()
}

func TestCheck(t *testing.T) {
	bearer := fakeRegistry(t, "bearer")
	basic := fakeRegistry(t, "basic")
	notReg := httptest.NewTLSServer(http.NotFoundHandler())
	defer notReg.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name    string
		checker *Checker
		host    string
		token   string
		want    string
	}{
		{"bearer flow", checkerFor(bearer), host(bearer), good, "ok"},
		{"bearer flow, bad token", checkerFor(bearer), host(bearer), "bad", CauseUnauthorized},
		{"basic", checkerFor(basic), host(basic), good, "ok"},
		{"basic, bad token", checkerFor(basic), host(basic), "bad", CauseUnauthorized},
		{"untrusted certificate", NewChecker(nil, false, 2*time.Second), host(bearer), good, CauseTLS},
		{"insecure skips verification", NewChecker(nil, true, 2*time.Second), host(bearer), good, "ok"},
		{"nothing listening", NewChecker(nil, false, 2*time.Second), dead, good, CauseUnreachable},
		{"not a registry", checkerFor(notReg), host(notReg), good, CauseNotRegistry},
	}
	for _, tt := range tests {
		err := tt.checker.Check(context.Background(), tt.host, "anyone", tt.token)
		if got := cause(err); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), tt.token) {
			t.Errorf("%s: token in error: %v", tt.name, err)
		}
	}
}

func TestParseChallenge(t *testing.T) {
	s, p := parseChallenge(`Bearer realm="https://r/openshift/token",service="x, y",scope=repo`)
	if s != "bearer" || p["realm"] != "https://r/openshift/token" || p["service"] != "x, y" || p["scope"] != "repo" {
		t.Fatalf("got %q %v", s, p)
	}
	if s, _ := parseChallenge(`Basic realm="registry"`); s != "basic" {
		t.Fatalf("basic: %q", s)
	}
}

func TestUsernames(t *testing.T) {
	for in, want := range map[string]string{
		"kube:admin/api-example-com:6443": "kube-admin",
		"alice":                           "alice",
		"system:admin":                    "system-admin",
		"":                                "oc-registry",
		":::":                             "oc-registry",
	} {
		if got := DeriveUsername(in); got != want {
			t.Errorf("DeriveUsername(%q) = %q, want %q", in, got, want)
		}
		if err := ValidateUsername(DeriveUsername(in)); err != nil {
			t.Errorf("derived name %q is invalid: %v", DeriveUsername(in), err)
		}
	}
	if err := ValidateUsername("a:b"); err == nil || !strings.Contains(err.Error(), "first colon") {
		t.Errorf("colon: %v", err)
	}
}

func TestBearerTokenFromFileAndNone(t *testing.T) {
	p := filepath.Join(t.TempDir(), "token")
	os.WriteFile(p, []byte("from-file\n"), 0o600)
	tok, err := BearerToken(&rest.Config{Host: "https://x", BearerTokenFile: p})
	if err != nil || tok != "from-file" {
		t.Fatalf("token file: %q %v", tok, err)
	}
	if _, err := BearerToken(&rest.Config{Host: "https://x"}); !errors.Is(err, ErrNoToken) {
		t.Fatalf("no token: %v", err)
	}
}

func TestJWTExpiry(t *testing.T) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1700000000}`))
	exp, ok := JWTExpiry("h." + payload + ".s")
	if !ok || exp.Unix() != 1700000000 {
		t.Fatalf("got %v %v", exp, ok)
	}
	if _, ok := JWTExpiry("sha256~opaque"); ok {
		t.Fatal("opaque token has no expiry")
	}
}

func TestStoreKeepsOtherEntriesAndRefusesCorruptFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(p, []byte(`{"auths":{"quay.io":{"auth":"dXNlcjpwYXNz"}}}`), 0o600)
	f := AuthFile{Path: p}
	if _, err := f.Store("reg:5000", "alice", "tok"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), "quay.io") || !strings.Contains(string(b), "reg:5000") {
		t.Fatalf("entries: %s", b)
	}
	if u, ok := f.Get("reg:5000"); !ok || u != "alice" {
		t.Fatalf("Get: %q %v", u, ok)
	}
	if removed, err := f.Remove("reg:5000"); err != nil || !removed {
		t.Fatalf("Remove: %v %v", removed, err)
	}
	os.WriteFile(p, []byte("{broken"), 0o600)
	if _, err := f.Store("reg:5000", "alice", "tok"); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("corrupt file: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "{broken" {
		t.Fatalf("corrupt file changed: %s", b)
	}
}

// An exec credential plugin (as OIDC and cloud logins use) runs in-process
// through client-go; its token is what login stores.
func TestBearerTokenFromExecPlugin(t *testing.T) {
	cred := `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}`
	cfg := &rest.Config{Host: "https://x", ExecProvider: &clientcmdapi.ExecConfig{
		APIVersion:      "client.authentication.k8s.io/v1",
		Command:         "/bin/sh",
		Args:            []string{"-c", "echo '" + cred + "'"},
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}}
	tok, err := BearerToken(cfg)
	if err != nil || tok != "from-plugin" {
		t.Fatalf("exec plugin: %q %v", tok, err)
	}
	cfg.ExecProvider.Args = []string{"-c", "exit 3"}
	if _, err := BearerToken(cfg); err == nil || !strings.Contains(err.Error(), "credential plugin") {
		t.Fatalf("failing plugin: %v", err)
	}
}
