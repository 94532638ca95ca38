package image

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/sirupsen/logrus"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// saveHint is the two-step way when local storage cannot be read here.
const saveHint = "or export it first: podman save --format oci-archive -o app.tar IMAGE, then push oci-archive:app.tar"

// storageSource opens containers-storage:REST, podman's and buildah's
// local image store, read-only. The CGO-free build reads the overlay and
// vfs drivers.
func storageSource(rest string) (types.ImageReference, error) {
	if strings.HasPrefix(rest, "[") {
		// A store specifier would open (and create) a store at any path
		// the argument names.
		return nil, fmt.Errorf("source containers-storage:%s: store specifiers are not taken; name the store in a storage.conf and point CONTAINERS_STORAGE_CONF at it", rest)
	}
	if err := openStore(); err != nil {
		return nil, fmt.Errorf("source containers-storage:%s: opening local storage: %w (%s)", rest, err, saveHint)
	}
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
	// Only what reads as an image name (localhost/app:latest), not as a
	// file (app.tar), is looked up.
	if !strings.ContainsAny(name, "/:") || strings.HasSuffix(name, ".tar") || strings.HasSuffix(name, ".tar.gz") {
		return nil, false
	}
	if _, err := reference.ParseNormalizedNamed(name); err != nil || !haveStore() {
		return nil, false
	}
	if openStore() != nil {
		return nil, false
	}
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

// haveStore reports whether this user's store, as containers/storage
// finds it (storage.conf, CONTAINERS_STORAGE_CONF, root or rootless
// defaults), exists. Nothing is opened when it does not.
func haveStore() bool {
	opts, err := cstorage.DefaultStoreOptions()
	if err != nil || opts.GraphRoot == "" {
		return false
	}
	_, err = os.Stat(opts.GraphRoot)
	return err == nil
}

// quietStorage keeps containers/storage's info lines ("using prior storage
// driver") off the user's stderr.
func quietStorage() {
	if logrus.GetLevel() > logrus.WarnLevel {
		logrus.SetLevel(logrus.WarnLevel)
	}
}

// openStore opens the user's store (storage.conf, CONTAINERS_STORAGE_CONF)
// for containers-storage references. The overlay driver is told not to
// bind-mount its home: a read-only push leaves no mount behind.
func openStore() error {
	quietStorage()
	if storage.Transport.GetStoreIfSet() != nil {
		return nil
	}
	opts, err := cstorage.DefaultStoreOptions()
	if err != nil {
		return err
	}
	opts.GraphDriverOptions = append(opts.GraphDriverOptions, "overlay.skip_mount_home=true")
	store, err := cstorage.GetStore(opts)
	if err != nil {
		return err
	}
	storage.Transport.SetStore(store)
	return nil
}

// CloseStorage releases the store, if one was opened. main calls it on
// every path, failed ones included.
func CloseStorage() {
	if s := storage.Transport.GetStoreIfSet(); s != nil {
		_, _ = s.Shutdown(false)
	}
}
