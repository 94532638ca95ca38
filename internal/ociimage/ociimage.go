// Package ociimage writes the pipeline image of oc-registry as an OCI image
// layout, without a container engine: one layer per platform holding the
// static binary, the CA bundle, /etc/passwd and /etc/group with a non-root
// user, and its home; a config with that user, the entrypoint and the
// environment login needs; an index over the platforms.
//
// The output is reproducible: fixed timestamps, sorted entries, no host
// user names, so the same binaries and CA bundle give the same digest.
// `oc-registry push oci:DIR:TAG PROJECT/NAME:TAG` (or skopeo) uploads it.
package ociimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// The image's user and paths. Home is where login writes: it is a declared
// volume, so a pod with a read-only root filesystem mounts an emptyDir
// there (and on /tmp).
const (
	UID       = 65532
	UserName  = "oc-registry"
	Home      = "/home/oc-registry"
	AuthFile  = Home + "/.config/containers/auth.json"
	BinPath   = "/usr/local/bin/oc-registry"
	PluginBin = "/usr/local/bin/kubectl-image_registry"
	CABundle  = "/etc/ssl/certs/ca-certificates.crt"
)

const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// epoch is every file's and the image's creation time: reproducible builds.
var epoch = time.Unix(0, 0).UTC()

// Platform is one image of the index.
type Platform struct {
	OS, Arch, Variant string
	Binary            string // path of the static oc-registry binary for it
}

