// Package registry is the one registry v2 client of oc-registry: transport,
// TLS trust, the challenge and token exchange, manifests, blob mounts and
// plain GETs (metrics). Where credentials may go is decided here and
// nowhere else:
//
//   - only to the registry's own origin (scheme, host and port), over TLS
//     unless Insecure allows plain HTTP to that same host;
//   - never to a redirect target or a Location on another origin: a GET or
//     HEAD redirected elsewhere (blob storage) is followed without
//     credentials, anything else is refused;
//   - to a token realm only on the registry's own host, or on a host the
//     user allowed (AllowRealms).
//
// c/image's own traffic (push uploads) is held to the same origins by
// Guard, installed as its per-request proxy hook.
package registry

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says which registry to talk to and with what.
type Config struct {
	Host        string         // host[:port]; validated by New
	HostSource  string         // where Host came from, for errors ("--registry", "route ...")
	Username    string         // ignored by OpenShift's registry; anything without ':'
	Secret      string         // the token (or password); "" for anonymous requests
	Roots       *x509.CertPool // CAs tried first; the system roots only for a host these do not verify
	Insecure    bool           // skip TLS verification and allow plain HTTP to Host
	AllowRealms []string       // token realm hosts the user trusts besides Host
	Timeout     time.Duration  // per request; 0 means 30s
	UserAgent   string
	// DialAddr, when set, is where connections go (a port-forward's local
	// end), while Host stays the name TLS verifies and the origin
	// credentials are held to.
	DialAddr string
}

// Client talks to one registry host.
type Client struct {
	host     string
	plain    atomic.Bool // Insecure found a plain-HTTP registry
	user     string
	secret   string
	insecure bool
	realms   []string
	http     *http.Client
	agent    string

	mu    sync.Mutex
	authz map[string]string // scope -> Authorization value that worked
}

// New validates the host and builds the client.
func New(cfg Config) (*Client, error) {
	if err := ValidateHost(cfg.Host, cfg.HostSource); err != nil {
		return nil, err
	}
	for _, r := range cfg.AllowRealms {
		if err := ValidateHost(r, "--allow-realm"); err != nil {
			return nil, err
		}
	}
	if strings.Contains(cfg.Username, ":") {
		return nil, fmt.Errorf("user name %q holds a ':', which the registry's Basic authentication cannot carry", cfg.Username)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	c := &Client{
		host: cfg.Host,
		user: cfg.Username, secret: cfg.Secret, insecure: cfg.Insecure,
		realms: cfg.AllowRealms, agent: cfg.UserAgent, authz: map[string]string{},
	}
	if c.user == "" {
		c.user = "oc-registry"
	}
	if c.agent == "" {
		c.agent = "oc-registry"
	}
	dial := (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	proxy := http.ProxyFromEnvironment
	if cfg.DialAddr != "" {
		d := dial
		dial = func(ctx context.Context, network, _ string) (net.Conn, error) { return d(ctx, network, cfg.DialAddr) }
		proxy = nil
	}
	tr := &http.Transport{
		Proxy:                 proxy,
		DialContext:           dial,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       tlsConfig(cfg.Insecure),
	}
	c.http = &http.Client{Transport: newTrustFallback(tr, cfg.Roots, cfg.Host), CheckRedirect: c.checkRedirect}
	return c, nil
}

// Host is the registry host the client talks to.
func (c *Client) Host() string { return c.host }

// base is the registry's origin as a URL.
func (c *Client) base() *url.URL {
	if c.plain.Load() {
		return &url.URL{Scheme: "http", Host: c.host}
	}
	return &url.URL{Scheme: "https", Host: c.host}
}

func (c *Client) redact(s string) string { return Redact(s, c.secret) }

// checkRedirect keeps credentials on the registry's origin. Go's client
// copies Authorization to a redirect on the same host name even when the
// scheme or port changes, so the check is ours.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return c.policy(fmt.Errorf("stopped after 10 redirects"))
	}
	if c.sameOrigin(req.URL) {
		return nil
	}
	first := via[0]
	if isBlobRead(first) && (req.URL.Scheme == "https" || c.insecure) {
		// Blob storage redirects for pulls are normal; they carry their own
		// signed URL and get no credentials of ours.
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
		return nil
	}
	return c.policy(fmt.Errorf("%s %s was redirected to %s, another origin", first.Method, first.URL.Path, redactURL(req.URL)))
}

// isBlobRead is a blob GET or HEAD, the one request registries send to
// storage on another host.
func isBlobRead(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasPrefix(r.URL.Path, "/v2/") &&
		strings.Contains(r.URL.Path, "/blobs/sha256:")
}

