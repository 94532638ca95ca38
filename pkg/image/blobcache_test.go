package image

import (
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
