// Package testimage writes OCI image layouts of random, incompressible
// layers, for tests and benchmarks. It needs no container tooling.
package testimage

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Write creates an OCI layout in dir with one image tagged ref, made of
// layers random gzip layers of layerSize uncompressed bytes each. seed makes
// the content repeatable; different seeds give different blobs. It returns
// the manifest digest.
func Write(dir, ref string, layers int, layerSize int64, seed uint64) (string, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return "", err
	}
	var descs []Descriptor
	var diffIDs []string
	for i := 0; i < layers; i++ {
		d, diffID, err := writeLayer(blobs, layerSize, seed*1000+uint64(i))
		if err != nil {
			return "", err
		}
		descs = append(descs, d)
		diffIDs = append(diffIDs, diffID)
	}
	config := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      time.Unix(0, 0).UTC().Format(time.RFC3339),
		"config":       map[string]any{"Labels": map[string]string{"seed": fmt.Sprint(seed)}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
	}
	cfgDesc, err := writeJSON(blobs, "application/vnd.oci.image.config.v1+json", config)
	if err != nil {
		return "", err
	}
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        cfgDesc,
		"layers":        descs,
	}
	mDesc, err := writeJSON(blobs, "application/vnd.oci.image.manifest.v1+json", manifest)
	if err != nil {
		return "", err
	}
	mDesc.Annotations = map[string]string{"org.opencontainers.image.ref.name": ref}
	index := map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []Descriptor{mDesc}}
	b, _ := json.Marshal(index)
	if err := os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return "", err
	}
	return mDesc.Digest, nil
}

func writeLayer(blobs string, size int64, seed uint64) (Descriptor, string, error) {
	tmp, err := os.CreateTemp(blobs, "layer-")
	if err != nil {
		return Descriptor{}, "", err
	}
	defer os.Remove(tmp.Name())
	compressed := sha256.New()
	counter := &countWriter{}
	gz, _ := gzip.NewWriterLevel(io.MultiWriter(tmp, compressed, counter), gzip.BestSpeed)
	uncompressed := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(gz, uncompressed))
	hdr := &tar.Header{Name: fmt.Sprintf("data-%d.bin", seed), Mode: 0o644, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return Descriptor{}, "", err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	if _, err := io.CopyN(tw, randReader{rng}, size); err != nil {
		return Descriptor{}, "", err
	}
	if err := tw.Close(); err != nil {
		return Descriptor{}, "", err
	}
	if err := gz.Close(); err != nil {
		return Descriptor{}, "", err
	}
	if err := tmp.Close(); err != nil {
		return Descriptor{}, "", err
	}
	dgst := hex.EncodeToString(compressed.Sum(nil))
	if err := os.Rename(tmp.Name(), filepath.Join(blobs, dgst)); err != nil {
		return Descriptor{}, "", err
	}
	return Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: "sha256:" + dgst, Size: counter.n},
		"sha256:" + hex.EncodeToString(uncompressed.Sum(nil)), nil
}

func writeJSON(blobs, mediaType string, v any) (Descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Descriptor{}, err
	}
	sum := sha256.Sum256(b)
	dgst := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(blobs, dgst), b, 0o644); err != nil {
		return Descriptor{}, err
	}
	return Descriptor{MediaType: mediaType, Digest: "sha256:" + dgst, Size: int64(len(b))}, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

type randReader struct{ r *rand.Rand }

func (r randReader) Read(p []byte) (int, error) {
	for i := 0; i+8 <= len(p); i += 8 {
		v := r.r.Uint64()
		for j := 0; j < 8; j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
	for i := len(p) &^ 7; i < len(p); i++ {
		p[i] = byte(r.r.Uint64())
	}
	return len(p), nil
}
