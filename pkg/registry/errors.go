package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// Cause says why a registry request failed, so that commands can pick the
// hint and the exit code without reading the message.
type Cause string

const (
	CauseUnauthorized Cause = "unauthorized"   // the registry rejected the credentials
	CauseDenied       Cause = "denied"         // the credentials are good, the permission is missing
	CauseTLS          Cause = "tls"            // certificate not trusted or wrong host
	CauseUnreachable  Cause = "unreachable"    // no connection within the timeout
	CauseNotRegistry  Cause = "not-a-registry" // something answered, not a v2 registry
	CausePolicy       Cause = "policy"         // refused by us: credentials would leave the registry
	CauseOther        Cause = ""
)

// Error is a failed registry request with its cause.
type Error struct {
	Cause Cause
	Host  string
	Err   error
}

func (e *Error) Error() string {
	switch e.Cause {
	case CauseUnauthorized:
		return fmt.Sprintf("registry %s rejected the token: %v", e.Host, e.Err)
	case CauseDenied:
		return fmt.Sprintf("registry %s denied access: %v", e.Host, e.Err)
	case CauseTLS:
		return fmt.Sprintf("TLS with registry %s failed (x509): %v", e.Host, e.Err)
	case CauseUnreachable:
		return fmt.Sprintf("registry %s is unreachable: %v", e.Host, e.Err)
	case CauseNotRegistry:
		return fmt.Sprintf("%s does not answer like a container registry: %v", e.Host, e.Err)
	case CausePolicy:
		return fmt.Sprintf("refusing to send credentials for %s: %v", e.Host, e.Err)
	}
	return fmt.Sprintf("registry %s: %v", e.Host, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// CauseOf returns the cause of err, or CauseOther.
func CauseOf(err error) Cause {
	var e *Error
	if errors.As(err, &e) {
		return e.Cause
	}
	return CauseOther
}

// classify turns a transport error into an Error, with the secret
// removed from anything a library may have quoted.
func (c *Client) classify(err error) error {
	var re *Error
	if errors.As(err, &re) {
		return re
	}
	clean := errors.New(c.redact(err.Error()))
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	var tve *tls.CertificateVerificationError
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	switch {
	case errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &cie), errors.As(err, &tve):
		return &Error{Cause: CauseTLS, Host: c.host, Err: clean}
	case errors.Is(err, http.ErrSchemeMismatch):
		return &Error{Cause: CauseNotRegistry, Host: c.host, Err: errors.New("it speaks plain HTTP, not HTTPS (pass --insecure to allow plain HTTP to this host)")}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &oe), errors.As(err, &de), errors.As(err, &ne) && ne.Timeout():
		return &Error{Cause: CauseUnreachable, Host: c.host, Err: clean}
	}
	return &Error{Host: c.host, Err: clean}
}
