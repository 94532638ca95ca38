// Package auth gets registry credentials from the cluster (the kubeconfig
// user's bearer token, or a service account's token from the TokenRequest
// API), checks them against the registry, and writes them where podman,
// skopeo, buildah and crane look. Tokens are never logged or put in errors.
package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/registry"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
)

// ErrNoToken means the kubeconfig user authenticates without a bearer
// token (client certificates, say), which the registry cannot use.
var ErrNoToken = errors.New("your kubeconfig user has no bearer token (client certificates cannot be used with the registry)")

// BearerToken returns the token the API server gets from this config:
// a static token or token file, or one obtained by an exec or auth-provider
// plugin. The plugin runs in-process, as it does for kubectl.
func BearerToken(cfg *rest.Config) (string, error) {
	if cfg.BearerToken != "" {
		return cfg.BearerToken, nil
	}
	if cfg.ExecProvider == nil && cfg.AuthProvider == nil && cfg.BearerTokenFile == "" {
		return "", ErrNoToken
	}
	// Let client-go's own wrappers (token file, exec, auth provider) decorate
	// a request that never leaves the process, and read the header back.
	capture := &captureRT{}
	c := rest.CopyConfig(cfg)
	c.Transport, c.TLSClientConfig = nil, rest.TLSClientConfig{}
	rt, err := rest.HTTPWrappersForConfig(c, capture)
	if err != nil {
		return "", fmt.Errorf("preparing credentials: %w", err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://token.invalid/", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return "", fmt.Errorf("getting a token from your kubeconfig's credential plugin: %w", err)
	}
	resp.Body.Close()
	tok, ok := strings.CutPrefix(capture.auth, "Bearer ")
	if !ok || tok == "" {
		return "", ErrNoToken
	}
	return tok, nil
}

type captureRT struct{ auth string }

func (c *captureRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.auth = r.Header.Get("Authorization")
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("")), Request: r, Header: http.Header{}}, nil
}

// ServiceAccountToken asks the TokenRequest API for a token of
// namespace/name valid for d. The API server may shorten or lengthen d
// within its limits; the returned time is the real expiry.
func ServiceAccountToken(ctx context.Context, core coreclient.CoreV1Interface, namespace, name string, d time.Duration) (string, time.Time, error) {
	secs := int64(d.Seconds())
	tr := &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &secs}}
	res, err := core.ServiceAccounts(namespace).CreateToken(ctx, name, tr, metav1.CreateOptions{})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("requesting a token for service account %s/%s: %w", namespace, name, err)
	}
	if res.Status.Token == "" {
		return "", time.Time{}, fmt.Errorf("the API server answered the token request for service account %s/%s with an empty token", namespace, name)
	}
	return res.Status.Token, res.Status.ExpirationTimestamp.Time, nil
}

// JWTExpiry reads the exp claim of a JWT without verifying it. Opaque
// tokens (OpenShift's sha256~ tokens) have none.
func JWTExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == 0 {
		return time.Time{}, false
	}
	return time.Unix(claims.Exp, 0), true
}

// Redact replaces whole occurrences of token in s (see registry.Redact).
func Redact(s, token string) string { return registry.Redact(s, token) }
