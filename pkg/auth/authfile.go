package auth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/types"
)

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

// Resolve returns the file's real path: when Path is "", c/image's default
// (or Docker's, for a Docker file).
func (f AuthFile) Resolve() string {
	if f.Path != "" {
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
func DockerConfigPath() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".docker", "config.json")
}

// Store writes user and token for host into the file, keeping every other
// entry. c/image writes atomically with mode 0600; the lock makes parallel
// logins into one file add up instead of overwriting each other.
func (f AuthFile) Store(host, user, token string) (string, error) {
	path := f.Resolve()
	unlock, err := lockFor(path)
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := config.SetCredentials(f.sys(), host, user, token); err != nil {
		return "", fmt.Errorf("writing credentials to %s: %w (the file was left as it was)", path, errors.Unwrap(err))
	}
	return path, nil
}

// Remove deletes host's entry. It returns false when there was none.
func (f AuthFile) Remove(host string) (bool, error) {
	path := f.Resolve()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	unlock, err := lockFor(path)
	if err != nil {
		return false, err
	}
	defer unlock()
	err = config.RemoveAuthentication(f.sys(), host)
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

// lockFor takes an exclusive flock on PATH.lock.
func lockFor(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the directory of %s: %w", path, err)
	}
	lf, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		lf.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
		lf.Close()
	}, nil
}
