package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ManifestTypes are the manifest forms the client accepts.
var ManifestTypes = strings.Join([]string{
	"application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
}, ", ")

// ErrNotFound is a manifest or blob the registry does not have.
var ErrNotFound = errors.New("not found")

func pullScope(repo string) string      { return "repository:" + repo + ":pull" }
func pushScope(repo string) string      { return "repository:" + repo + ":pull,push" }
func mountScope(dst, src string) string { return pushScope(dst) + " " + pullScope(src) }

// statusError turns a refusal into an Error with the registry's own words.
func (c *Client) statusError(resp *http.Response, what string) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	detail := strings.TrimSpace(string(msg))
	err := fmt.Errorf("%s: HTTP %d", what, resp.StatusCode)
	if detail != "" {
		err = fmt.Errorf("%s: HTTP %d: %s", what, resp.StatusCode, c.redact(detail))
	}
	switch {
	case AccessDenied(resp) || resp.StatusCode == http.StatusForbidden:
		return &Error{Cause: CauseDenied, Host: c.host, Err: err}
	case resp.StatusCode == http.StatusUnauthorized:
		return &Error{Cause: CauseUnauthorized, Host: c.host, Err: err}
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return &Error{Host: c.host, Err: err}
}

// GetManifest reads repo's manifest at ref (a tag or a digest).
func (c *Client) GetManifest(ctx context.Context, repo, ref string) ([]byte, string, error) {
	resp, err := c.Do(ctx, Request{Path: fmt.Sprintf("/v2/%s/manifests/%s", repo, ref),
		Header: http.Header{"Accept": {ManifestTypes}}, Scope: pullScope(repo)})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", c.statusError(resp, fmt.Sprintf("reading %s:%s", repo, ref))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, "", c.classify(err)
	}
	return b, resp.Header.Get("Content-Type"), nil
}

// ManifestDigest returns the digest repo's ref points at, or "" when the
// registry has no such manifest.
func (c *Client) ManifestDigest(ctx context.Context, repo, ref string) (string, error) {
	resp, err := c.Do(ctx, Request{Method: http.MethodHead, Path: fmt.Sprintf("/v2/%s/manifests/%s", repo, ref),
		Header: http.Header{"Accept": {ManifestTypes}}, Scope: pullScope(repo)})
	if err != nil {
		return "", err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Header.Get("Docker-Content-Digest"), nil
	case http.StatusNotFound:
		return "", nil
	}
	return "", c.statusError(resp, fmt.Sprintf("checking %s:%s", repo, ref))
}

// PutManifest writes a manifest to repo at ref.
func (c *Client) PutManifest(ctx context.Context, repo, ref, mediaType string, body []byte) error {
	resp, err := c.Do(ctx, Request{Method: http.MethodPut, Path: fmt.Sprintf("/v2/%s/manifests/%s", repo, ref),
		Header: http.Header{"Content-Type": {mediaType}}, Body: body, Scope: pushScope(repo)})
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusCreated {
		return c.statusError(resp, fmt.Sprintf("writing %s:%s", repo, ref))
	}
	return nil
}

// BlobExists reports whether repo has the blob.
func (c *Client) BlobExists(ctx context.Context, repo, dgst string) (bool, error) {
	resp, err := c.Do(ctx, Request{Method: http.MethodHead, Path: fmt.Sprintf("/v2/%s/blobs/%s", repo, dgst), Scope: pullScope(repo)})
	if err != nil {
		return false, err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, c.statusError(resp, fmt.Sprintf("checking blob %s in %s", dgst, repo))
}

// Mount links dgst from src into dst. false means the registry started an
// upload instead (it would not mount: the blob is not in src, or src is
// not readable); that upload is cancelled.
func (c *Client) Mount(ctx context.Context, dst, src, dgst string) (bool, error) {
	q := url.Values{"mount": {dgst}, "from": {src}}
	scope := mountScope(dst, src)
	resp, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/v2/" + dst + "/blobs/uploads/?" + q.Encode(), Scope: scope})
	if err != nil {
		return false, err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusCreated:
		return true, nil
	case http.StatusAccepted:
		if loc := resp.Header.Get("Location"); loc != "" {
			// resolve refuses a Location on another origin: the upload is
			// then left to expire rather than followed with credentials.
			r, err := c.Do(ctx, Request{Method: http.MethodDelete, Path: loc, Scope: scope})
			if err != nil {
				return false, err
			}
			drain(r)
		}
		return false, nil
	}
	return false, c.statusError(resp, fmt.Sprintf("mounting %s into %s", dgst, dst))
}

// Get reads path (such as /extensions/v2/metrics) with credentials. The
// caller closes the body and reads the status.
func (c *Client) Get(ctx context.Context, path string, header http.Header) (*http.Response, error) {
	return c.Do(ctx, Request{Path: path, Header: header})
}
