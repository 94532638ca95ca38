package image

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/types"
)

// mounter asks the registry to link blobs from one repository into another
// (POST .../blobs/uploads/?mount=DIGEST&from=REPO), so nothing is uploaded.
type mounter struct {
	host    string
	checker *auth.Checker
	authz   string
}

func newMounter(ctx context.Context, sys *types.SystemContext, host, srcRepo, dstRepo string) (*mounter, error) {
	creds, err := config.GetCredentials(sys, host)
	if err != nil {
		return nil, fmt.Errorf("reading credentials for %s: %w", host, err)
	}
	insecure := sys.DockerInsecureSkipTLSVerify == types.OptionalBoolTrue
	m := &mounter{host: host, checker: auth.NewChecker(trustFor(sys, host), insecure, 30*time.Second)}
	scope := fmt.Sprintf("repository:%s:pull,push repository:%s:pull", dstRepo, srcRepo)
	m.authz, err = m.checker.Authorization(ctx, host, creds.Username, creds.Password, scope)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// exists reports whether repo already has the blob.
func (m *mounter) exists(ctx context.Context, repo, dgst string) (bool, error) {
	resp, err := m.do(ctx, http.MethodHead, fmt.Sprintf("/v2/%s/blobs/%s", repo, dgst))
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}

// mount links dgst from src into dst; false means the registry would not
// (it then starts an upload, which is cancelled).
func (m *mounter) mount(ctx context.Context, dst, src, dgst string) (bool, error) {
	q := url.Values{"mount": {dgst}, "from": {src}}
	resp, err := m.do(ctx, http.MethodPost, "/v2/"+dst+"/blobs/uploads/?"+q.Encode())
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusCreated:
		return true, nil
	case http.StatusAccepted:
		if loc := resp.Header.Get("Location"); loc != "" {
			if r, err := m.do(ctx, http.MethodDelete, loc); err == nil {
				r.Body.Close()
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("mounting %s into %s: HTTP %d", dgst, dst, resp.StatusCode)
}

func (m *mounter) do(ctx context.Context, method, path string) (*http.Response, error) {
	u := path
	if parsed, err := url.Parse(path); err != nil || !parsed.IsAbs() {
		u = "https://" + m.host + path
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", m.authz)
	req.Header.Set("User-Agent", "oc-registry")
	return m.checker.Client.Do(req)
}

// trustFor is the system roots plus the CA files c/image would use for host.
func trustFor(sys *types.SystemContext, host string) *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	dirs := []string{"/etc/containers/certs.d", "/etc/docker/certs.d"}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append([]string{filepath.Join(home, ".config", "containers", "certs.d")}, dirs...)
	}
	if sys.DockerPerHostCertDirPath != "" {
		dirs = []string{sys.DockerPerHostCertDirPath}
	}
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, host, "*.crt"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				pool.AppendCertsFromPEM(b)
			}
		}
	}
	return pool
}
