package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"sync"
)

// trustFallback verifies a host with the CAs the caller named (the
// cluster's, the one login recorded, --ca-file) and turns to the system
// roots only for a host those do not verify. Go parses every system root on
// first use, about 15 ms of CPU here, which connections verified by the
// cluster's own CA never need. Both paths use Go's standard verification;
// the system path trusts exactly what a client with RootCAs unset trusts.
type trustFallback struct {
	named  *http.Transport // RootCAs: the named CAs only
	system *http.Transport // RootCAs: nil, the system roots
	hosts  sync.Map        // host:port -> true once the system roots were needed
}

func newTrustFallback(base *http.Transport, named *x509.CertPool, host string) http.RoundTripper {
	if named == nil || named.Equal(x509.NewCertPool()) || base.TLSClientConfig.InsecureSkipVerify {
		return base
	}
	if httpsProxied(base, host) {
		// Go verifies an https:// proxy with the same pool as the
		// registry: the proxy may need the system roots and the registry
		// the named CAs, so both go into one pool, as before this split.
		if certs, ok := poolCerts.Load(named); ok {
			merged, err := x509.SystemCertPool()
			if err != nil || merged == nil {
				merged = x509.NewCertPool()
			}
			for _, c := range certs.([]*x509.Certificate) {
				merged.AddCert(c)
			}
			base.TLSClientConfig.RootCAs = merged
			return base
		}
	}
	sys := base.Clone()
	sys.TLSClientConfig.RootCAs = nil
	n := base.Clone()
	n.TLSClientConfig.RootCAs = named
	return &trustFallback{named: n, system: sys}
}

func (t *trustFallback) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, ok := t.hosts.Load(req.URL.Host); ok {
		return t.system.RoundTrip(req)
	}
	resp, err := t.named.RoundTrip(req)
	var unknown x509.UnknownAuthorityError
	if err == nil || !errors.As(err, &unknown) {
		return resp, err
	}
	// The handshake failed before any byte of the body was sent, but the
	// transport has closed the body: a body that cannot be rewound is not
	// sent again.
	retry := req
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, err
		}
		body, gerr := req.GetBody()
		if gerr != nil {
			return nil, err
		}
		retry = req.Clone(req.Context())
		retry.Body = body
	}
	t.hosts.Store(req.URL.Host, true)
	return t.system.RoundTrip(retry)
}

func (t *trustFallback) CloseIdleConnections() {
	t.named.CloseIdleConnections()
	t.system.CloseIdleConnections()
}

// poolCerts remembers the certificates of pools made by NewRoots.
var poolCerts sync.Map // *x509.CertPool -> []*x509.Certificate

// NewRoots is a pool of certs for Config.Roots that remembers them, so
// that a client can merge them with the system roots when it must.
func NewRoots(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	poolCerts.Store(p, certs)
	return p
}

// httpsProxied reports whether requests to host go through an https://
// proxy.
func httpsProxied(t *http.Transport, host string) bool {
	if t.Proxy == nil {
		return false
	}
	u, err := t.Proxy(&http.Request{URL: &url.URL{Scheme: "https", Host: host}})
	return err == nil && u != nil && u.Scheme == "https"
}

// tlsConfig is the base TLS configuration of every client.
func tlsConfig(insecure bool) *tls.Config {
	return &tls.Config{InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12}
}
