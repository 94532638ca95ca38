package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func testCA(t *testing.T, name string) []byte {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, IsCA: true,
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// tree lists every path under dir with its content, to compare before and after.
func tree(t *testing.T, dir string) string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b, _ := os.ReadFile(p)
		out = append(out, p+"="+string(b))
		return nil
	})
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func TestInstallCAThenRemoveLeavesTheTreeAsBefore(t *testing.T) {
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "other.example.com"), 0o755)
	os.WriteFile(filepath.Join(base, "other.example.com", "ca.crt"), testCA(t, "other"), 0o644)
	before := tree(t, base)
	dir, err := HostCertDir(base, "reg.example.com:5000")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := InstallCA(dir, testCA(t, "reg"))
	if err != nil || inst == nil || inst.Path != filepath.Join(base, "reg.example.com:5000", "ca.crt") {
		t.Fatalf("install: %+v %v", inst, err)
	}
	if err := inst.Remove(); err != nil {
		t.Fatal(err)
	}
	if after := tree(t, base); after != before {
		t.Fatalf("tree changed:\n%s\n---\n%s", before, after)
	}
}

func TestInstallCAKeepsAnotherCA(t *testing.T) {
	dir := t.TempDir()
	theirs := testCA(t, "theirs")
	os.WriteFile(filepath.Join(dir, "ca.crt"), theirs, 0o644)
	ours := testCA(t, "ours")
	inst, err := InstallCA(dir, ours)
	if err != nil || filepath.Base(inst.Path) != "oc-registry.crt" {
		t.Fatalf("%+v %v", inst, err)
	}
	if again, err := InstallCA(dir, ours); err != nil || again != nil {
		t.Fatalf("the same CA twice should install nothing: %+v %v", again, err)
	}
	inst.Remove()
	if b, _ := os.ReadFile(filepath.Join(dir, "ca.crt")); string(b) != string(theirs) {
		t.Fatal("their ca.crt was touched")
	}
	if _, err := InstallCA(dir, []byte("not a cert")); err == nil {
		t.Fatal("garbage accepted as a CA")
	}
}

func TestHostCertDirTakesPodmansForm(t *testing.T) {
	perHost := t.TempDir()
	os.WriteFile(filepath.Join(perHost, "ca.crt"), testCA(t, "x"), 0o644)
	if d, err := HostCertDir(perHost, "reg:5000"); err != nil || d != perHost {
		t.Fatalf("podman form: %q %v", d, err)
	}
	base := t.TempDir()
	if d, err := HostCertDir(base, "reg:5000"); err != nil || d != filepath.Join(base, "reg:5000") {
		t.Fatalf("base form: %q %v", d, err)
	}
	if _, err := HostCertDir(base, "../x"); err == nil {
		t.Fatal("escaping host accepted")
	}
}

func TestLockWaitEndsOnCancel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(p, []byte(`{"auths":{}}`), 0o600)
	lf, _ := os.OpenFile(p+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	defer lf.Close()
	if ok, err := tryLock(lf); !ok || err != nil {
		t.Fatal("taking the lock:", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := AuthFile{Path: p}.Store(ctx, "reg:5000", "u", "tok")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("want the wait to end with the context, got %v after %s", err, time.Since(start))
	}
	if b, _ := os.ReadFile(p); string(b) != `{"auths":{}}` {
		t.Fatalf("file changed: %s", b)
	}
}

// A credential helper in registries.conf would take the token while the
// output named the file; -a FILE writes the file.
func TestNamedFileBypassesCredentialHelper(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "registries.conf")
	os.WriteFile(conf, []byte(`credential_helpers = ["no-such-helper-xyz"]`+"\n"), 0o644)
	t.Setenv("CONTAINERS_REGISTRIES_CONF", conf)
	p := filepath.Join(t.TempDir(), "auth.json")
	where, err := AuthFile{Path: p}.Store(context.Background(), "reg:5000", "u", "tok")
	if err != nil || where != p {
		t.Fatalf("store: %q %v", where, err)
	}
	if b, _ := os.ReadFile(p); !strings.Contains(string(b), "reg:5000") {
		t.Fatalf("file not written: %s", b)
	}
}

func TestStoreRefusesBadHost(t *testing.T) {
	p := filepath.Join(t.TempDir(), "auth.json")
	if _, err := (AuthFile{Path: p}).Store(context.Background(), "../../x", "u", "tok"); err == nil {
		t.Fatal("bad host stored")
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("file written for a bad host")
	}
}

func TestUnknownHomeIsAnError(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	if _, err := RecordPath(); err == nil {
		t.Fatal("no home, yet a record path")
	}
	if _, err := UserCertDir(); err == nil {
		t.Fatal("no home, yet a certs dir")
	}
}

// --cert-dir DIR/HOST, as login's own note suggests, is the host's
// directory, not a base to nest HOST in again.
func TestHostCertDirNamedAfterTheHost(t *testing.T) {
	d := filepath.Join(t.TempDir(), "reg:5000")
	if got, err := HostCertDir(d, "reg:5000"); err != nil || got != d {
		t.Fatalf("got %q %v", got, err)
	}
}

// A relative -a is recorded absolute: logout may run elsewhere.
func TestResolveMakesRelativePathsAbsolute(t *testing.T) {
	t.Chdir(t.TempDir())
	if p := (AuthFile{Path: "rel.json"}).Resolve(); !filepath.IsAbs(p) || filepath.Base(p) != "rel.json" {
		t.Fatalf("got %q", p)
	}
}
