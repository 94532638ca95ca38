package image

import (
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"syscall"

	"github.com/docker/distribution/registry/api/errcode"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"go.podman.io/image/v5/docker"
)

// Transient reports whether err is worth another try: a dropped or refused
// connection, a timeout, a 5xx or a 429. The decision is made on error
// types, never on free text that could hold a digest ("…429…").
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	// The registry's own answer: the same request gets the same answer,
	// unless the registry says it is busy or unavailable.
	var ec errcode.Error
	if errors.As(err, &ec) {
		return busyCode(ec.Code)
	}
	var code errcode.ErrorCode
	if errors.As(err, &code) {
		return busyCode(code)
	}
	var unauthorized docker.ErrUnauthorizedForCredentials
	if errors.As(err, &unauthorized) {
		return false
	}
	if errors.Is(err, docker.ErrTooManyRequests) {
		return true
	}
	var status docker.UnexpectedHTTPStatusError
	if errors.As(err, &status) {
		return busyStatus(status.StatusCode)
	}
	switch registry.CauseOf(err) {
	case registry.CauseUnreachable:
		return true
	case registry.CauseUnauthorized, registry.CauseDenied, registry.CauseTLS, registry.CauseNotRegistry, registry.CausePolicy:
		return false
	}
	// The connection itself.
	for _, e := range []error{syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.EPIPE, syscall.ECONNABORTED, io.ErrUnexpectedEOF, io.EOF, net.ErrClosed} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// c/image reports a status without a registry error body in an
	// unexported type whose text it fixes as "StatusCode: N, …".
	if m := statusText.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return busyStatus(n)
	}
	return false
}

var statusText = regexp.MustCompile(`\bStatusCode: (\d{3}), `)

func busyCode(c errcode.ErrorCode) bool {
	return c == errcode.ErrorCodeUnavailable || c == errcode.ErrorCodeTooManyRequests
}

// busyStatus: 429 and the 5xx a retry can cure (not 501 Not Implemented or
// 505 HTTP Version Not Supported).
func busyStatus(n int) bool {
	return n == 429 || n >= 500 && n <= 599 && n != 501 && n != 505
}
