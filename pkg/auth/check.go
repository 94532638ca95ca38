package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Why a credential check failed.
const (
	CauseUnauthorized = "unauthorized"   // the registry rejected the token
	CauseTLS          = "tls"            // certificate not trusted or wrong host
	CauseUnreachable  = "unreachable"    // no connection within the timeout
	CauseNotRegistry  = "not-a-registry" // something answered, not a v2 registry
)

// CheckError names the cause of a failed check.
type CheckError struct {
	Cause string
	Host  string
	Err   error
}

func (e *CheckError) Error() string {
	switch e.Cause {
	case CauseUnauthorized:
		return fmt.Sprintf("registry %s rejected the token: %v", e.Host, e.Err)
	case CauseTLS:
		return fmt.Sprintf("TLS with registry %s failed (x509): %v", e.Host, e.Err)
	case CauseUnreachable:
		return fmt.Sprintf("registry %s is unreachable: %v", e.Host, e.Err)
	case CauseNotRegistry:
		return fmt.Sprintf("%s does not answer like a container registry: %v", e.Host, e.Err)
	}
	return fmt.Sprintf("checking registry %s: %v", e.Host, e.Err)
}

func (e *CheckError) Unwrap() error { return e.Err }

// Checker checks credentials against a registry's /v2/ endpoint, following
// its challenge: Basic directly, or Bearer through the token realm (as
// OpenShift's /openshift/token) and then /v2/ with the bearer token.
type Checker struct {
	Client *http.Client
}

// NewChecker builds a Checker trusting roots (system roots when nil) with an
// overall timeout per request.
func NewChecker(roots *x509.CertPool, insecure bool, timeout time.Duration) *Checker {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: timeout}).DialContext,
		TLSHandshakeTimeout: timeout,
		TLSClientConfig:     &tls.Config{RootCAs: roots, InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12},
	}
	return &Checker{Client: &http.Client{Transport: tr, Timeout: timeout}}
}

// Check returns nil when user/token may use the registry at host.
func (c *Checker) Check(ctx context.Context, host, user, token string) error {
	authz, err := c.Authorization(ctx, host, user, token, "")
	if err != nil {
		return err
	}
	resp, err := c.get(ctx, "https://"+host+"/v2/", func(r *http.Request) { r.Header.Set("Authorization", authz) })
	if err != nil {
		return c.classify(host, err, token)
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return &CheckError{Cause: CauseUnauthorized, Host: host, Err: fmt.Errorf("HTTP %d on /v2/", resp.StatusCode)}
	}
	return &CheckError{Cause: CauseNotRegistry, Host: host, Err: fmt.Errorf("GET /v2/ with credentials answered HTTP %d", resp.StatusCode)}
}

// Authorization follows the registry's challenge and returns the
// Authorization header value for requests to host: Basic credentials, or a
// bearer token from the token realm (for scope, when given).
func (c *Checker) Authorization(ctx context.Context, host, user, token, scope string) (string, error) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
	resp, err := c.get(ctx, "https://"+host+"/v2/", nil)
	if err != nil {
		return "", c.classify(host, err, token)
	}
	drain(resp)
	switch {
	case resp.StatusCode == http.StatusOK && isRegistry(resp):
		return basic, nil
	case resp.StatusCode != http.StatusUnauthorized:
		return "", &CheckError{Cause: CauseNotRegistry, Host: host, Err: fmt.Errorf("GET /v2/ answered HTTP %d", resp.StatusCode)}
	}
	return c.FromChallenge(ctx, host, resp.Header.Get("WWW-Authenticate"), user, token, scope)
}

// FromChallenge answers a WWW-Authenticate challenge from host with an
// Authorization header value.
func (c *Checker) FromChallenge(ctx context.Context, host, challenge, user, token, scope string) (string, error) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
	scheme, params := parseChallenge(challenge)
	switch scheme {
	case "basic":
		return basic, nil
	case "bearer":
		if scope != "" {
			params["scope"] = scope
		}
		bearer, err := c.exchange(ctx, host, params, user, token)
		if err != nil {
			return "", err
		}
		return "Bearer " + bearer, nil
	}
	return "", &CheckError{Cause: CauseNotRegistry, Host: host, Err: errors.New("HTTP 401 without a Basic or Bearer challenge")}
}

