package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/oc-registry/oc-registry/pkg/registry"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/types"
	"k8s.io/apimachinery/pkg/util/wait"
)

// LockTimeout bounds the wait for another process's lock on an auth file.
var LockTimeout = 30 * time.Second

// AuthFile is one credentials file: a containers auth.json, or Docker's
// config.json (Docker and crane read only that one when it exists).
type AuthFile struct {
	Path   string // "" means the containers default for this user
	Docker bool
}

// sys names the resolved path, so that c/image edits the file we lock.
func (f AuthFile) sys() *types.SystemContext {
	if f.Docker {
		return &types.SystemContext{DockerCompatAuthFilePath: f.Resolve()}
	}
	return &types.SystemContext{AuthFilePath: f.Resolve()}
}

// writeSys is sys for writing. A file the user named (-a FILE) is written
// as a file even when registries.conf configures a credential helper: they
// asked for that file. The helpers are hidden by pointing c/image at an
// empty registries.conf, in a directory only we can write.
func (f AuthFile) writeSys() (*types.SystemContext, func(), error) {
	sys := f.sys()
	if f.Docker || f.Path == "" {
		return sys, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "oc-registry-conf")
	if err != nil {
		return nil, nil, err
	}
	sys.SystemRegistriesConfPath = filepath.Join(dir, "registries.conf")
	sys.SystemRegistriesConfDirPath = filepath.Join(dir, "registries.conf.d")
	err1 := os.WriteFile(sys.SystemRegistriesConfPath, nil, 0o600)
	err2 := os.Mkdir(sys.SystemRegistriesConfDirPath, 0o700)
	if err := errors.Join(err1, err2); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return sys, func() { os.RemoveAll(dir) }, nil
}

// Resolve returns the file's real path: when Path is "", c/image's default
// (or Docker's, for a Docker file).
// A relative path is made absolute: login records it for logout, which
// may run from another directory.
func (f AuthFile) Resolve() string {
	if f.Path != "" {
		if abs, err := filepath.Abs(f.Path); err == nil {
			return abs
		}
		return f.Path
	}
	if f.Docker {
		return DockerConfigPath()
	}
	if p := os.Getenv("REGISTRY_AUTH_FILE"); p != "" {
		return p
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "containers", "auth.json")
	}
	return fmt.Sprintf("/run/containers/%d/auth.json", os.Getuid())
}

// DockerConfigPath is ~/.docker/config.json, or $DOCKER_CONFIG/config.json.
// With no known home it is "", which Store refuses.
func DockerConfigPath() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, err := Home()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker", "config.json")
}

// Store writes user and token for host into the file, keeping every other
// entry. c/image writes atomically with mode 0600; the lock makes parallel
// logins into one file add up instead of overwriting each other. It
// returns where the credentials went: the file, or the credential helper
// that took them.
func (f AuthFile) Store(ctx context.Context, host, user, token string) (string, error) {
	if err := registry.ValidateHost(host, ""); err != nil {
		return "", err
	}
	path := f.Resolve()
	if path == "" {
		return "", errors.New("cannot tell where Docker's config.json is: set HOME or DOCKER_CONFIG")
	}
	unlock, err := lockFor(ctx, path)
	if err != nil {
		return "", err
	}
	defer unlock()
	sys, done, err := f.writeSys()
	if err != nil {
		return "", err
	}
	defer done()
	desc, err := config.SetCredentials(sys, host, user, token)
	if err != nil {
		return "", fmt.Errorf("writing credentials to %s: %w (the file was left as it was)", path, errors.Unwrap(err))
	}
	if desc != "" && desc != path {
		return desc, nil
	}
	return path, nil
}

// Remove deletes host's entry. It returns false when there was none.
func (f AuthFile) Remove(ctx context.Context, host string) (bool, error) {
	path := f.Resolve()
	if _, err := os.Stat(path); path == "" || errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	unlock, err := lockFor(ctx, path)
	if err != nil {
		return false, err
	}
	defer unlock()
	sys, done, err := f.writeSys()
	if err != nil {
		return false, err
	}
	defer done()
	err = config.RemoveAuthentication(sys, host)
	if errors.Is(err, config.ErrNotLoggedIn) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("removing %s from %s: %w", host, path, err)
	}
	return true, nil
}

// Get returns the user name stored for host, if any.
func (f AuthFile) Get(host string) (string, bool) {
	c, err := config.GetCredentials(f.sys(), host)
	if err != nil || (c.Username == "" && c.IdentityToken == "") {
		return "", false
	}
	return c.Username, true
}

// Credentials returns the user name and secret stored for host.
func (f AuthFile) Credentials(host string) (string, string, bool) {
	c, err := config.GetCredentials(f.sys(), host)
	if err != nil {
		return "", "", false
	}
	secret := c.Password
	if secret == "" {
		secret = c.IdentityToken
	}
	return c.Username, secret, secret != ""
}

// lockFor takes an exclusive flock on PATH.lock. The wait polls a
// non-blocking flock so that Ctrl-C (ctx) and LockTimeout end it; a
// blocking flock would ignore both.
func lockFor(ctx context.Context, path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the directory of %s: %w", path, err)
	}
	lf, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, LockTimeout, true, func(context.Context) (bool, error) {
		return tryLock(lf)
	})
	if err != nil {
		lf.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("locking %s: another process holds %s.lock (%v); try again, or remove the lock file if no login is running", path, path, err)
	}
	return func() {
		unlock(lf)
		lf.Close()
	}, nil
}
