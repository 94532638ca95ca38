package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"
)

type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// writePKI makes the cluster CA, serving certificates, the service-account
// key pair, the static token file and one kubeconfig per user.
func writePKI(p *paths) (map[string]string, error) {
	c, err := newCA(p)
	if err != nil {
		return nil, err
	}
	serving := map[string][]string{
		"apiserver": {"127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		// The service CA's certificate: the internal names only. The route
		// host gets the ingress certificate below.
		"registry": {"127.0.0.1", "image-registry.openshift-image-registry.svc", "image-registry.openshift-image-registry.svc.cluster.local"},
		"kwok":     {"127.0.0.1", "localhost"},
	}
	for name, hosts := range serving {
		if err := c.issue(p, name, hosts); err != nil {
			return nil, err
		}
	}
	// The ingress CA (OpenShift's self-signed default: the router's
	// wildcard certificate, its CA published in
	// openshift-config-managed/default-ingress-cert), a CA of its own.
	ing, err := newCAAt(p, "ingress-ca.crt", "ingress-operator@local")
	if err != nil {
		return nil, err
	}
	if err := ing.issue(p, "ingress", []string{"localhost"}); err != nil {
		return nil, err
	}
	sa, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pub, _ := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	if err := writePEM(p.s("sa.key"), "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(sa)); err != nil {
		return nil, err
	}
	if err := writePEM(p.s("sa.pub"), "PUBLIC KEY", pub); err != nil {
		return nil, err
	}

	tokens := map[string]string{}
	var csv strings.Builder
	for i, u := range users {
		buf := make([]byte, 24)
		rand.Read(buf)
		tok := hex.EncodeToString(buf)
		tokens[u.name] = tok
		fmt.Fprintf(&csv, "%s,%s,uid-%d-%s", tok, u.name, i, u.name)
		if len(u.groups) > 0 {
			fmt.Fprintf(&csv, ",\"%s\"", strings.Join(u.groups, ","))
		}
		csv.WriteString("\n")
		if err := writeKubeconfig(p, u.name, tok); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(p.s("tokens.csv"), []byte(csv.String()), 0o600); err != nil {
		return nil, err
	}
	return tokens, nil
}

func newCA(p *paths) (*ca, error) { return newCAAt(p, "ca.crt", "oc-registry local cluster CA") }

func newCAAt(p *paths, file, cn string) (*ca, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(3650 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	if err := writePEM(p.s(file), "CERTIFICATE", der); err != nil {
		return nil, err
	}
	return &ca{cert: cert, key: key}, nil
}

func (c *ca) issue(p *paths, name string, hosts []string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(p.s(name+".crt"), "CERTIFICATE", der); err != nil {
		return err
	}
	return writePEM(p.s(name+".key"), "EC PRIVATE KEY", kb)
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

func writeKubeconfig(p *paths, user, token string) error {
	caPEM, err := os.ReadFile(p.s("ca.crt"))
	if err != nil {
		return err
	}
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:%d
    certificate-authority-data: %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: %s@local
  context:
    cluster: local
    user: %s
    namespace: default
current-context: %s@local
`, apiserverPort, b64(caPEM), user, token, user, user, user)
	return os.WriteFile(p.s("kubeconfig-"+user), []byte(cfg), 0o600)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
