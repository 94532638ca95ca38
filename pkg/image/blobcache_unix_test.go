//go:build unix

package image

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"go.podman.io/image/v5/types"
)

// A cache another process holds locked is skipped after a short wait,
// not waited for.
func TestLockedCacheIsSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.boltdb")
	blobs := []types.BlobInfo{{Digest: digest.FromString("layer")}}
	recordBlobs(OpenBlobCache(path), "reg:5000", "a/app", blobs)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err := knownElsewhere(OpenBlobCache(path), "reg:5000", "b/app", blobs[0].Digest)
	if err != nil || len(got) != 0 || time.Since(start) > 10*time.Second {
		t.Fatalf("locked cache: %v %v after %s; want it skipped after about 2 s", got, err, time.Since(start))
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	if got, _ := knownElsewhere(OpenBlobCache(path), "reg:5000", "b/app", blobs[0].Digest); len(got) != 1 {
		t.Fatalf("unlocked cache: %v", got)
	}
}
