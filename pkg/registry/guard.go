package registry

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// Guard is a c/image DockerProxy hook (types.SystemContext.DockerProxy)
// that lets c/image's requests for a push reach only the registry's
// origin and the token realms the user allowed. c/image sends its
// credentials to any upload Location or redirect it is given; a request it
// makes elsewhere fails here, before a connection is opened. Allowed
// requests keep the proxy from the environment.
func Guard(host string, insecure bool, allowRealms []string) func(*url.URL) (*url.URL, error) {
	return func(u *url.URL) (*url.URL, error) {
		ok := u.Scheme == "https" && sameHost(u.Host, host)
		ok = ok || insecure && u.Scheme == "http" && sameHost(u.Host, host)
		ok = ok || u.Scheme == "https" && slices.ContainsFunc(allowRealms, func(h string) bool { return sameHost(h, u.Host) })
		if !ok {
			return nil, &Error{Cause: CausePolicy, Host: host,
				Err: fmt.Errorf("a request went to %s, outside the registry's origin (plain HTTP needs --insecure; a token realm elsewhere needs --allow-realm)", redactURL(u))}
		}
		return http.ProxyFromEnvironment(&http.Request{URL: u})
	}
}

// SourceGuard holds a pull source (a registry of its own, with its own
// credentials) to TLS: plain HTTP only when the source's TLS verification
// was turned off by the user. Redirects to blob storage on other hosts are
// normal for pulls, and Go drops the credentials across host names.
func SourceGuard(insecure bool) func(*url.URL) (*url.URL, error) {
	return func(u *url.URL) (*url.URL, error) {
		if u.Scheme != "https" && !insecure {
			return nil, fmt.Errorf("refusing plain HTTP to %s for the source (pass --src-tls-verify=false to allow it)", redactURL(u))
		}
		return http.ProxyFromEnvironment(&http.Request{URL: u})
	}
}
