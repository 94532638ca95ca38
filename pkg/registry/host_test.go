package registry

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateHost(t *testing.T) {
	good := []string{"localhost", "localhost:5000", "image-registry.openshift-image-registry.svc:5000",
		"default-route-openshift-image-registry.apps.example.com", "127.0.0.1:15000", "[::1]:5000", "a", "A-b.c"}
	for _, h := range good {
		if err := ValidateHost(h, "test"); err != nil {
			t.Errorf("%q: %v", h, err)
		}
	}
	bad := []string{"", ".", "..", "../../../../tmp/x", "/leading", "a/b", "user@host", "host?x", "host#x",
		"host name", "host\n", "host\x00", "-host", "host-", "a..b", "host:", "host:0", "host:65536", "host:port",
		"https://host", "[::g]:5000", "[]", strings.Repeat("a", 256), "host:5000:6000", "ho%2fst", `a\b`}
	for _, h := range bad {
		err := ValidateHost(h, "route openshift-image-registry/default-route")
		if err == nil {
			t.Errorf("%q: accepted", h)
			continue
		}
		if !strings.Contains(err.Error(), "from route openshift-image-registry/default-route") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error should be one line naming the object: %v", h, err)
		}
	}
}

func TestCertFileStaysInDir(t *testing.T) {
	dir := t.TempDir()
	p, err := CertFile(dir, "reg.example.com:5000", "ca.crt")
	if err != nil || p != filepath.Join(dir, "reg.example.com:5000", "ca.crt") {
		t.Fatalf("%q %v", p, err)
	}
	for _, h := range []string{"..", "../x", ".", ""} {
		if _, err := CertFile(dir, h, "ca.crt"); err == nil {
			t.Errorf("%q: accepted", h)
		}
	}
}

func TestRedactWholeTokens(t *testing.T) {
	cases := []struct{ in, secret, want string }{
		{"Authorization: Bearer abc123XYZ failed", "abc123XYZ", "Authorization: Bearer <redacted> failed"},
		{"digest sha256:0429ab and token 429", "429", "digest sha256:0429ab and token <redacted>"},
		{"password=hunter2.", "hunter2", "password=hunter2."}, // "hunter2." is a longer token-shaped run
		{"x:hunter2 y", "hunter2", "x:<redacted> y"},
		{"nothing here", "", "nothing here"},
	}
	for _, c := range cases {
		if got := Redact(c.in, c.secret); got != c.want {
			t.Errorf("Redact(%q, %q) = %q, want %q", c.in, c.secret, got, c.want)
		}
	}
}

func FuzzValidateHost(f *testing.F) {
	for _, s := range []string{"localhost:5000", "..", "a/b", "[::1]:1", "x.y.z", "host:99999", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if ValidateHost(h, "fuzz") != nil {
			return
		}
		// Whatever passes is safe as a path element and a URL host.
		if strings.ContainsAny(h, "/\\@?# \t\n") || h == "." || h == ".." {
			t.Fatalf("accepted %q", h)
		}
		dir := t.TempDir()
		p, err := CertFile(dir, h, "ca.crt")
		if err != nil {
			t.Fatalf("valid host %q has no cert path: %v", h, err)
		}
		if filepath.Dir(filepath.Dir(p)) != dir {
			t.Fatalf("%q escapes: %s", h, p)
		}
	})
}

func TestNormalizeHostRefusesPlainHTTP(t *testing.T) {
	if _, err := NormalizeHost("http://reg:5000", "--registry"); err == nil || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("http:// accepted: %v", err)
	}
	if h, err := NormalizeHost("https://reg:5000/", "--registry"); err != nil || h != "reg:5000" {
		t.Fatalf("https:// form: %q %v", h, err)
	}
}
