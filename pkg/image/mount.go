package image

import (
	"fmt"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/types"
)

// newClient is the registry client for host with the credentials and the
// trust c/image would use for sys, so that tag and the re-push check talk
// to the registry exactly as the upload does.
func newClient(sys *types.SystemContext, host string, allowRealms []string) (*registry.Client, error) {
	creds, err := config.GetCredentials(sys, host)
	if err != nil {
		return nil, fmt.Errorf("reading credentials for %s: %w", host, err)
	}
	secret := creds.Password
	if secret == "" {
		secret = creds.IdentityToken
	}
	roots, err := auth.TrustFor(host, sys.DockerCertPath, sys.DockerPerHostCertDirPath)
	if err != nil {
		return nil, err
	}
	return registry.New(registry.Config{
		Host: host, Username: creds.Username, Secret: secret, Roots: roots, AllowRealms: allowRealms,
		Insecure: sys.DockerInsecureSkipTLSVerify == types.OptionalBoolTrue, Timeout: 30 * time.Second,
	})
}