func (c *Client) policy(err error) error {
	return &Error{Cause: CausePolicy, Host: c.host, Err: err}
}

// sameOrigin is true for the registry's scheme, host and port; plain HTTP
// counts only with Insecure.
func (c *Client) sameOrigin(u *url.URL) bool {
	if u.Scheme == "http" && c.insecure {
		return sameHost(u.Host, c.host)
	}
	return origin(u) == origin(&url.URL{Scheme: "https", Host: c.host})
}

func redactURL(u *url.URL) string {
	v := *u
	v.RawQuery, v.User = "", nil
	return v.String()
}

// resolve turns a path or a Location header into a URL on the registry's
// origin, refusing any other origin.
func (c *Client) resolve(ref string) (*url.URL, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, &Error{Cause: CauseNotRegistry, Host: c.host, Err: fmt.Errorf("bad location %q", ref)}
	}
	u = c.base().ResolveReference(u)
	if !c.sameOrigin(u) {
		return nil, c.policy(fmt.Errorf("the registry pointed to %s, another origin", redactURL(u)))
	}
	return u, nil
}

// Request is one registry call. Path is relative to the registry, or a
// Location header the registry gave (it must be on the same origin).
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	Scope  string // token scope for a Bearer exchange, e.g. repository:p/app:pull
}

// Do sends r with credentials, answering one challenge if the registry
// asks for another form (a Bearer token from its realm). The caller closes
// the body.
func (c *Client) Do(ctx context.Context, r Request) (*http.Response, error) {
	u, err := c.resolve(r.Path)
	if err != nil {
		return nil, err
	}
	authz := c.cachedAuthz(r.Scope)
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, r, u, authz)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusUnauthorized || attempt > 0 || c.secret == "" {
			if resp.StatusCode < 400 && authz != "" {
				c.remember(r.Scope, authz)
			}
			return resp, nil
		}
		next, err := c.answer(ctx, resp.Header.Get("WWW-Authenticate"), r.Scope)
		if err != nil {
			drain(resp)
			return nil, err
		}
		if next == authz {
			return resp, nil // the same credentials again would get the same answer
		}
		drain(resp)
		authz = next
	}
}

func (c *Client) send(ctx context.Context, r Request, u *url.URL, authz string) (*http.Response, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.agent)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := c.http.Do(req)
	if err != nil && u.Scheme == "https" && c.insecure && errors.Is(err, http.ErrSchemeMismatch) {
		// --insecure allows a plain-HTTP registry on the same host.
		c.plain.Store(true)
		v := *u
		v.Scheme = "http"
		return c.send(ctx, r, &v, authz)
	}
	if err != nil {
		return nil, c.classify(err)
	}
	return resp, nil
}

func (c *Client) cachedAuthz(scope string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.authz[scope]; ok {
		return a
	}
	return c.basic() // OpenShift's registry takes the token as a Basic password on every request
}

func (c *Client) remember(scope, authz string) {
	c.mu.Lock()
	c.authz[scope] = authz
	c.mu.Unlock()
}

func (c *Client) basic() string {
	if c.secret == "" {
		return ""
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.secret))
}

func drain(r *http.Response) {
	io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
	r.Body.Close()
}

// Ping asks /v2/ without credentials: nil when a v2 registry answers (200
// or a 401 challenge).
func (c *Client) Ping(ctx context.Context) (*http.Response, error) {
	u, _ := c.resolve("/v2/")
	resp, err := c.send(ctx, Request{}, u, "")
	if err != nil {
		return nil, err
	}
	drain(resp)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
		return nil, &Error{Cause: CauseNotRegistry, Host: c.host, Err: fmt.Errorf("GET /v2/ answered HTTP %d", resp.StatusCode)}
	}
	return resp, nil
}

// Check returns nil when the credentials may use the registry: GET /v2/
// with them answers 200.
func (c *Client) Check(ctx context.Context) error {
	resp, err := c.Do(ctx, Request{Path: "/v2/"})
	if err != nil {
		return err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized:
		// /v2/ needs no permission, only a token that authenticates;
		// OpenShift answers a bad one with `error="access denied"` too.
		return &Error{Cause: CauseUnauthorized, Host: c.host, Err: errors.New("HTTP 401 on /v2/")}
	case http.StatusForbidden:
		return &Error{Cause: CauseDenied, Host: c.host, Err: errors.New("HTTP 403 on /v2/")}
	}
	return &Error{Cause: CauseNotRegistry, Host: c.host, Err: fmt.Errorf("GET /v2/ with credentials answered HTTP %d", resp.StatusCode)}
}
