package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func pingOK(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }

// otherCA is a pool holding one fresh CA that signed nothing the test
// servers present (httptest servers all share one certificate).
func otherCA(t *testing.T) *x509.CertPool {
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
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

func fallbackOf(t *testing.T, c *Client) *trustFallback {
	t.Helper()
	tf, ok := c.http.Transport.(*trustFallback)
	if !ok {
		t.Fatalf("transport is %T, want the named-CA-first transport", c.http.Transport)
	}
	return tf
}

// A host the named CAs verify never needs the system roots.
func TestTrustNamedCAFirst(t *testing.T) {
	reg := newSpy(t, true, pingOK)
	c := clientFor(t, reg)
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, used := fallbackOf(t, c).hosts.Load(reg.host()); used {
		t.Error("the system roots were consulted for a host the named CA verifies")
	}
}

// A host neither the named CAs nor the system roots verify is refused,
// and the error is the system verifier's.
func TestTrustUnknownCARefused(t *testing.T) {
	reg := newSpy(t, true, pingOK)
	c := clientFor(t, reg, func(cfg *Config) { cfg.Roots = otherCA(t) })
	_, err := c.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Fatalf("want an unknown-authority error, got %v", err)
	}
	if reg.requests() != 0 {
		t.Errorf("the untrusted registry saw %d requests", reg.requests())
	}
	if reg.sawToken() {
		t.Error("the token reached an untrusted host")
	}
}

// A host only the system roots verify is reached through them. The system
// roots are read once per process, so the check runs in a child process
// whose SSL_CERT_FILE holds the test server's CA.
func TestTrustFallsBackToSystemRoots(t *testing.T) {
	if os.Getenv("OCR_TRUST_CHILD") == "1" {
		reg := newSpy(t, true, pingOK)
		file := filepath.Join(t.TempDir(), "system.pem")
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: reg.Certificate().Raw})
		if err := os.WriteFile(file, pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("SSL_CERT_FILE", file)
		t.Setenv("SSL_CERT_DIR", t.TempDir())
		c := clientFor(t, reg, func(cfg *Config) { cfg.Roots = otherCA(t) })
		if _, err := c.Ping(context.Background()); err != nil {
			t.Fatalf("a host the system roots verify was refused: %v", err)
		}
		if _, used := fallbackOf(t, c).hosts.Load(reg.host()); !used {
			t.Fatal("the host is not marked as verified by the system roots")
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTrustFallsBackToSystemRoots$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "OCR_TRUST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// Without named CAs, or with TLS checks off, there is one plain transport.
func TestTrustNoNamedCAs(t *testing.T) {
	for _, cfg := range []Config{{Host: "r.example:5000"}, {Host: "r.example:5000", Roots: x509.NewCertPool()}, {Host: "r.example:5000", Roots: x509.NewCertPool(), Insecure: true}} {
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.http.Transport.(*http.Transport); !ok {
			t.Errorf("%+v: transport is %T", cfg, c.http.Transport)
		}
	}
}
