package testimage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteProducesAValidLayout(t *testing.T) {
	dir := t.TempDir()
	dgst, err := Write(dir, "v1", 2, 4096, 7)
	if err != nil {
		t.Fatal(err)
	}
	var index struct{ Manifests []Descriptor }
	b, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	if err := json.Unmarshal(b, &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json: %v %s", err, b)
	}
	if index.Manifests[0].Digest != dgst || index.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "v1" {
		t.Fatalf("index points at %+v, want %s tagged v1", index.Manifests[0], dgst)
	}
	var m struct{ Layers []Descriptor }
	mb := readBlob(t, dir, dgst)
	json.Unmarshal(mb, &m)
	if len(m.Layers) != 2 {
		t.Fatalf("got %d layers, want 2", len(m.Layers))
	}
	for _, l := range m.Layers {
		data := readBlob(t, dir, l.Digest)
		if int64(len(data)) != l.Size {
			t.Errorf("layer %s: size %d, descriptor says %d", l.Digest, len(data), l.Size)
		}
	}
	// Same seed, same content; another seed, other content.
	again, _ := Write(t.TempDir(), "v1", 2, 4096, 7)
	other, _ := Write(t.TempDir(), "v1", 2, 4096, 8)
	if again != dgst || other == dgst {
		t.Errorf("digests: %s, again %s, other seed %s", dgst, again, other)
	}
}

func readBlob(t *testing.T, dir, dgst string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(dgst, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if "sha256:"+hex.EncodeToString(sum[:]) != dgst {
		t.Fatalf("blob %s does not match its digest", dgst)
	}
	return b
}
