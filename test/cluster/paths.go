package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Fixed loopback ports. Tests and docs refer to them through `env`.
const (
	etcdClientPort = 23790
	etcdPeerPort   = 23800
	apiserverPort  = 16443
	registryPort   = 15000 // the route and the service: spread over the replicas
	kwokPort       = 10247
	kcmPort        = 10257
	nodeName       = "kwok-node-0"
)

// replicaPorts are the registry replicas' own listeners, one per pod,
// reached directly through each pod's kwok port-forward.
var replicaPorts = []int{15001, 15002}

// spareRegistryPod is a pod name kwok serves a log for that no pod has
// until a test creates it (a pod appearing during a rollout).
const spareRegistryPod = "image-registry-66d9c7b5f4-spare"

// benchLogPods is how many pods bench/logs.sh reads (bench-logs-N in
// namespace oc-registry-bench, logs in logs/bench-logs-N-cri.log).
const benchLogPods = 3

func replicaName(i int) string { return fmt.Sprintf("registry-%d", i) }

var (
	registryInternal = fmt.Sprintf("127.0.0.1:%d", registryPort)
	registryExternal = fmt.Sprintf("localhost:%d", registryPort)
)

// users of the static token file: name -> groups.
var users = []struct {
	name   string
	groups []string
}{
	{"admin", []string{"system:masters"}},
	{"alice", []string{"developers"}},
	{"bob", []string{"developers"}},
	{"carol", []string{"qa"}},
	{"dave", nil},
}

type paths struct {
	module string // test/cluster
	cache  string // <repo>/.cache/cluster
	state  string // <cache>/state
	bin    string // <cache>/bin
}

func newPaths() (*paths, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(wd, "cmd", "registry")); err != nil {
		return nil, fmt.Errorf("run me from test/cluster (no cmd/registry in %s)", wd)
	}
	cache := os.Getenv("OCR_CLUSTER_DIR")
	if cache == "" {
		cache = filepath.Join(wd, "..", "..", ".cache", "cluster")
	}
	cache, _ = filepath.Abs(cache)
	return &paths{module: wd, cache: cache, state: filepath.Join(cache, "state"), bin: filepath.Join(cache, "bin")}, nil
}

func (p *paths) s(name ...string) string { return filepath.Join(append([]string{p.state}, name...)...) }

// state is what `up` leaves for `env`, `down` and the next `up`.
type state struct {
	PIDs     map[string]int    `json:"pids"`
	Bins     map[string]string `json:"bins"`
	Tokens   map[string]string `json:"-"`
	Registry string            `json:"registry"`
}

func (p *paths) loadState() (*state, error) {
	b, err := os.ReadFile(p.s("state.json"))
	if err != nil {
		return nil, err
	}
	st := &state{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("%s: %w", p.s("state.json"), err)
	}
	if st.PIDs == nil {
		st.PIDs = map[string]int{}
	}
	return st, nil
}

func (p *paths) saveState(st *state) error {
	b, _ := json.MarshalIndent(st, "", "  ")
	tmp := p.s("state.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p.s("state.json"))
}
