package image

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/docker/distribution/registry/api/errcode"
	v2 "github.com/docker/distribution/registry/api/v2"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"go.podman.io/image/v5/docker"
)

func TestTransientDecisions(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	wrap := func(err error) error { return fmt.Errorf("writing blob: uploading layer chunked: %w", err) }
	for _, tt := range []struct {
		name  string
		err   error
		retry bool
	}{
		{"429 from c/image", wrap(docker.ErrTooManyRequests), true},
		{"429 as a registry error code", wrap(errcode.ErrorCodeTooManyRequests.WithMessage("slow down")), true},
		{"503 as a registry error code", wrap(errcode.Error{Code: errcode.ErrorCodeUnavailable, Message: "maintenance"}), true},
		{"503 status without a body", wrap(docker.UnexpectedHTTPStatusError{StatusCode: 503}), true},
		{"502 status as c/image words it", errors.New(`uploading blob: StatusCode: 502, "<html>bad gateway</html>"`), true},
		{"501 status", wrap(docker.UnexpectedHTTPStatusError{StatusCode: 501}), false},
		{"connection reset", wrap(reset), true},
		{"connection refused", wrap(refused), true},
		{"registry unreachable (our client)", &registry.Error{Cause: registry.CauseUnreachable, Host: "r:5000", Err: errors.New("dial timeout")}, true},
		{"401 from c/image", wrap(docker.ErrUnauthorizedForCredentials{Err: errors.New("authentication required")}), false},
		{"401 as a registry error code", wrap(errcode.ErrorCodeUnauthorized.WithMessage("authentication required")), false},
		{"denied", wrap(errcode.ErrorCodeDenied.WithMessage("requested access to the resource is denied")), false},
		{"manifest unknown", wrap(v2.ErrorCodeManifestUnknown.WithMessage("manifest unknown")), false},
		{"429 inside a digest", errors.New("blob sha256:4290cafe4291aa7429 unknown to registry"), false},
		{"503 inside a digest", errors.New("reading blob sha256:5030503aa: no such file"), false},
		{"TLS refused (our client)", &registry.Error{Cause: registry.CauseTLS, Host: "r:5000", Err: errors.New("x509")}, false},
		{"cancelled", wrap(context.Canceled), false},
		{"nil", nil, false},
	} {
		if got := Transient(tt.err); got != tt.retry {
			t.Errorf("%s: retry = %v, want %v (%v)", tt.name, got, tt.retry, tt.err)
		}
	}
}
