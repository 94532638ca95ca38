package ociimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/pkg/blobinfocache/none"
	"go.podman.io/image/v5/types"
)

// fakeELF writes a minimal ELF executable header for machine, with a
// PT_INTERP program header when dynamic (what a cgo binary has).
func fakeELF(t *testing.T, machine elf.Machine, dynamic bool, payload string) string {
	t.Helper()
	typ := elf.PT_LOAD
	if dynamic {
		typ = elf.PT_INTERP
	}
	h := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: 1, Shentsize: 64,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, h)
	binary.Write(&b, binary.LittleEndian, elf.Prog64{Type: uint32(typ), Off: 0, Filesz: 120, Memsz: 120, Align: 1})
	b.WriteString(payload)
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, b.Bytes(), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeCA(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(p, []byte("-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n"), 0o644)
	return p
}

func TestBuildWritesAnIndexCImageReads(t *testing.T) {
	ctx := context.Background()
	amd := fakeELF(t, elf.EM_X86_64, false, "amd64 binary")
	arm := fakeELF(t, elf.EM_AARCH64, false, "arm64 binary")
	o := Options{Tag: "v1.2.3", Version: "v1.2.3", Source: "https://example.invalid", CABundle: writeCA(t),
		Platforms: []Platform{{OS: "linux", Arch: "amd64", Binary: amd}, {OS: "linux", Arch: "arm64", Variant: "v8", Binary: arm}}}
	dir := t.TempDir()
	dgst, err := Build(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(t.TempDir(), o)
	if err != nil || again != dgst {
		t.Fatalf("not reproducible: %s then %s (%v)", dgst, again, err)
	}

	ref, err := layout.ParseReference(dir + ":v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	src, err := ref.NewImageSource(ctx, &types.SystemContext{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	raw, mt, err := src.GetManifest(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !manifest.MIMETypeIsMultiImage(mt) {
		t.Fatalf("top manifest is %s, want an index", mt)
	}
	list, err := manifest.ListFromBlob(raw, mt)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"amd64": "amd64 binary", "arm64": "arm64 binary"}
	for _, d := range list.Instances() {
		inst, err := list.Instance(d)
		if err != nil {
			t.Fatal(err)
		}
		arch := inst.ReadOnly.Platform.Architecture
		mb, mmt, err := src.GetManifest(ctx, &d)
		if err != nil {
			t.Fatal(err)
		}
		m, err := manifest.FromBlob(mb, mmt)
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			Architecture string      `json:"architecture"`
			OS           string      `json:"os"`
			Config       ImageConfig `json:"config"`
		}
		readJSON(t, ctx, src, m.ConfigInfo(), &cfg)
		if cfg.Architecture != arch || cfg.OS != "linux" {
			t.Errorf("%s: config says %s/%s", arch, cfg.OS, cfg.Architecture)
		}
		c := cfg.Config
		if c.User != "65532:65532" || strings.Join(c.Entrypoint, " ") != BinPath || c.WorkingDir != Home {
			t.Errorf("%s: config %+v", arch, c)
		}
		env := strings.Join(c.Env, "\n")
		for _, e := range []string{"HOME=" + Home, "REGISTRY_AUTH_FILE=" + AuthFile, "SSL_CERT_FILE=" + CABundle} {
			if !strings.Contains(env, e) {
				t.Errorf("%s: env lacks %s: %v", arch, e, c.Env)
			}
		}
		if _, ok := c.Volumes[Home]; !ok {
			t.Errorf("%s: %s is not a volume: %v", arch, Home, c.Volumes)
		}
		files := readLayer(t, ctx, src, m.LayerInfos()[0].BlobInfo)
		bin := files[BinPath[1:]]
		if bin == nil || !strings.HasSuffix(string(bin.body), want[arch]) || bin.h.Mode != 0o755 || bin.h.Uid != 0 {
			t.Errorf("%s: the binary in the layer: %+v", arch, bin)
		}
		if l := files[PluginBin[1:]]; l == nil || l.h.Typeflag != tar.TypeLink || l.h.Linkname != BinPath[1:] {
			t.Errorf("%s: no plugin-name link: %+v", arch, l)
		}
		if h := files[Home[1:]+"/"]; h == nil || h.h.Uid != UID || h.h.Typeflag != tar.TypeDir {
			t.Errorf("%s: home is not the user's: %+v", arch, h)
		}
		if p := files["etc/passwd"]; p == nil || !strings.Contains(string(p.body), "oc-registry:x:65532:65532:oc-registry:/home/oc-registry:") {
			t.Errorf("%s: /etc/passwd lacks the user", arch)
		}
		if ca := files[CABundle[1:]]; ca == nil || !strings.Contains(string(ca.body), "BEGIN CERTIFICATE") {
			t.Errorf("%s: no CA bundle", arch)
		}
		delete(want, arch)
	}
	if len(want) != 0 {
		t.Errorf("platforms missing from the index: %v", want)
	}
}

func TestBuildRefusesWhatWouldNotRun(t *testing.T) {
	ca := writeCA(t)
	tests := []struct {
		name string
		p    Platform
	}{
		{"dynamically linked", Platform{OS: "linux", Arch: "amd64", Binary: fakeELF(t, elf.EM_X86_64, true, "")}},
		{"another machine", Platform{OS: "linux", Arch: "arm64", Binary: fakeELF(t, elf.EM_X86_64, false, "")}},
		{"not linux", Platform{OS: "windows", Arch: "amd64", Binary: fakeELF(t, elf.EM_X86_64, false, "")}},
		{"not ELF", Platform{OS: "linux", Arch: "amd64", Binary: writeCA(t)}},
	}
	for _, tt := range tests {
		_, err := Build(t.TempDir(), Options{Tag: "x", CABundle: ca, Platforms: []Platform{tt.p}})
		if err == nil || !strings.Contains(err.Error(), "static") {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	_, err := Build(t.TempDir(), Options{Tag: "x", CABundle: filepath.Join(t.TempDir(), "none"),
		Platforms: []Platform{{OS: "linux", Arch: "amd64", Binary: fakeELF(t, elf.EM_X86_64, false, "")}}})
	if err == nil || !strings.Contains(err.Error(), "CA bundle") {
		t.Errorf("missing CA bundle: %v", err)
	}
}

func readBlob(t *testing.T, ctx context.Context, src types.ImageSource, bi types.BlobInfo) []byte {
	t.Helper()
	rc, _, err := src.GetBlob(ctx, bi, none.NoCache)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSON(t *testing.T, ctx context.Context, src types.ImageSource, bi types.BlobInfo, v any) {
	t.Helper()
	if err := json.Unmarshal(readBlob(t, ctx, src, bi), v); err != nil {
		t.Fatal(err)
	}
}

type file struct {
	h    *tar.Header
	body []byte
}

func readLayer(t *testing.T, ctx context.Context, src types.ImageSource, bi types.BlobInfo) map[string]*file {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(readBlob(t, ctx, src, bi)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string]*file{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = &file{h: h, body: b}
	}
}
