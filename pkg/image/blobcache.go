package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/opencontainers/go-digest"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/blobinfocache/boltdb"
	"go.podman.io/image/v5/pkg/blobinfocache/memory"
	"go.podman.io/image/v5/types"
	"golang.org/x/sync/errgroup"
)

// BlobCachePath is the file where push and tag remember which repositories
// of a registry hold which blobs, so that a push into another project
// mounts them instead of uploading them again. c/image's default cache is
// SQLite, which needs cgo; its BoltDB cache is pure Go. "" when the user
// has no cache directory.
func BlobCachePath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "oc-registry", "blob-info-cache-v1.boltdb")
}

// OpenBlobCache is the cache at path, or a memory-only one when path is ""
// or its directory cannot be made. BoltDB creates the file with mode 0600
// and opens it per operation, so concurrent pushes share it safely.
func OpenBlobCache(path string) types.BlobInfoCache {
	if path == "" {
		return memory.New()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return memory.New()
	}
	if fi, err := os.Lstat(path); err == nil && !private(fi) {
		// Not a file only this user could have written: its records could
		// steer mounts, so it is not read.
		return memory.New()
	}
	if !lockFree(path, 2*time.Second) {
		// Another process holds the file: go on without it rather than wait.
		return memory.New()
	}
	return boltdb.New(path)
}

// private reports whether fi is a regular file no one else may write.
// (Windows has no such mode bits.)
func private(fi os.FileInfo) bool {
	return fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode().Perm()&0o022 == 0)
}

// errCacheDamaged: BoltDB panics on some kinds of file damage, inside
// c/image's calls; the push recovers, sets the file aside and goes on
// without it.
type errCacheDamaged struct{ cause any }

func (e errCacheDamaged) Error() string {
	return fmt.Sprintf("the blob-info cache is damaged: %v", e.cause)
}

// guardCache turns a panic from the cache, or a memory fault (BoltDB reads
// its file through mmap, and a crafted file can point it outside the
// mapping), into errCacheDamaged in *err. Use: defer guardCache(&err)().
// It covers the calling goroutine, where c/image calls the cache too.
func guardCache(err *error) func() {
	prev := debug.SetPanicOnFault(true)
	return func() {
		debug.SetPanicOnFault(prev)
		if r := recover(); r != nil {
			*err = errCacheDamaged{r}
		}
	}
}

// setAside moves a damaged cache file out of the way and says so.
func setAside(path string, log func(string)) {
	if path == "" {
		return
	}
	aside := path + ".damaged"
	if err := os.Rename(path, aside); err == nil && log != nil {
		log(fmt.Sprintf("the blob-info cache %s is damaged; moved it to %s and went on without it", path, aside))
	}
}

// recordBlobs notes that repo on registry holds blobs.
func recordBlobs(cache types.BlobInfoCache, registryHost, repo string, blobs []types.BlobInfo) (err error) {
	defer guardCache(&err)()
	scope := types.BICTransportScope{Opaque: registryHost}
	loc := types.BICLocationReference{Opaque: registryHost + "/" + repo}
	for _, b := range blobs {
		cache.RecordKnownLocation(docker.Transport, scope, b.Digest, loc)
	}
	return nil
}

// knownElsewhere lists the other repositories of registryHost the cache
// says hold d, most recent first.
func knownElsewhere(cache types.BlobInfoCache, registryHost, repo string, d digest.Digest) (repos []string, err error) {
	defer guardCache(&err)()
	prefix := registryHost + "/"
	for _, c := range cache.CandidateLocations(docker.Transport, types.BICTransportScope{Opaque: registryHost}, d, false) {
		name := c.Location.Opaque
		if c.Digest != d || len(name) <= len(prefix) || name[:len(prefix)] != prefix || name[len(prefix):] == repo {
			continue
		}
		repos = append(repos, name[len(prefix):])
	}
	return repos, nil
}

// mounter links blobs the cache knows in other repositories of the
// registry into dst. c/image's own reuse check does not try these: it takes
// only cache records that carry compression data, which c/image writes
// from copy.Image's pipeline alone.
type mounter struct {
	o   Options
	dst Target

	once sync.Once
	m    *registry.Client
	err  error
}

// mountKnown reports whether d is now in dst, mounted from a repository
// the cache names. A refused mount (the user may not read that repository)
// is not an error: the blob is then uploaded.
func (mt *mounter) mountKnown(ctx context.Context, d digest.Digest) (bool, error) {
	repos, err := knownElsewhere(mt.o.Cache, mt.dst.Registry, mt.dst.Repo(), d)
	if err != nil || len(repos) == 0 {
		return false, err
	}
	mt.once.Do(func() { mt.m, mt.err = newClient(mt.o.Sys, mt.dst.Registry, mt.o.AllowRealms) })
	if mt.err != nil {
		return false, nil
	}
	for _, from := range repos {
		if ok, err := mt.m.Mount(ctx, mt.dst.Repo(), from, d.String()); err == nil && ok {
			return true, nil
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
	}
	return false, nil
}

// premount mounts every known blob before copy.Image, which takes no cache
// of ours, asks for them: it then finds them in dst and skips them.
func (mt *mounter) premount(ctx context.Context, blobs []types.BlobInfo) error {
	var g errgroup.Group
	g.SetLimit(max(mt.o.Jobs, 1))
	for _, b := range blobs {
		g.Go(func() error {
			_, err := mt.mountKnown(ctx, b.Digest)
			return err
		})
	}
	return g.Wait()
}
