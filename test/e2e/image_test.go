//go:build e2e

package e2e

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// buildLinux cross-compiles oc-registry for linux/arch as the release does.
func buildLinux(t *testing.T, arch, version string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "oc-registry-"+arch)
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "containers_image_openpgp,exclude_graphdriver_btrfs,exclude_graphdriver_devicemapper",
		"-ldflags", "-s -w -X github.com/oc-registry/oc-registry/pkg/version.Version="+version, "-o", out, "./cmd/oc-registry")
	cmd.Dir = env.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building for linux/%s: %v\n%s", arch, err, b)
	}
	return out
}

// The pipeline image: built without a container engine (hack/ociimage, as
// make image does), pushed with our own push as an index, and checked with
// skopeo: both platforms, the entrypoint, the non-root user, HOME and the
// auth file; the binary in it runs.
func TestPipelineImage(t *testing.T) {
	const version = "v0.0.0-e2e-image"
	amd, arm := buildLinux(t, "amd64", version), buildLinux(t, "arm64", version)
	layout := filepath.Join(t.TempDir(), "image")
	cmd := exec.Command("go", "run", "./hack/ociimage", "-out", layout, "-tag", "e2e", "-version", version,
		"linux/amd64="+amd, "linux/arm64/v8="+arm)
	cmd.Dir = env.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hack/ociimage: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	built := fields[len(fields)-1]

	ns := newProject(t, "image")
	if r := ocr(t, runOpts{user: "admin"}, "grant", "editor", "alice", "-n", ns); r.code != 0 {
		t.Fatalf("grant: %s", r)
	}
	l := loggedIn(t, "alice")
	res, r := pushJSON(t, l, "alice", "oci:"+layout+":e2e", ns+"/oc-registry:e2e")
	if r.code != 0 {
		t.Fatalf("push: %s", r)
	}
	if res.Digest != built {
		t.Fatalf("pushed %s, built index %s: the index was not pushed as it is", res.Digest, built)
	}

	ref := "docker://" + env.registry + "/" + ns + "/oc-registry:e2e"
	certs := l.caDir(env.registry)
	r = execIn(t, l.opts(""), "skopeo", "inspect", "--raw", "--cert-dir", certs, ref)
	if r.code != 0 {
		t.Fatalf("skopeo inspect --raw: %s", r)
	}
	var index struct {
		MediaType string `json:"mediaType"`
		Manifests []struct {
			Platform struct{ OS, Architecture, Variant string }
		} `json:"manifests"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &index); err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, m := range index.Manifests {
		platforms = append(platforms, m.Platform.OS+"/"+m.Platform.Architecture)
	}
	sort.Strings(platforms)
	if index.MediaType != "application/vnd.oci.image.index.v1+json" || strings.Join(platforms, ",") != "linux/amd64,linux/arm64" {
		t.Fatalf("index: %s %v", index.MediaType, platforms)
	}

	for _, arch := range []string{"amd64", "arm64"} {
		r := execIn(t, l.opts(""), "skopeo", "inspect", "--config", "--override-os", "linux", "--override-arch", arch, "--cert-dir", certs, ref)
		if r.code != 0 {
			t.Fatalf("skopeo inspect --config (%s): %s", arch, r)
		}
		var cfg struct {
			Architecture string `json:"architecture"`
			Config       struct {
				User       string
				Entrypoint []string
				Env        []string
				WorkingDir string
				Volumes    map[string]any
				Labels     map[string]string
			} `json:"config"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &cfg); err != nil {
			t.Fatal(err)
		}
		c := cfg.Config
		if cfg.Architecture != arch || c.User != "65532:65532" || strings.Join(c.Entrypoint, " ") != "/usr/local/bin/oc-registry" {
			t.Errorf("%s: architecture %q, user %q, entrypoint %q", arch, cfg.Architecture, c.User, c.Entrypoint)
		}
		envs := strings.Join(c.Env, " ")
		for _, e := range []string{"HOME=/home/oc-registry", "REGISTRY_AUTH_FILE=/home/oc-registry/.config/containers/auth.json"} {
			if !strings.Contains(envs, e) {
				t.Errorf("%s: env lacks %s: %v", arch, e, c.Env)
			}
		}
		if _, ok := c.Volumes["/home/oc-registry"]; !ok || c.Labels["org.opencontainers.image.version"] != version {
			t.Errorf("%s: volumes %v, labels %v", arch, c.Volumes, c.Labels)
		}
	}

	// The amd64 image's binary runs here, with nothing from the host: it
	// is static.
	dir := filepath.Join(t.TempDir(), "img")
	r = execIn(t, l.opts(""), "skopeo", "copy", "--quiet", "--override-arch", "amd64", "--src-cert-dir", certs, ref, "dir:"+dir)
	if r.code != 0 {
		t.Fatalf("skopeo copy: %s", r)
	}
	var m struct{ Layers []struct{ Digest string } }
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("manifest: %v %s", err, b)
	}
	bin := extract(t, filepath.Join(dir, strings.TrimPrefix(m.Layers[0].Digest, "sha256:")), "usr/local/bin/oc-registry")
	run := exec.Command(bin, "version", "-o", "json")
	run.Env = []string{"HOME=" + t.TempDir()}
	vout, err := run.CombinedOutput()
	if err != nil || !strings.Contains(string(vout), `"version": "`+version+`"`) {
		t.Fatalf("the image's binary: %v: %s", err, vout)
	}
}

// extract writes one file of a gzipped layer to a temporary file.
func extract(t *testing.T, layer, name string) string {
	t.Helper()
	f, err := os.Open(layer)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the layer: %v", name, err)
		}
		if h.Name != name {
			continue
		}
		p := filepath.Join(t.TempDir(), filepath.Base(name))
		out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, tr); err != nil {
			t.Fatal(err)
		}
		out.Close()
		return p
	}
}