// Options describe the image.
type Options struct {
	Tag       string // the index's org.opencontainers.image.ref.name in the layout
	Version   string // org.opencontainers.image.version
	Source    string // org.opencontainers.image.source
	CABundle  string // PEM bundle to ship as CABundle
	Platforms []Platform
}

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *PlatformSpec     `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// PlatformSpec is an index entry's platform.
type PlatformSpec struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

// ImageConfig is the part of the OCI config a runtime reads.
type ImageConfig struct {
	User       string              `json:"User"`
	Env        []string            `json:"Env"`
	Entrypoint []string            `json:"Entrypoint"`
	WorkingDir string              `json:"WorkingDir"`
	Volumes    map[string]struct{} `json:"Volumes"`
	Labels     map[string]string   `json:"Labels"`
}

// Config returns the runtime config every platform's image carries.
func Config(o Options) ImageConfig {
	return ImageConfig{
		User: fmt.Sprintf("%d:%d", UID, UID),
		Env: []string{
			"PATH=/usr/local/bin",
			"HOME=" + Home,
			"REGISTRY_AUTH_FILE=" + AuthFile,
			"SSL_CERT_FILE=" + CABundle,
		},
		Entrypoint: []string{BinPath},
		WorkingDir: Home,
		Volumes:    map[string]struct{}{Home: {}, "/tmp": {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "oc-registry",
			"org.opencontainers.image.version":  o.Version,
			"org.opencontainers.image.source":   o.Source,
			"org.opencontainers.image.licenses": "Apache-2.0",
		},
	}
}

// Build writes the layout into dir and returns the index digest.
func Build(dir string, o Options) (string, error) {
	if len(o.Platforms) == 0 {
		return "", fmt.Errorf("no platform given")
	}
	ca, err := os.ReadFile(o.CABundle)
	if err != nil {
		return "", fmt.Errorf("reading the CA bundle: %w (install ca-certificates, or pass another bundle)", err)
	}
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return "", err
	}
	var manifests []Descriptor
	for _, p := range o.Platforms {
		bin, err := os.ReadFile(p.Binary)
		if err != nil {
			return "", fmt.Errorf("%s/%s binary: %w", p.OS, p.Arch, err)
		}
		if !isStaticFor(bin, p) {
			return "", fmt.Errorf("%s is not a static %s/%s executable (build it with CGO_ENABLED=0 GOOS=%s GOARCH=%s)", p.Binary, p.OS, p.Arch, p.OS, p.Arch)
		}
		layer, diffID, err := rootfs(bin, ca)
		if err != nil {
			return "", err
		}
		layerDesc, err := writeBlob(blobs, mediaLayer, layer)
		if err != nil {
			return "", err
		}
		cfg := map[string]any{
			"created":      epoch.Format(time.RFC3339),
			"architecture": p.Arch,
			"os":           p.OS,
			"config":       Config(o),
			"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
			"history":      []map[string]any{{"created": epoch.Format(time.RFC3339), "created_by": "oc-registry hack/ociimage"}},
		}
		if p.Variant != "" {
			cfg["variant"] = p.Variant
		}
		cfgDesc, err := writeJSON(blobs, mediaConfig, cfg)
		if err != nil {
			return "", err
		}
		m, err := writeJSON(blobs, mediaManifest, map[string]any{
			"schemaVersion": 2,
			"mediaType":     mediaManifest,
			"config":        cfgDesc,
			"layers":        []Descriptor{layerDesc},
		})
		if err != nil {
			return "", err
		}
		m.Platform = &PlatformSpec{Architecture: p.Arch, OS: p.OS, Variant: p.Variant}
		manifests = append(manifests, m)
	}
	index, err := writeJSON(blobs, mediaIndex, map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaIndex,
		"manifests":     manifests,
	})
	if err != nil {
		return "", err
	}
	index.Annotations = map[string]string{"org.opencontainers.image.ref.name": o.Tag}
	top, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mediaIndex, "manifests": []Descriptor{index}})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), top, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return "", err
	}
	return index.Digest, nil
}

type entry struct {
	name     string
	mode     int64
	uid      int
	typ      byte
	body     []byte
	linkname string
}

// rootfs is the one layer: a gzipped tar and its uncompressed digest.
func rootfs(bin, ca []byte) ([]byte, string, error) {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", UserName, UID, UID, UserName, Home)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", UserName, UID)
	entries := []entry{
		{name: "etc/", mode: 0o755, typ: tar.TypeDir},
		{name: "etc/passwd", mode: 0o644, typ: tar.TypeReg, body: []byte(passwd)},
		{name: "etc/group", mode: 0o644, typ: tar.TypeReg, body: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o644, typ: tar.TypeReg, body: []byte("hosts: files dns\n")},
		{name: "etc/ssl/", mode: 0o755, typ: tar.TypeDir},
		{name: "etc/ssl/certs/", mode: 0o755, typ: tar.TypeDir},
		{name: CABundle[1:], mode: 0o644, typ: tar.TypeReg, body: ca},
		{name: "home/", mode: 0o755, typ: tar.TypeDir},
		{name: Home[1:] + "/", mode: 0o700, uid: UID, typ: tar.TypeDir},
		{name: Home[1:] + "/.config/", mode: 0o700, uid: UID, typ: tar.TypeDir},
		{name: Home[1:] + "/.config/containers/", mode: 0o700, uid: UID, typ: tar.TypeDir},
		{name: "tmp/", mode: 0o1777, typ: tar.TypeDir},
		{name: "usr/", mode: 0o755, typ: tar.TypeDir},
		{name: "usr/local/", mode: 0o755, typ: tar.TypeDir},
		{name: "usr/local/bin/", mode: 0o755, typ: tar.TypeDir},
		{name: BinPath[1:], mode: 0o755, typ: tar.TypeReg, body: bin},
		// The plugin name: help then shows "oc image-registry".
		{name: PluginBin[1:], mode: 0o755, typ: tar.TypeLink, linkname: BinPath[1:]},
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, Typeflag: e.typ,
			ModTime: epoch, Linkname: e.linkname, Size: int64(len(e.body)), Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return nil, "", err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, "", err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(raw.Bytes())
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, "", err
	}
	// No name and a zero time in the gzip header: reproducible.
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return gz.Bytes(), "sha256:" + hex.EncodeToString(sum[:]), nil
}

// isStaticFor checks that bin is a Linux ELF executable for the platform's
// machine with no interpreter: a dynamically linked binary would not start
// in an image without a libc.
func isStaticFor(bin []byte, p Platform) bool {
	machine, ok := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[p.Arch]
	if p.OS != "linux" || !ok {
		return false
	}
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return false
	}
	defer f.Close()
	if f.Machine != machine || f.Type != elf.ET_EXEC {
		return false
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

func writeJSON(blobs, mediaType string, v any) (Descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Descriptor{}, err
	}
	return writeBlob(blobs, mediaType, b)
}

func writeBlob(blobs, mediaType string, b []byte) (Descriptor, error) {
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(blobs, h), b, 0o644); err != nil {
		return Descriptor{}, err
	}
	return Descriptor{MediaType: mediaType, Digest: "sha256:" + h, Size: int64(len(b))}, nil
}
