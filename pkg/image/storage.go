package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
)

// saveHint is the two-step way when local storage cannot be read here.
const saveHint = "or export it first: podman save --format oci-archive -o app.tar IMAGE, then push oci-archive:app.tar"

// storageSource opens containers-storage:REST, podman's and buildah's
// local image store, read-only. The CGO-free build reads the overlay and
// vfs drivers.
func storageSource(rest string) (types.ImageReference, error) {
	quietStorage()
	ref, err := storage.Transport.ParseReference(rest)
	if err != nil {
		return nil, fmt.Errorf("source containers-storage:%s: %w (%s)", rest, err, saveHint)
	}
	if err := probe(ref); err != nil {
		return nil, fmt.Errorf("source containers-storage:%s: %w (%s)", rest, err, saveHint)
	}
	return ref, nil
}

// localImage reports whether name (localhost/app:latest) is an image in
// the user's local container storage. Nothing is opened when the user has
// no store, so a mistyped path costs no storage start-up.
func localImage(name string) (types.ImageReference, bool) {
	if _, err := reference.ParseNormalizedNamed(name); err != nil || !haveStore() {
		return nil, false
	}
	quietStorage()
	ref, err := storage.Transport.ParseReference(name)
	if err != nil || probe(ref) != nil {
		return nil, false
	}
	return ref, true
}

func probe(ref types.ImageReference) error {
	src, err := ref.NewImageSource(context.Background(), nil)
	if err != nil {
		return err
	}
	return src.Close()
}

// haveStore reports whether the default store of this user exists (or a
// storage.conf of the user's choice names one).
func haveStore() bool {
	if os.Getenv("CONTAINERS_STORAGE_CONF") != "" {
		return true
	}
	root := "/var/lib/containers/storage"
	if os.Geteuid() != 0 {
		dir := os.Getenv("XDG_DATA_HOME")
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return false
			}
			dir = filepath.Join(home, ".local", "share")
		}
		root = filepath.Join(dir, "containers", "storage")
	}
	_, err := os.Stat(root)
	return err == nil
}

// quietStorage keeps containers/storage's info lines ("using prior storage
// driver") off the user's stderr.
func quietStorage() {
	if logrus.GetLevel() > logrus.WarnLevel {
		logrus.SetLevel(logrus.WarnLevel)
	}
}

// CloseStorage releases the default store, if push opened one.
func CloseStorage() {
	if s := storage.Transport.GetStoreIfSet(); s != nil {
		_, _ = s.Shutdown(false)
	}
}
