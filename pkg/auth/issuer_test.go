package auth

import (
	"context"
	"fmt"
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