// exchange trades Basic credentials for a bearer token at the realm.
func (c *Checker) exchange(ctx context.Context, host string, params map[string]string, user, token string) (string, error) {
	realm, err := url.Parse(params["realm"])
	if err != nil || realm.Host == "" {
		return "", &CheckError{Cause: CauseNotRegistry, Host: host, Err: fmt.Errorf("bad token realm %q", params["realm"])}
	}
	if realm.Scheme != "https" {
		return "", &CheckError{Cause: CauseNotRegistry, Host: host, Err: fmt.Errorf("token realm %s is not https: refusing to send credentials", realm.Redacted())}
	}
	q := realm.Query()
	for _, k := range []string{"service", "scope"} {
		for _, v := range strings.Fields(params[k]) {
			q.Add(k, v)
		}
	}
	realm.RawQuery = q.Encode()
	resp, err := c.get(ctx, realm.String(), func(r *http.Request) { r.SetBasicAuth(user, token) })
	if err != nil {
		return "", c.classify(host, err, token)
	}
	defer drain(resp)
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return "", &CheckError{Cause: CauseUnauthorized, Host: host, Err: fmt.Errorf("token endpoint %s answered HTTP %d", realm.Path, resp.StatusCode)}
	}
	if resp.StatusCode != http.StatusOK {
		return "", &CheckError{Cause: CauseNotRegistry, Host: host, Err: fmt.Errorf("token endpoint %s answered HTTP %d", realm.Path, resp.StatusCode)}
	}
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", &CheckError{Cause: CauseNotRegistry, Host: host, Err: errors.New("token endpoint answered with no JSON token")}
	}
	if body.Token != "" {
		return body.Token, nil
	}
	if body.AccessToken != "" {
		return body.AccessToken, nil
	}
	return "", &CheckError{Cause: CauseNotRegistry, Host: host, Err: errors.New("token endpoint answered with an empty token")}
}

func (c *Checker) get(ctx context.Context, u string, decorate func(*http.Request)) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "oc-registry")
	if decorate != nil {
		decorate(req)
	}
	return c.Client.Do(req)
}

func (c *Checker) classify(host string, err error, token string) error {
	clean := errors.New(Redact(err.Error(), token))
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	var tve *tls.CertificateVerificationError
	switch {
	case errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &cie), errors.As(err, &tve):
		return &CheckError{Cause: CauseTLS, Host: host, Err: clean}
	case errors.Is(err, context.DeadlineExceeded), isNetError(err):
		return &CheckError{Cause: CauseUnreachable, Host: host, Err: clean}
	case strings.Contains(err.Error(), "http: server gave HTTP response to HTTPS client"):
		return &CheckError{Cause: CauseNotRegistry, Host: host, Err: errors.New("it speaks plain HTTP, not HTTPS")}
	}
	return &CheckError{Host: host, Err: clean}
}

func isNetError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &oe) || errors.As(err, &de) || (errors.As(err, &ne) && ne.Timeout())
}

func isRegistry(r *http.Response) bool {
	return strings.HasPrefix(r.Header.Get("Docker-Distribution-Api-Version"), "registry/2")
}

func drain(r *http.Response) {
	io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
	r.Body.Close()
}

// parseChallenge splits `Bearer realm="...",service="..."` into a lowercase
// scheme and its parameters.
func parseChallenge(h string) (string, map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params := map[string]string{}
	for rest != "" {
		var kv string
		rest = strings.TrimLeft(rest, ", ")
		if rest == "" {
			break
		}
		k, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		if strings.HasPrefix(after, `"`) {
			end := strings.Index(after[1:], `"`)
			if end < 0 {
				break
			}
			kv, rest = after[1:1+end], after[2+end:]
		} else {
			kv, rest, _ = strings.Cut(after, ",")
		}
		params[strings.ToLower(strings.TrimSpace(k))] = kv
	}
	return strings.ToLower(scheme), params
}
