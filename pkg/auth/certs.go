package auth

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
)

// CertDir is where podman, skopeo and buildah look for a registry's CA:
// /etc/containers/certs.d for root, ~/.config/containers/certs.d otherwise.
func CertDir() string {
	if os.Geteuid() == 0 {
		return "/etc/containers/certs.d"
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".config", "containers", "certs.d")
}

// InstallCA writes caPEM as DIR/HOST/ca.crt after checking it holds at least
// one certificate. It returns the path.
func InstallCA(dir, host string, caPEM []byte) (string, error) {
	if _, err := ParseCerts(caPEM); err != nil {
		return "", err
	}
	d := filepath.Join(dir, host)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", d, err)
	}
	p := filepath.Join(d, "ca.crt")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, caPEM, 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", p, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return "", fmt.Errorf("writing %s: %w", p, err)
	}
	return p, nil
}

// ParseCerts decodes every certificate in a PEM bundle.
func ParseCerts(caPEM []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := caPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing CA certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no certificate in the CA bundle")
	}
	return certs, nil
}
