package auth

import (
	"net/http"
	"net/url"

	"context"
	"fmt"
	"k8s.io/client-go/rest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPushIdentity(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("REGISTRY_AUTH_FILE", "")
	ctx := context.Background()
	const host, server, other = "registry.example:5000", "https://api.example:6443", "https://api.elsewhere:6443"
	store := func(token string) AuthFile {
		t.Helper()
		f := AuthFile{Path: filepath.Join(t.TempDir(), "auth.json")}
		if _, err := f.Store(ctx, host, "robot", token); err != nil {
			t.Fatal(err)
		}
		return f
	}
	ours, theirs, foreign := store("sha256~ours"), store("sha256~theirs"), store("a-password")
	if err := UpdateRecord(ctx, func(r *Record) {
		r.NoteIssuer("sha256~ours", server)
		r.NoteIssuer("sha256~theirs", other)
	}); err != nil {
		t.Fatal(err)
	}
	if id := PushIdentity(ours, host, server); id.Token != "sha256~ours" || id.Skip != "" {
		t.Errorf("a token login recorded for this server: %+v", id)
	}
	if id := PushIdentity(theirs, host, server); id.Token != "" || !strings.Contains(id.Skip, "another cluster") {
		t.Errorf("a token of another cluster must not be sent here: %+v", id)
	}
	if id := PushIdentity(foreign, host, server); id.Token != "" || !strings.Contains(id.Skip, "not stored by login") {
		t.Errorf("a password: %+v", id)
	}
	if id := PushIdentity(AuthFile{Path: filepath.Join(t.TempDir(), "none.json")}, host, server); id != (Identity{}) {
		t.Errorf("no entry: %+v, want the kubeconfig's user", id)
	}
	p, _ := RecordPath()
	b, _ := os.ReadFile(p)
	if strings.Contains(string(b), "sha256~ours") {
		t.Fatal("the login record holds a token")
	}
}

func TestIssuersAreBounded(t *testing.T) {
	r := &Record{Issuers: map[string]Issuer{}}
	old := time.Now().Add(-time.Hour)
	for i := 0; i < maxIssuers+9; i++ {
		r.Issuers[tokenKey(fmt.Sprintf("token-%d", i))] = Issuer{Server: "https://api:6443", At: old.Add(time.Duration(i) * time.Second)}
	}
	r.NoteIssuer(fmt.Sprintf("token-%d", maxIssuers+9), "https://api:6443")
	if len(r.Issuers) != maxIssuers || r.IssuerOf("token-0") != "" || r.IssuerOf(fmt.Sprintf("token-%d", maxIssuers+9)) == "" {
		t.Fatalf("%d issuers kept; the oldest should go first", len(r.Issuers))
	}
}

// The same URL reached another way (another CA, a proxy, no TLS check) is
// not the server that issued the token.
func TestServerIdentity(t *testing.T) {
	base := func() *rest.Config {
		return &rest.Config{Host: "https://api.example:6443", TLSClientConfig: rest.TLSClientConfig{CAData: []byte("ca one")}}
	}
	id := ServerIdentity(base())
	if id == "" || id != ServerIdentity(base()) || serverURL(id) != "https://api.example:6443" {
		t.Fatalf("identity %q is not stable", id)
	}
	otherCA := base()
	otherCA.CAData = []byte("ca two")
	proxied := base()
	proxied.Proxy = func(*http.Request) (*url.URL, error) { return url.Parse("http://127.0.0.1:3128") }
	named := base()
	named.ServerName = "elsewhere.example"
	for name, cfg := range map[string]*rest.Config{"another CA": otherCA, "a proxy": proxied, "another server name": named} {
		if got := ServerIdentity(cfg); got == id || got == "" {
			t.Errorf("%s: identity %q, want one different from %q", name, got, id)
		}
	}
	insecure := base()
	insecure.Insecure, insecure.CAData = true, nil
	if got := ServerIdentity(insecure); got != "" {
		t.Errorf("a kubeconfig that skips TLS verification got identity %q", got)
	}
}

func TestPushIdentityReachedDifferently(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ctx := context.Background()
	f := AuthFile{Path: filepath.Join(t.TempDir(), "auth.json")}
	if _, err := f.Store(ctx, "registry.example:5000", "robot", "sha256~robot"); err != nil {
		t.Fatal(err)
	}
	UpdateRecord(ctx, func(r *Record) { r.NoteIssuer("sha256~robot", "https://api.example:6443#aaaa") })
	if id := PushIdentity(f, "registry.example:5000", "https://api.example:6443#bbbb"); id.Token != "" || !strings.Contains(id.Skip, "changed since") {
		t.Errorf("same URL, another CA or proxy: %+v", id)
	}
	if id := PushIdentity(f, "registry.example:5000", ""); id.Token != "" || !strings.Contains(id.Skip, "does not verify") {
		t.Errorf("insecure kubeconfig: %+v", id)
	}
}
