//go:build e2e

// Package e2e runs the real oc-registry binary, kubectl and skopeo against the
// local cluster (test/cluster). TestMain starts the cluster when it is not up
// and stops it afterwards unless OCR_KEEP_CLUSTER=1.
package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var env struct {
	root        string // repository root
	binDir      string // holds oc-registry and kubectl-image_registry
	bin         string
	state       string // cluster state dir (kubeconfigs, CA)
	registry    string // host:port
	public      string
	caFile      string // the cluster CA: it signs the service (internal) certificate
	ingressCA   string // the ingress CA: it signs the route's certificate
	apiServer   string
	tokens      map[string]string
	clusterLogs []string // one log per registry replica
	replicas    []string // the replicas' own host:port
	sparePod    string   // a registry pod name kwok serves spareLog for
	spareLog    string
	crane       string // path to crane, or "" when not installed
	clusterBin  string // the built test/cluster program, for stop-registry and start-registry
	clusterDir  string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	_, file, _, _ := runtime.Caller(0)
	env.root = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	clusterDir := filepath.Join(env.root, "test", "cluster")

	status := exec.Command("go", "run", ".", "status")
	status.Dir = clusterDir
	wasUp := status.Run() == nil
	if !wasUp {
		up := exec.Command("go", "run", ".", "up")
		up.Dir = clusterDir
		up.Stdout, up.Stderr = os.Stderr, os.Stderr
		if err := up.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: starting the local cluster:", err)
			return 1
		}
	}
	if !wasUp && os.Getenv("OCR_KEEP_CLUSTER") != "1" {
		defer func() {
			down := exec.Command("go", "run", ".", "down")
			down.Dir = clusterDir
			down.Stdout, down.Stderr = os.Stderr, os.Stderr
			down.Run()
		}()
	}
	if err := loadClusterEnv(clusterDir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}

	tmp, err := os.MkdirTemp("", "oc-registry-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	env.binDir = filepath.Join(tmp, "bin")
	env.bin = filepath.Join(env.binDir, "oc-registry")
	build := exec.Command("go", "build", "-tags", "containers_image_openpgp,exclude_graphdriver_btrfs,exclude_graphdriver_devicemapper",
		"-ldflags", "-X github.com/oc-registry/oc-registry/pkg/version.Version=v0.0.0-e2e", "-o", env.bin, "./cmd/oc-registry")
	build.Dir = env.root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building oc-registry:", err)
		return 1
	}
	if err := os.Link(env.bin, filepath.Join(env.binDir, "kubectl-image_registry")); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	env.clusterDir = clusterDir
	env.clusterBin = filepath.Join(tmp, "cluster")
	cb := exec.Command("go", "build", "-o", env.clusterBin, ".")
	cb.Dir = clusterDir
	cb.Stdout, cb.Stderr = os.Stderr, os.Stderr
	if err := cb.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the cluster program:", err)
		return 1
	}
	if p, err := exec.LookPath("crane"); err == nil {
		env.crane, _ = filepath.Abs(p)
	}
	return m.Run()
}

// loadClusterEnv reads `go run . env` and the token file.
func loadClusterEnv(clusterDir string) error {
	cmd := exec.Command("go", "run", ".", "env")
	cmd.Dir = clusterDir
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("cluster env: %w", err)
	}
	vars := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := strings.TrimPrefix(sc.Text(), "export ")
		k, v, ok := strings.Cut(line, "=")
		if ok {
			vars[k] = strings.Trim(v, `"`)
		}
	}
	env.state = vars["OCR_CLUSTER_STATE"]
	env.registry = vars["OCR_REGISTRY"]
	env.public = vars["OCR_REGISTRY_PUBLIC"]
	env.caFile = vars["OCR_CA_FILE"]
	env.ingressCA = vars["OCR_INGRESS_CA_FILE"]
	env.ingressCA = vars["OCR_INGRESS_CA_FILE"]
	env.apiServer = vars["OCR_API_SERVER"]
	env.clusterLogs = strings.Split(vars["OCR_REGISTRY_LOGS"], ",")
	env.replicas = strings.Split(vars["OCR_REGISTRY_REPLICAS"], ",")
	env.sparePod, env.spareLog, _ = strings.Cut(vars["OCR_REGISTRY_SPARE_POD"], "=")
	b, err := os.ReadFile(vars["OCR_TOKENS_FILE"])
	if err != nil {
		return err
	}
	env.tokens = map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ",")
		if len(f) >= 2 {
			env.tokens[f[1]] = f[0]
		}
	}
	if env.registry == "" || len(env.tokens) == 0 {
		return fmt.Errorf("cluster env incomplete: %q", out)
	}
	return nil
}
