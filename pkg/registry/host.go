package registry

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// hostPattern is the domain grammar of distribution's reference package
// (domain-name, IPv4, or a bracketed IPv6 address), with an optional port.
// Written out here, anchored, because the package's own DomainRegexp is not
// anchored and accepts more around it.
var hostPattern = regexp.MustCompile(`^(?:` +
	`(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*` +
	`|\[[a-fA-F0-9:]+\])` +
	`(?::([0-9]+))?$`)

// ValidateHost checks that h is a registry host[:port] and nothing else: no
// scheme, path, user info, query, whitespace or dot-only names. Every host
// from a flag or a cluster object passes here before it becomes a URL, a
// map key or a file path. from names where h came from, for the error.
func ValidateHost(h, from string) error {
	bad := func(why string) error {
		if from == "" {
			return fmt.Errorf("invalid registry host %q: %s", h, why)
		}
		return fmt.Errorf("invalid registry host %q from %s: %s", h, from, why)
	}
	switch {
	case h == "":
		return bad("it is empty")
	case len(h) > 255:
		return bad("it is longer than 255 characters")
	case strings.ContainsAny(h, "/\\@?#%"):
		return bad("give host[:port] only, without scheme, path, user or query")
	}
	for _, r := range h {
		if r <= ' ' || r == 0x7f {
			return bad("it holds whitespace or control characters")
		}
	}
	m := hostPattern.FindStringSubmatch(h)
	if m == nil {
		return bad("it is not a host name, IPv4 address or [IPv6] address")
	}
	if strings.HasPrefix(h, "[") {
		inner := h[1:strings.Index(h, "]")]
		if net.ParseIP(inner) == nil {
			return bad("the IPv6 address does not parse")
		}
	}
	if m[1] != "" {
		p, err := strconv.Atoi(m[1])
		if err != nil || p < 1 || p > 65535 {
			return bad("the port must be 1 to 65535")
		}
	}
	return nil
}

// NormalizeHost strips a scheme and a trailing slash the way users type
// them (https://host/), then validates the rest.
func NormalizeHost(h, from string) (string, error) {
	if strings.HasPrefix(strings.ToLower(h), "http://") {
		return h, fmt.Errorf("invalid registry host %q from %s: give host[:port]; plain HTTP is used only with --insecure", h, from)
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "https://"), "/")
	return h, ValidateHost(h, from)
}

// CertFile is DIR/HOST/NAME for a validated host, checked to stay inside
// dir whatever the host says.
func CertFile(dir, host, name string) (string, error) {
	if err := ValidateHost(host, ""); err != nil {
		return "", err
	}
	base, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	p := filepath.Join(base, host, name)
	rel, err := filepath.Rel(base, p)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.Dir(rel) != host {
		return "", fmt.Errorf("certificate path for %q escapes %s", host, dir)
	}
	return p, nil
}

// origin is scheme://host:port with the default port made explicit, so
// that https://h and https://h:443 compare equal.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// sameHost compares host[:port] forms, defaulting the port to 443.
func sameHost(a, b string) bool {
	ua := &url.URL{Scheme: "https", Host: a}
	ub := &url.URL{Scheme: "https", Host: b}
	return origin(ua) == origin(ub)
}
