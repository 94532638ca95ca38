package auth

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
)

// Record remembers which files login wrote for each host, so that logout
// can clean all of them. It holds paths only, never credentials.
type Record struct {
	path  string
	Hosts map[string][]AuthFile `json:"hosts"`
	// Servers maps an API server URL to the registry host last logged in
	// to for it, so push and tag use that host without asking the cluster.
	Servers map[string]string `json:"servers,omitempty"`
	// CAs is the CA file login installed for each host: our commands
	// trust it, and logout removes it.
	CAs map[string]InstalledCA `json:"cas,omitempty"`
	// Issuers maps the SHA-256 of each token login stored to the API
	// server that issued it, so that push's permission check asks that
	// server, and only that one, about the token's identity.
	Issuers map[string]Issuer `json:"issuers,omitempty"`
}

// RecordPath is $XDG_CONFIG_HOME/oc-registry/logins.json.
func RecordPath() (string, error) {
	dir, err := configDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "oc-registry", "logins.json"), nil
}

// LoadRecord reads the record; a missing file is an empty record.
func LoadRecord() (*Record, error) {
	path, err := RecordPath()
	if err != nil {
		return nil, err
	}
	r := &Record{path: path, Hosts: map[string][]AuthFile{}, Servers: map[string]string{}, CAs: map[string]InstalledCA{}}
	b, err := os.ReadFile(r.path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, r); err != nil || r.Hosts == nil {
		r.Hosts = map[string][]AuthFile{}
	}
	if r.Servers == nil {
		r.Servers = map[string]string{}
	}
	if r.CAs == nil {
		r.CAs = map[string]InstalledCA{}
	}
	return r, nil
}

// Update changes the record under a lock, so parallel logins keep each
// other's entries.
func UpdateRecord(ctx context.Context, f func(r *Record)) error {
	path, err := RecordPath()
	if err != nil {
		return err
	}
	unlock, err := lockFor(ctx, path)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := LoadRecord()
	if err != nil {
		return err
	}
	f(r)
	b, _ := json.MarshalIndent(r, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Add notes that f holds credentials for host.
func (r *Record) Add(host string, f AuthFile) {
	if !slices.Contains(r.Hosts[host], f) {
		r.Hosts[host] = append(r.Hosts[host], f)
	}
}
