package image

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"go.podman.io/image/v5/pkg/blobinfocache/memory"
	"go.podman.io/image/v5/types"
)

func TestBlobCacheRecordsAndFindsOtherRepos(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oc-registry", "cache.boltdb")
	cache := OpenBlobCache(path)
	d := digest.FromString("layer")
	blobs := []types.BlobInfo{{Digest: d, Size: 5}}
	for _, loc := range []struct{ host, repo string }{{"reg:5000", "a/app"}, {"reg:5000", "b/app"}, {"other:5000", "c/app"}} {
		if err := recordBlobs(cache, loc.host, loc.repo, blobs); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v, want mode 0600", err, fi)
	}
	got, err := knownElsewhere(OpenBlobCache(path), "reg:5000", "b/app", d)
	if err != nil || strings.Join(got, ",") != "a/app" {
		t.Fatalf("known elsewhere than b/app on reg:5000: %v %v, want [a/app] (not b/app itself, not another registry)", got, err)
	}
	if got, _ := knownElsewhere(cache, "reg:5000", "b/app", digest.FromString("unknown")); len(got) != 0 {
		t.Fatalf("an unknown digest has locations %v", got)
	}
}

func TestOpenBlobCacheWithoutDirIsMemory(t *testing.T) {
	blocked := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocked, nil, 0o600)
	c := OpenBlobCache(filepath.Join(blocked, "sub", "cache.boltdb"))
	if err := recordBlobs(c, "reg:5000", "a/app", []types.BlobInfo{{Digest: digest.FromString("x")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(blocked, "sub")); err == nil {
		t.Fatal("a cache directory was made under a file")
	}
}

// panicky is a cache that fails the way BoltDB does on a damaged file.
type panicky struct{ types.BlobInfoCache }

func (panicky) CandidateLocations(types.ImageTransport, types.BICTransportScope, digest.Digest, bool) []types.BICReplacementCandidate {
	panic("page 7 already freed")
}

func (panicky) RecordKnownLocation(types.ImageTransport, types.BICTransportScope, digest.Digest, types.BICLocationReference) {
	panic("invalid page type")
}

func TestDamagedCacheIsAnErrorNotACrash(t *testing.T) {
	c := panicky{memory.New()}
	if err := recordBlobs(c, "reg:5000", "a/app", []types.BlobInfo{{Digest: digest.FromString("x")}}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("record on a damaged cache: %v", err)
	}
	if _, err := knownElsewhere(c, "reg:5000", "a/app", digest.FromString("x")); err == nil {
		t.Fatal("lookup on a damaged cache gave no error")
	}
	path := filepath.Join(t.TempDir(), "cache.boltdb")
	os.WriteFile(path, []byte("garbage"), 0o600)
	var said string
	setAside(path, func(s string) { said = s })
	if _, err := os.Stat(path + ".damaged"); err != nil || !strings.Contains(said, path) {
		t.Fatalf("damaged cache not set aside: %v %q", err, said)
	}
}

// poisonRoot points both meta pages' root bucket far past the end of the
// file and fixes their checksums, as a crafted file would: BoltDB then
// reads outside its mapping, a fault recover() alone cannot catch.
func poisonRoot(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int(binary.LittleEndian.Uint32(b[24:]))
	for _, off := range []int{16, pageSize + 16} {
		meta := b[off:]
		binary.LittleEndian.PutUint64(meta[16:], 1<<20)
		h := fnv.New64a()
		h.Write(meta[:56])
		binary.LittleEndian.PutUint64(meta[56:], h.Sum64())
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCraftedCacheFaultIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.boltdb")
	blobs := []types.BlobInfo{{Digest: digest.FromString("layer")}}
	if err := recordBlobs(OpenBlobCache(path), "reg:5000", "a/app", blobs); err != nil {
		t.Fatal(err)
	}
	poisonRoot(t, path)
	_, err := knownElsewhere(OpenBlobCache(path), "reg:5000", "b/app", blobs[0].Digest)
	var damaged errCacheDamaged
	if !errors.As(err, &damaged) {
		t.Fatalf("lookup in a crafted cache: %v, want it reported as damaged", err)
	}
}

func TestCacheOthersMayWriteIsNotRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.boltdb")
	blobs := []types.BlobInfo{{Digest: digest.FromString("layer")}}
	recordBlobs(OpenBlobCache(path), "reg:5000", "a/app", blobs)
	os.Chmod(path, 0o666)
	if got, _ := knownElsewhere(OpenBlobCache(path), "reg:5000", "b/app", blobs[0].Digest); len(got) != 0 {
		t.Fatalf("a world-writable cache steered mounts: %v", got)
	}
}
