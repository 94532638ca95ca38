package auth

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/oc-registry/oc-registry/pkg/registry"
)

// SystemCertDir is the only directory root's podman and skopeo read
// registry CAs from (besides /etc/docker/certs.d).
const SystemCertDir = "/etc/containers/certs.d"

// UserCertDir is where rootless podman and skopeo look for a registry's CA.
func UserCertDir() (string, error) {
	home, err := Home()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".config", "containers", "certs.d"), nil
}

// OwnCertDir keeps CAs that only oc-registry reads: where root's login puts
// a CA when it may not write the system directory.
func OwnCertDir() (string, error) {
	dir, err := configDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "oc-registry", "certs.d"), nil
}

// Home is the user's home directory; an unknown home is an error rather
// than the current directory.
func Home() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || !filepath.IsAbs(home) {
		return "", errors.New("cannot tell your home directory: set HOME")
	}
	return home, nil
}

func configDir() (string, error) {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home, err := Home()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".config"), nil
}

// HostCertDir is the directory of host's CA files under dir. dir may be a
// base directory holding HOST/ca.crt (ours and c/image's --cert-dir for
// many hosts), or, as podman's and skopeo's --cert-dir, the directory of one
// host: it is taken as that when it holds .crt files itself or is named
// after the host.
func HostCertDir(dir, host string) (string, error) {
	if crts, _ := filepath.Glob(filepath.Join(dir, "*.crt")); len(crts) > 0 || filepath.Base(filepath.Clean(dir)) == host {
		return dir, nil
	}
	p, err := registry.CertFile(dir, host, "ca.crt")
	if err != nil {
		return "", err
	}
	return filepath.Dir(p), nil
}

// InstalledCA is a CA file login wrote, and the top directory it created
// for it, so that logout removes exactly that.
type InstalledCA struct {
	Path       string `json:"path"`
	CreatedDir string `json:"createdDir,omitempty"`
}

// InstallCA writes caPEM into hostDir as ca.crt, or as oc-registry.crt
// when a different ca.crt is there already (podman reads every .crt). It
// returns nil when the same CA is there already: nothing was installed.
func InstallCA(hostDir string, caPEM []byte) (*InstalledCA, error) {
	if _, err := ParseCerts(caPEM); err != nil {
		return nil, err
	}
	created := firstMissing(hostDir)
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", hostDir, err)
	}
	var p string
	for _, name := range []string{"ca.crt", "oc-registry.crt"} {
		p = filepath.Join(hostDir, name)
		old, err := os.ReadFile(p)
		if err == nil && bytes.Equal(old, caPEM) {
			return nil, nil
		}
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if name == "oc-registry.crt" && err == nil {
			break // our own file from an earlier login: replace it
		}
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, caPEM, 0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %w", p, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("writing %s: %w", p, err)
	}
	return &InstalledCA{Path: p, CreatedDir: created}, nil
}

// Remove deletes the CA file and the directories login created for it,
// when they are empty.
func (c InstalledCA) Remove() error {
	base := filepath.Base(c.Path)
	if base != "ca.crt" && base != "oc-registry.crt" {
		return fmt.Errorf("refusing to remove %s: not a CA file oc-registry writes", c.Path)
	}
	if err := os.Remove(c.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if c.CreatedDir == "" {
		return nil
	}
	for d := filepath.Dir(c.Path); ; d = filepath.Dir(d) {
		if os.Remove(d) != nil || d == c.CreatedDir || len(d) <= len(c.CreatedDir) {
			return nil
		}
	}
}

// firstMissing is the top-most directory of path that does not exist yet.
func firstMissing(path string) string {
	missing := ""
	for d := filepath.Clean(path); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			return missing
		}
		missing = d
		if d == filepath.Dir(d) {
			return missing
		}
	}
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

// TrustPool is the certificates in the PEM bundles. The registry client
// adds the system roots itself, for a host these do not verify. Empty
// bundles are skipped; a bundle without a certificate is an error.
func TrustPool(bundles ...[]byte) (*x509.CertPool, error) {
	certs, err := parseBundles(bundles)
	if err != nil {
		return nil, err
	}
	return registry.NewRoots(certs), nil
}

// parseBundles is every certificate of the non-empty bundles.
func parseBundles(bundles [][]byte) ([]*x509.Certificate, error) {
	var all []*x509.Certificate
	for _, b := range bundles {
		if len(b) == 0 {
			continue
		}
		certs, err := ParseCerts(b)
		if err != nil {
			return nil, err
		}
		all = append(all, certs...)
	}
	return all, nil
}

// InstalledCAs returns the CA files podman and skopeo use for host, joined:
// the .crt files of certPath (one host's directory) or of perHostDir/HOST,
// or, when both are "", of the directories c/image searches for this user.
func InstalledCAs(host, certPath, perHostDir string) []byte {
	var dirs []string
	switch {
	case certPath != "":
		dirs = []string{certPath}
	case perHostDir != "":
		if d, err := HostCertDir(perHostDir, host); err == nil {
			dirs = []string{d}
		}
	default:
		if registry.ValidateHost(host, "") != nil {
			return nil
		}
		bases := []string{SystemCertDir, "/etc/docker/certs.d"}
		if os.Geteuid() != 0 {
			if d, err := UserCertDir(); err == nil {
				bases = append([]string{d}, bases...)
			}
		}
		for _, b := range bases {
			dirs = append(dirs, filepath.Join(b, host))
		}
	}
	var out []byte
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, "*.crt"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				out = append(append(out, b...), '\n')
			}
		}
	}
	return out
}

// RecordedCA is the CA file login recorded for host, or "".
func RecordedCA(host string) string {
	rec, err := LoadRecord()
	if err != nil {
		return ""
	}
	return rec.CAs[host].Path
}

// TrustFor is what our own commands trust for host, besides the system
// roots the registry client falls back to: the CA files c/image would read, and the CA login recorded for host wherever
// it was put, and the extra bundles. A bad bundle on disk is skipped, as
// c/image fails on it itself; a bad extra bundle is an error.
func TrustFor(host, certPath, perHostDir string, extra ...[]byte) (*x509.CertPool, error) {
	bundles := [][]byte{InstalledCAs(host, certPath, perHostDir)}
	if p := RecordedCA(host); p != "" {
		if b, err := os.ReadFile(p); err == nil {
			bundles = append(bundles, b)
		}
	}
	certs, err := parseBundles(bundles)
	if err != nil {
		certs = nil // a bad file on disk: c/image fails on it itself
	}
	more, err := parseBundles(extra)
	if err != nil {
		return nil, err
	}
	return registry.NewRoots(append(certs, more...)), nil
}
