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

// TrustPool is the system roots plus the certificates in the PEM bundles.
// Empty bundles are skipped; a bundle without a certificate is an error.
func TrustPool(bundles ...[]byte) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, b := range bundles {
		if len(b) == 0 {
			continue
		}
		certs, err := ParseCerts(b)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return pool, nil
}

// InstalledCAs returns the CA files podman and skopeo use for host, joined:
// DIR/HOST/*.crt, or, when dir is "", the same under the user's and the
// system's certs.d directories (as c/image looks them up).
func InstalledCAs(host, dir string) []byte {
	dirs := []string{dir}
	if dir == "" {
		dirs = []string{"/etc/containers/certs.d", "/etc/docker/certs.d"}
		if home, err := os.UserHomeDir(); err == nil {
			dirs = append([]string{filepath.Join(home, ".config", "containers", "certs.d")}, dirs...)
		}
	}
	var out []byte
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, host, "*.crt"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				out = append(append(out, b...), '\n')
			}
		}
	}
	return out
}
