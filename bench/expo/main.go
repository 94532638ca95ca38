// Command expo serves a generated Prometheus exposition over TLS at
// /extensions/v2/metrics, for bench/metrics.sh. It writes its CA to the
// file given and prints its address.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/oc-registry/oc-registry/pkg/metrics"
)

func main() {
	series := flag.Int("series", 50000, "series in the exposition")
	caOut := flag.String("ca", "", "write the serving certificate (its own CA) here")
	flag.Parse()
	var body bytes.Buffer
	if err := metrics.GenerateExposition(&body, *series); err != nil {
		log.Fatal(err)
	}
	cert, pemCert := selfSigned()
	if err := os.WriteFile(*caOut, pemCert, 0o644); err != nil {
		log.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Addr().String())
	os.Stdout.Close()
	b := body.Bytes()
	log.Fatal(http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/extensions/v2/metrics" {
			http.NotFound(w, r)
			return
		}
		if _, p, ok := r.BasicAuth(); !ok || p != "bench-token" {
			w.Header().Set("WWW-Authenticate", `Basic realm=openshift,error="access denied"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write(b)
	})))
}

func selfSigned() (tls.Certificate, []byte) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kb, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, _ := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
	return cert, certPEM
}
