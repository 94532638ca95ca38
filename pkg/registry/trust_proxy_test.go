package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Through an https:// proxy whose certificate only the system roots
// trust, to a registry only the named CA trusts: Go verifies both
// handshakes with one pool, so the client must give it both. The system
// roots and the proxy settings are read once per process: a child
// process runs the check.
func TestTrustThroughHTTPSProxy(t *testing.T) {
	if os.Getenv("OCR_PROXY_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTrustThroughHTTPSProxy$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "OCR_PROXY_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "public CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, _ := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	system := filepath.Join(t.TempDir(), "system.pem")
	os.WriteFile(system, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)
	t.Setenv("SSL_CERT_FILE", system)
	t.Setenv("SSL_CERT_DIR", t.TempDir())

	reg := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer reg.Close()
	proxy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", reg.Listener.Addr().String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		c, rw, _ := w.(http.Hijacker).Hijack()
		rw.Flush()
		go io.Copy(up, c)
		io.Copy(c, up)
		c.Close()
		up.Close()
	}))
	proxy.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}
	proxy.StartTLS()
	defer proxy.Close()
	t.Setenv("HTTPS_PROXY", proxy.URL)

	_, port, _ := net.SplitHostPort(reg.Listener.Addr().String())
	c, err := New(Config{Host: "example.com:" + port, Roots: NewRoots([]*x509.Certificate{reg.Certificate()})}) // httptest's certificate names example.com
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatalf("registry behind an https:// proxy: %v", err)
	}
}
