package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeArchive makes dist/oc-registry_linux_amd64.tar.gz holding files, and
// checksums.txt; it returns the archive's sha256.
func writeArchive(t *testing.T, dist string, files ...string) string {
	t.Helper()
	p := filepath.Join(dist, "oc-registry_linux_amd64.tar.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for _, name := range files {
		body := "content of " + name
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	f.Close()
	sum, err := fileSHA256(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "checksums.txt"), []byte(sum+"  oc-registry_linux_amd64.tar.gz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return sum
}

const manifestTmpl = `apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: %s
spec:
  version: v0.0.1
  shortDescription: x
  platforms:
    - bin: %s
      uri: https://example.invalid/download/oc-registry_linux_amd64.tar.gz
      sha256: %s
      selector:
        matchLabels:
%s
`

func TestCheck(t *testing.T) {
	all := []string{"kubectl-image_registry", "LICENSE", "README.md", "kubectl_complete-image_registry"}
	labels := "          os: linux\n          arch: amd64"
	tests := []struct {
		name, plugin, bin, labels string
		files                     []string
		badSum                    bool
		wantErr                   string
	}{
		{name: "good", plugin: "image-registry", bin: "kubectl-image_registry", labels: labels, files: all},
		{name: "sha256 differs", plugin: "image-registry", bin: "kubectl-image_registry", labels: labels, files: all, badSum: true, wantErr: "has sha256"},
		{name: "no bin in the archive", plugin: "image-registry", bin: "kubectl-image_registry", labels: labels, files: all[1:], wantErr: `lacks "kubectl-image_registry"`},
		{name: "no LICENSE", plugin: "image-registry", bin: "kubectl-image_registry", labels: labels, files: []string{all[0], all[2], all[3]}, wantErr: `lacks "LICENSE"`},
		{name: "no completion shim", plugin: "image-registry", bin: "kubectl-image_registry", labels: labels, files: all[:3], wantErr: `lacks "kubectl_complete-image_registry"`},
		{name: "bin under another name", plugin: "image-registry", bin: "README.md", labels: labels, files: all, wantErr: "bin is"},
		{name: "selector without arch", plugin: "image-registry", bin: "kubectl-image_registry", labels: "          os: linux", files: all, wantErr: "selector needs"},
		{name: "name differs from the file", plugin: "registry", bin: "kubectl-image_registry", labels: labels, files: all, wantErr: "differs from the file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dist := t.TempDir()
			sum := writeArchive(t, dist, tt.files...)
			if tt.badSum {
				sum = strings.Repeat("0", 64)
			}
			mp := filepath.Join(dist, "image-registry.yaml")
			if err := os.WriteFile(mp, []byte(fmt.Sprintf(manifestTmpl, tt.plugin, tt.bin, sum, tt.labels)), 0o644); err != nil {
				t.Fatal(err)
			}
			n, err := check(mp, dist, "")
			if tt.wantErr == "" {
				if err != nil || n != 1 {
					t.Fatalf("check: %d, %v", n, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("check: %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}
