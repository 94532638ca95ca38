// Command krewcheck checks a krew plugin manifest against the archives it
// points at, and installs each platform with krew itself:
//
//	krewcheck -manifest dist/krew/image-registry.yaml -dist dist -krew .cache/tools/bin/krew
//
// For every platform: an os and arch selector, an archive in -dist named as
// the uri ends, its sha256 equal to the manifest's and to checksums.txt,
// `bin` and a LICENSE inside it; then `krew install --manifest --archive`
// for that os and arch into a fresh KREW_ROOT (krew checks the sha256 and
// the bin again), and on this machine's platform the installed plugin runs.
// krew's validate-krew-manifest (run before this) cannot do the installs
// here: it downloads each uri, and a snapshot has no published release.
package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"sigs.k8s.io/yaml"
)

type manifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string     `json:"version"`
		ShortDescription string     `json:"shortDescription"`
		Platforms        []platform `json:"platforms"`
	} `json:"spec"`
}

type platform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string `json:"uri"`
	SHA256 string `json:"sha256"`
	Bin    string `json:"bin"`
}

func main() {
	manifestPath := flag.String("manifest", "", "krew manifest")
	dist := flag.String("dist", "dist", "directory with the archives and checksums.txt")
	krew := flag.String("krew", "", "the krew binary (empty: skip the installs)")
	flag.Parse()
	n, err := check(*manifestPath, *dist, *krew)
	if err != nil {
		fmt.Fprintln(os.Stderr, "krewcheck:", err)
		os.Exit(1)
	}
	fmt.Printf("krewcheck: %s: %d platform(s) match their archives and install with krew\n", *manifestPath, n)
}

func check(manifestPath, dist, krew string) (int, error) {
	b, err := os.ReadFile(manifestPath)
	if err != nil {
		return 0, err
	}
	var m manifest
	if err := yaml.UnmarshalStrict(b, &m, yaml.DisallowUnknownFields); err != nil {
		// goreleaser writes only fields krew knows; an unknown one means
		// a schema this check does not model: parse leniently and go on.
		if err := yaml.Unmarshal(b, &m); err != nil {
			return 0, fmt.Errorf("%s: %w", manifestPath, err)
		}
	}
	name := strings.TrimSuffix(filepath.Base(manifestPath), ".yaml")
	switch {
	case m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin":
		return 0, fmt.Errorf("not a krew v1alpha2 Plugin: %s %s", m.APIVersion, m.Kind)
	case m.Metadata.Name != name:
		return 0, fmt.Errorf("metadata.name %q differs from the file name %q", m.Metadata.Name, name)
	case len(m.Spec.Platforms) == 0:
		return 0, errors.New("no spec.platforms")
	}
	sums, err := checksums(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	for i, p := range m.Spec.Platforms {
		goos, arch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		if goos == "" || arch == "" {
			return 0, fmt.Errorf("platforms[%d]: selector needs matchLabels os and arch: %v", i, p.Selector.MatchLabels)
		}
		if seen[goos+"/"+arch] {
			return 0, fmt.Errorf("platforms[%d]: %s/%s selected twice", i, goos, arch)
		}
		seen[goos+"/"+arch] = true
		archive := filepath.Join(dist, path.Base(p.URI))
		sum, err := fileSHA256(archive)
		if err != nil {
			return 0, fmt.Errorf("platforms[%d] (%s/%s): %w", i, goos, arch, err)
		}
		if sum != p.SHA256 {
			return 0, fmt.Errorf("platforms[%d]: %s has sha256 %s, the manifest says %s", i, archive, sum, p.SHA256)
		}
		if want, ok := sums[filepath.Base(archive)]; !ok || want != sum {
			return 0, fmt.Errorf("platforms[%d]: checksums.txt has %q for %s, the file is %s", i, want, filepath.Base(archive), sum)
		}
		files, err := list(archive)
		if err != nil {
			return 0, err
		}
		wantBin := "kubectl-image_registry"
		if goos == "windows" {
			wantBin += ".exe"
		}
		for _, f := range []string{p.Bin, "LICENSE", "README.md", shimFor(goos)} {
			if !files[f] {
				return 0, fmt.Errorf("platforms[%d]: %s lacks %q (it holds %v)", i, archive, f, keys(files))
			}
		}
		if p.Bin != wantBin {
			return 0, fmt.Errorf("platforms[%d]: bin is %q, want %q (the name oc and kubectl discover)", i, p.Bin, wantBin)
		}
		if krew != "" {
			if err := install(krew, manifestPath, archive, goos, arch, p.Bin); err != nil {
				return 0, fmt.Errorf("platforms[%d] (%s/%s): %w", i, goos, arch, err)
			}
		}
	}
	return len(m.Spec.Platforms), nil
}

func shimFor(goos string) string {
	if goos == "windows" {
		return "kubectl_complete-image_registry.cmd"
	}
	return "kubectl_complete-image_registry"
}

// install runs krew install from the local archive into a fresh KREW_ROOT
// and checks what krew made: the link on krew's PATH, the LICENSE, and, on
// this machine's platform, that the plugin runs.
func install(krew, manifestPath, archive, goos, arch, bin string) error {
	root, err := os.MkdirTemp("", "krewcheck-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	cmd := exec.Command(krew, "install", "--manifest="+manifestPath, "--archive="+archive)
	cmd.Env = []string{"KREW_ROOT=" + root, "KREW_OS=" + goos, "KREW_ARCH=" + arch, "HOME=" + root, "PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("krew install: %v: %s", err, strings.TrimSpace(string(out)))
	}
	link := filepath.Join(root, "bin", "kubectl-image_registry")
	if goos == "windows" {
		link += ".exe"
	}
	if _, err := os.Lstat(link); err != nil {
		return fmt.Errorf("krew installed no %s: %w", filepath.Base(link), err)
	}
	license := false
	_ = filepath.Walk(filepath.Join(root, "store"), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() && info.Name() == "LICENSE" {
			license = true
		}
		return nil
	})
	if !license {
		return errors.New("krew did not install the LICENSE")
	}
	if goos == runtime.GOOS && arch == runtime.GOARCH {
		out, err := exec.Command(link, "version", "-o", "json").CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"version"`) {
			return fmt.Errorf("the installed plugin does not run: %v: %s", err, out)
		}
	}
	return nil
}

func checksums(p string) (map[string]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 {
			sums[fields[1]] = fields[0]
		}
	}
	return sums, sc.Err()
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// list returns the regular files of a .tar.gz or .zip archive.
func list(p string) (map[string]bool, error) {
	files := map[string]bool{}
	if strings.HasSuffix(p, ".zip") {
		z, err := zip.OpenReader(p)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		for _, f := range z.File {
			if !f.FileInfo().IsDir() {
				files[f.Name] = true
			}
		}
		return files, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if h.Typeflag == tar.TypeReg {
			files[h.Name] = true
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
