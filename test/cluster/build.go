package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type binary struct {
	name    string
	pkg     string
	ldflags string
	srcDir  string // own sources that key the cache besides go.sum
}

var binaries = []binary{
	{name: "etcd", pkg: "./cmd/etcd", srcDir: "cmd/etcd"},
	{name: "kube-apiserver", pkg: "k8s.io/kubernetes/cmd/kube-apiserver",
		ldflags: "-X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"},
	// Only its clusterrole-aggregation controller runs: OpenShift's
	// aggregate-to-admin/edit/view roles give admin, edit and view their
	// image rules (openshift-apiserver pkg/bootstrappolicy/policy.go).
	{name: "kube-controller-manager", pkg: "k8s.io/kubernetes/cmd/kube-controller-manager",
		ldflags: "-X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"},
	{name: "kwok", pkg: "sigs.k8s.io/kwok/cmd/kwok"},
	{name: "registry", pkg: "./cmd/registry", srcDir: "cmd/registry"},
}

// ensureBinaries builds what is missing from the cache. Binaries are keyed by
// go.mod and go.sum (and their own sources), so a warm start builds nothing.
func ensureBinaries(p *paths) (map[string]string, error) {
	out := map[string]string{}
	for _, b := range binaries {
		key, err := cacheKey(p, b)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(p.bin, b.name+"-"+key)
		out[b.name] = path
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if err := os.MkdirAll(p.bin, 0o755); err != nil {
			return nil, err
		}
		note := ""
		if b.name == "kube-apiserver" || b.name == "kube-controller-manager" {
			note = " (a cold build takes 10 to 20 minutes on 2 cores)"
		}
		fmt.Fprintf(os.Stderr, "building %s%s...\n", b.name, note)
		start := time.Now()
		tmp := path + ".tmp"
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", strings.TrimSpace("-s -w "+b.ldflags), "-o", tmp, b.pkg)
		cmd.Dir = p.module
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("building %s: %w", b.name, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "built %s in %s\n", b.name, time.Since(start).Round(time.Second))
		pruneOld(p.bin, b.name, path)
	}
	return out, nil
}

func cacheKey(p *paths, b binary) (string, error) {
	h := sha256.New()
	files := []string{"go.mod", "go.sum"}
	if b.srcDir != "" {
		err := filepath.WalkDir(filepath.Join(p.module, b.srcDir), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
				rel, _ := filepath.Rel(p.module, path)
				files = append(files, rel)
			}
			return err
		})
		if err != nil {
			return "", err
		}
	}
	sort.Strings(files[2:])
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(p.module, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// pruneOld removes older builds of the same binary.
func pruneOld(dir, name, keep string) {
	matches, _ := filepath.Glob(filepath.Join(dir, name+"-*"))
	for _, m := range matches {
		if m != keep && !strings.HasSuffix(m, ".tmp") {
			os.Remove(m)
		}
	}
}
