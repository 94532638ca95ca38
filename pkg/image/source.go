package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.podman.io/image/v5/transports"
	"go.podman.io/image/v5/types"

	// The transports push reads from; none needs a daemon. containers-storage
	// is imported by storage.go.
	_ "go.podman.io/image/v5/directory"
	_ "go.podman.io/image/v5/docker"
	_ "go.podman.io/image/v5/docker/archive"
	_ "go.podman.io/image/v5/oci/archive"
	_ "go.podman.io/image/v5/oci/layout"
)

// SourceTransports are the source forms push takes.
var SourceTransports = []string{"oci:DIR[:REF]", "oci-archive:FILE[:REF]", "docker-archive:FILE[:REF]", "dir:DIR", "docker://REGISTRY/IMAGE[:TAG]", "containers-storage:NAME[:TAG]"}

// ParseSource parses a source image. A bare path to an OCI layout
// directory (with an index.json) is taken as oci:PATH, and a bare image
// name that names an image in podman's local storage as
// containers-storage:NAME.
func ParseSource(s string) (types.ImageReference, error) {
	name, rest, ok := strings.Cut(s, ":")
	if !ok || transports.Get(name) == nil {
		if fi, err := os.Stat(s); err == nil && fi.IsDir() {
			if _, err := os.Stat(filepath.Join(s, "index.json")); err == nil {
				return ParseSource("oci:" + s)
			}
			if _, err := os.Stat(filepath.Join(s, "manifest.json")); err == nil {
				return ParseSource("dir:" + s)
			}
			return nil, fmt.Errorf("source %q: the directory holds neither an OCI layout (index.json) nor a dir: image (manifest.json)", s)
		}
		if ref, ok := localImage(s); ok {
			return ref, nil
		}
		return nil, fmt.Errorf("source %q: no such directory, and no image of that name in local container storage; name a transport, one of %s", s, strings.Join(SourceTransports, ", "))
	}
	switch name {
	case "oci", "oci-archive", "docker-archive", "dir", "docker":
	case "containers-storage":
		return storageSource(rest)
	default:
		return nil, fmt.Errorf("source %q: transport %q is not supported by push; use one of %s", s, name, strings.Join(SourceTransports, ", "))
	}
	ref, err := transports.Get(name).ParseReference(rest)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", s, err)
	}
	if name == "oci" || name == "dir" {
		if err := checkLayout(name, rest); err != nil {
			return nil, err
		}
		return concurrentRef{ref}, nil
	}
	return ref, nil
}

// checkLayout names the directory when it is not the layout asked for:
// c/image's own error does not.
func checkLayout(transport, rest string) error {
	dir := rest
	if transport == "oci" {
		dir, _, _ = strings.Cut(rest, ":")
	}
	want := map[string]string{"oci": "index.json", "dir": "manifest.json"}[transport]
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("source %s:%s: no such directory: %s", transport, rest, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
		return fmt.Errorf("source %s:%s: %s has no %s, so it is not a %s: image", transport, rest, dir, want, transport)
	}
	return nil
}

// concurrentRef marks a source whose GetBlob is safe to call in parallel.
// oci/layout and dir open a fresh file per GetBlob and share no state, but
// report HasThreadSafeGetBlob false, which makes copy.Image upload one layer
// at a time (measured: 1.5x crane's time instead of 1.25x for 4 layers).
type concurrentRef struct{ types.ImageReference }

func (r concurrentRef) NewImageSource(ctx context.Context, sys *types.SystemContext) (types.ImageSource, error) {
	src, err := r.ImageReference.NewImageSource(ctx, sys)
	if err != nil {
		return nil, err
	}
	return concurrentSource{src}, nil
}

type concurrentSource struct{ types.ImageSource }

func (concurrentSource) HasThreadSafeGetBlob() bool { return true }
