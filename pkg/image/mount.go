package image

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/types"
)

// mounter asks the registry to link blobs from one repository into another
// (POST .../blobs/uploads/?mount=DIGEST&from=REPO), so nothing is uploaded.
type mounter struct {
	host       string
	checker    *auth.Checker
	authz      string
	user, pass string
	scope      string
}

func newMounter(ctx context.Context, sys *types.SystemContext, host, srcRepo, dstRepo string) (*mounter, error) {
	creds, err := config.GetCredentials(sys, host)
	if err != nil {
		return nil, fmt.Errorf("reading credentials for %s: %w", host, err)
	}
	insecure := sys.DockerInsecureSkipTLSVerify == types.OptionalBoolTrue
	m := &mounter{host: host, checker: auth.NewChecker(trustFor(sys, host), insecure, 30*time.Second),
		user: creds.Username, pass: creds.Password,
		scope: fmt.Sprintf("repository:%s:pull,push repository:%s:pull", dstRepo, srcRepo)}
	// OpenShift's registry takes the token as a Basic password on every
	// request; others answer 401 with a challenge, handled in do.
	m.authz = "Basic " + base64.StdEncoding.EncodeToString([]byte(creds.Username+":"+creds.Password))
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
	return m.send(ctx, method, path, nil, nil)
}

// send makes one request, answering a challenge once if the registry
// wants another form of credentials.
func (m *mounter) send(ctx context.Context, method, path string, header http.Header, body []byte) (*http.Response, error) {
	u := path
	if parsed, err := url.Parse(path); err != nil || !parsed.IsAbs() {
		u = "https://" + m.host + path
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		req.Header.Set("Authorization", m.authz)
		req.Header.Set("User-Agent", "oc-registry")
		resp, err := m.checker.Client.Do(req)
		if err != nil {
			return nil, errors.New(auth.Redact(err.Error(), m.pass))
		}
		challenge := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusUnauthorized || attempt > 0 || !strings.HasPrefix(strings.ToLower(challenge), "bearer") {
			return resp, nil
		}
		resp.Body.Close()
		if m.authz, err = m.checker.FromChallenge(ctx, m.host, challenge, m.user, m.pass, m.scope); err != nil {
			return nil, err
		}
	}
}

// manifestTypes are the manifest forms tag accepts.
var manifestTypes = strings.Join([]string{
	"application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
}, ", ")

// getManifest reads repo's manifest at ref (a tag or a digest).
func (m *mounter) getManifest(ctx context.Context, repo, ref string) ([]byte, string, error) {
	resp, err := m.send(ctx, http.MethodGet, fmt.Sprintf("/v2/%s/manifests/%s", repo, ref), http.Header{"Accept": {manifestTypes}}, nil)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, "", err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return b, resp.Header.Get("Content-Type"), nil
	case http.StatusNotFound:
		return nil, "", fmt.Errorf("%s:%s not found in the registry", repo, ref)
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, "", fmt.Errorf("reading %s:%s: unauthorized: authentication required (HTTP %d)", repo, ref, resp.StatusCode)
	}
	return nil, "", fmt.Errorf("reading %s:%s: HTTP %d", repo, ref, resp.StatusCode)
}

// manifestDigest returns the digest repo's ref points at, or "" when none.
func (m *mounter) manifestDigest(ctx context.Context, repo, ref string) (string, error) {
	resp, err := m.send(ctx, http.MethodHead, fmt.Sprintf("/v2/%s/manifests/%s", repo, ref), http.Header{"Accept": {manifestTypes}}, nil)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil
	}
	return resp.Header.Get("Docker-Content-Digest"), nil
}

// putManifest writes a manifest to repo at ref.
func (m *mounter) putManifest(ctx context.Context, repo, ref, mediaType string, body []byte) error {
	resp, err := m.send(ctx, http.MethodPut, fmt.Sprintf("/v2/%s/manifests/%s", repo, ref), http.Header{"Content-Type": {mediaType}}, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("writing %s:%s: HTTP %d: %s", repo, ref, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}

// trustFor is the system roots plus the CA files c/image would use for host.
// An unreadable CA file is skipped here, as c/image would fail on it itself.
func trustFor(sys *types.SystemContext, host string) *x509.CertPool {
	pool, err := auth.TrustPool(auth.InstalledCAs(host, sys.DockerPerHostCertDirPath))
	if err != nil {
		pool, _ = auth.TrustPool()
	}
	return pool
}
