package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

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
	if _, err := f.Store(context.Background(), "reg:5000", "alice", "tok"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), "quay.io") || !strings.Contains(string(b), "reg:5000") {
		t.Fatalf("entries: %s", b)
	}
	if u, ok := f.Get("reg:5000"); !ok || u != "alice" {
		t.Fatalf("Get: %q %v", u, ok)
	}
	if removed, err := f.Remove(context.Background(), "reg:5000"); err != nil || !removed {
		t.Fatalf("Remove: %v %v", removed, err)
	}
	os.WriteFile(p, []byte("{broken"), 0o600)
	if _, err := f.Store(context.Background(), "reg:5000", "alice", "tok"); err == nil || !strings.Contains(err.Error(), p) {
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
