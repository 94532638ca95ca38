package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

func up(ctx context.Context, p *paths) error {
	t0 := time.Now()
	if st, err := p.loadState(); err == nil {
		if err := healthy(p, st); err == nil {
			fmt.Fprintln(os.Stderr, "cluster is already up and healthy; reusing it")
			return nil
		}
		fmt.Fprintln(os.Stderr, "found an unhealthy cluster from an earlier run; cleaning it up")
		if err := down(p); err != nil {
			return err
		}
	} else if _, err := os.Stat(p.state); err == nil {
		if err := down(p); err != nil {
			return err
		}
	}
	bins, err := ensureBinaries(p)
	if err != nil {
		return err
	}
	built := time.Since(t0)
	for _, port := range append([]int{etcdClientPort, etcdPeerPort, apiserverPort, registryPort, kwokPort, kcmPort}, replicaPorts...) {
		if !portFree(port) {
			return fmt.Errorf("port 127.0.0.1:%d is in use: stop what holds it (ss -ltnp 'sport = :%d')", port, port)
		}
	}
	t1 := time.Now()
	if err := startAll(ctx, p, bins); err != nil {
		fmt.Fprintf(os.Stderr, "start-up failed; logs are in %s\n", p.s("logs"))
		if st, lerr := p.loadState(); lerr == nil {
			stopAll(st)
		}
		return err
	}
	st, err := p.loadState()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "cluster ready in %.1fs (binaries ready in %.1fs); peak RSS of its processes %d MiB\n",
		time.Since(t1).Seconds(), built.Seconds(), rssPeak(st)/1024)
	fmt.Fprintf(os.Stderr, "use it with: eval \"$(cd %s && go run . env)\"\n", p.module)
	return nil
}

func startAll(ctx context.Context, p *paths, bins map[string]string) error {
	for _, d := range []string{p.state, p.s("logs"), p.s("etcd"), p.s("registry-data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	tokens, err := writePKI(p)
	if err != nil {
		return err
	}
	st := &state{PIDs: map[string]int{}, Bins: bins, Registry: registryInternal}
	if err := p.saveState(st); err != nil {
		return err
	}
	client, err := httpsClient(p)
	if err != nil {
		return err
	}

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClientPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeerPort)
	if err := start(p, st, "etcd", []string{
		"--name=default", "--data-dir=" + p.s("etcd"),
		"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=default=" + peerURL, "--unsafe-no-fsync", "--log-level=warn",
	}); err != nil {
		return err
	}
	if err := waitFor(ctx, "etcd", 20*time.Second, st.PIDs["etcd"], bins["etcd"], func() error {
		code, err := getStatus(client, etcdURL+"/health", "")
		if err == nil && code != 200 {
			err = fmt.Errorf("HTTP %d", code)
		}
		return err
	}); err != nil {
		return err
	}

	if err := start(p, st, "kube-apiserver", []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(apiserverPort),
		"--tls-cert-file=" + p.s("apiserver.crt"), "--tls-private-key-file=" + p.s("apiserver.key"),
		"--client-ca-file=" + p.s("ca.crt"),
		"--token-auth-file=" + p.s("tokens.csv"),
		"--authorization-mode=Node,RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + p.s("sa.pub"),
		"--service-account-signing-key-file=" + p.s("sa.key"),
		"--api-audiences=https://kubernetes.default.svc",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none",
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-certificate-authority=" + p.s("ca.crt"),
		"--kubelet-client-certificate=" + p.s("apiserver.crt"), "--kubelet-client-key=" + p.s("apiserver.key"),
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--v=1",
	}); err != nil {
		return err
	}
	if err := waitFor(ctx, "kube-apiserver", 60*time.Second, st.PIDs["kube-apiserver"], bins["kube-apiserver"], func() error {
		code, err := getStatus(client, fmt.Sprintf("https://127.0.0.1:%d/readyz", apiserverPort), tokens["admin"])
		if err == nil && code != 200 {
			err = fmt.Errorf("HTTP %d", code)
		}
		return err
	}); err != nil {
		return err
	}

	if err := start(p, st, "kube-controller-manager", []string{
		"--kubeconfig=" + p.s("kubeconfig-admin"),
		"--controllers=clusterrole-aggregation",
		"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(kcmPort),
		"--authentication-skip-lookup=true", "--v=1",
	}); err != nil {
		return err
	}
	dc, err := dynClient(p)
	if err != nil {
		return err
	}
	v, err := newFixtureValues(p)
	if err != nil {
		return err
	}
	if err := apply(ctx, dc, "crds.yaml", v); err != nil {
		return err
	}
	if err := apply(ctx, dc, "roles.yaml", v); err != nil {
		return err
	}
	if err := waitCRDs(ctx, dc); err != nil {
		return err
	}
	if err := waitAggregated(ctx, dc); err != nil {
		return err
	}
	if err := apply(ctx, dc, "registry.yaml", v); err != nil {
		return err
	}
	for i := range replicaPorts {
		if err := startRegistryProc(ctx, p, st, i); err != nil {
			return err
		}
	}
	if err := startBalancer(ctx, p, st); err != nil {
		return err
	}
	if err := writeKwokConfig(p, v); err != nil {
		return err
	}
	if err := startKwok(p, st); err != nil {
		return err
	}
	if err := apply(ctx, dc, "pods.yaml", v); err != nil {
		return err
	}
	return waitPodsRunning(ctx, dc, v)
}

// startRegistryProc starts replica i: its own listener and log, the
// storage shared with the other replicas.
func startRegistryProc(ctx context.Context, p *paths, st *state, i int) error {
	name := replicaName(i)
	st.Bins[name] = st.Bins["registry"]
	addr := fmt.Sprintf("127.0.0.1:%d", replicaPorts[i])
	if err := start(p, st, name, []string{
		"--addr=" + addr,
		"--tls-cert=" + p.s("registry.crt"), "--tls-key=" + p.s("registry.key"),
		"--storage=" + p.s("registry-data"),
		"--kubeconfig=" + p.s("kubeconfig-admin"),
		"--cri-log=" + p.s("logs", name+"-cri.log"),
	}, "OTEL_TRACES_EXPORTER=none", "REGISTRY_HTTP_SECRET=local-cluster-secret"); err != nil {
		return err
	}
	return waitRegistry(ctx, p, st, name, addr)
}

// startBalancer starts the route and service front: connections spread
// over the replicas that answer, as the router and the service do. It also
// runs the local operator loop (cmd/registry/operator.go): pod readiness
// from the replicas' health, the Deployment's and the operator config's
// status, and the default route from spec.defaultRoute. --operator must
// follow --balance and --kubeconfig.
func startBalancer(ctx context.Context, p *paths, st *state) error {
	st.Bins["registry-lb"] = st.Bins["registry"]
	var backends []string
	for _, port := range replicaPorts {
		backends = append(backends, fmt.Sprintf("127.0.0.1:%d", port))
	}
	v, err := newFixtureValues(p)
	if err != nil {
		return err
	}
	if err := start(p, st, "registry-lb", []string{"--addr=" + registryInternal,
		"--route-host=" + strings.Split(registryExternal, ":")[0], "--route-cert=" + p.s("ingress.crt"), "--route-key=" + p.s("ingress.key"),
		"--backend-ca=" + p.s("ca.crt"),
		"--balance=" + strings.Join(backends, ","),
		"--kubeconfig=" + p.s("kubeconfig-admin"),
		"--operator=routeHost=" + registryExternal + ";pods=" + strings.Join(v.RegistryPods, ","),
	}); err != nil {
		return err
	}
	return waitRegistry(ctx, p, st, "registry-lb", registryInternal)
}

func waitRegistry(ctx context.Context, p *paths, st *state, name, addr string) error {
	client, err := httpsClient(p)
	if err != nil {
		return err
	}
	return waitFor(ctx, name, 20*time.Second, st.PIDs[name], st.Bins[name], func() error {
		code, err := getStatus(client, "https://"+addr+"/v2/", "")
		if err == nil && code != 401 {
			err = fmt.Errorf("GET /v2/: HTTP %d, want 401", code)
		}
		return err
	})
}

// registryProcs are the processes behind the registry, front first.
func registryProcs() []string {
	names := []string{"registry-lb"}
	for i := range replicaPorts {
		names = append(names, replicaName(i))
	}
	return names
}

// healthy checks every recorded process and the two HTTP endpoints.
func healthy(p *paths, st *state) error {
	for _, name := range append([]string{"etcd", "kube-apiserver", "kube-controller-manager", "kwok"}, registryProcs()...) {
		if !alive(st.PIDs[name], st.Bins[name]) {
			return fmt.Errorf("%s is not running", name)
		}
	}
	client, err := httpsClient(p)
	if err != nil {
		return err
	}
	tok, err := readToken(p, "admin")
	if err != nil {
		return err
	}
	if code, err := getStatus(client, fmt.Sprintf("https://127.0.0.1:%d/readyz", apiserverPort), tok); err != nil || code != 200 {
		return fmt.Errorf("kube-apiserver not ready (HTTP %d, %v)", code, err)
	}
	if code, err := getStatus(client, "https://"+registryInternal+"/v2/", ""); err != nil || code != 401 {
		return fmt.Errorf("registry not answering (HTTP %d, %v)", code, err)
	}
	return nil
}

func readToken(p *paths, user string) (string, error) {
	b, err := os.ReadFile(p.s("tokens.csv"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ",")
		if len(f) >= 2 && f[1] == user {
			return f[0], nil
		}
	}
	return "", fmt.Errorf("no token for %s", user)
}

func stopAll(st *state) {
	// "registry" is the single replica of clusters started before there were two.
	for _, name := range append(append([]string{"kwok", "registry"}, registryProcs()...), "kube-controller-manager", "kube-apiserver", "etcd") {
		stop(st.PIDs[name], st.Bins[name], 10*time.Second)
	}
}

func down(p *paths) error {
	st, err := p.loadState()
	switch {
	case err == nil:
		stopAll(st)
	case errors.Is(err, fs.ErrNotExist):
	default:
		fmt.Fprintln(os.Stderr, "warning:", err)
	}
	if err := os.RemoveAll(p.state); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "cluster stopped")
	return nil
}

func status(_ context.Context, p *paths) error {
	st, err := p.loadState()
	if err != nil {
		return errors.New("cluster is not up: run 'go run . up'")
	}
	if err := healthy(p, st); err != nil {
		return err
	}
	fmt.Println("cluster is up")
	return nil
}

// stopRegistry stops every replica, or only replica which (>= 0). The
// front stays, as a router does when its backends go.
func stopRegistry(p *paths, which int) error {
	st, err := p.loadState()
	if err != nil {
		return err
	}
	// A fault, not a rollout: killed after 100ms, so that requests in
	// flight are cut rather than drained by the graceful shutdown.
	for i := range replicaPorts {
		if which < 0 || which == i {
			stop(st.PIDs[replicaName(i)], st.Bins[replicaName(i)], 100*time.Millisecond)
		}
	}
	return nil
}

// startRegistry starts the replicas that are not running.
func startRegistry(ctx context.Context, p *paths) error {
	st, err := p.loadState()
	if err != nil {
		return err
	}
	for i := range replicaPorts {
		if alive(st.PIDs[replicaName(i)], st.Bins[replicaName(i)]) {
			continue
		}
		if err := startRegistryProc(ctx, p, st, i); err != nil {
			return err
		}
	}
	return nil
}

func printEnv(p *paths) error {
	if _, err := p.loadState(); err != nil {
		return errors.New("cluster is not up: run 'go run . up' first")
	}
	vars := [][2]string{
		{"KUBECONFIG", p.s("kubeconfig-admin")},
		{"OCR_CLUSTER_STATE", p.state},
		{"OCR_KUBECONFIG_DIR", p.state},
		{"OCR_REGISTRY", registryInternal},
		{"OCR_REGISTRY_PUBLIC", registryExternal},
		{"OCR_CA_FILE", p.s("ca.crt")},
		{"OCR_INGRESS_CA_FILE", p.s("ingress-ca.crt")},
		{"OCR_TOKENS_FILE", p.s("tokens.csv")},
		{"OCR_REGISTRY_LOGS", strings.Join(replicaLogs(p), ",")},
		{"OCR_REGISTRY_REPLICAS", strings.Join(replicaAddrs(), ",")},
		{"OCR_REGISTRY_SPARE_POD", spareRegistryPod + "=" + p.s("logs", "registry-spare-cri.log")},
		{"OCR_API_SERVER", fmt.Sprintf("https://127.0.0.1:%d", apiserverPort)},
	}
	for _, kv := range vars {
		fmt.Printf("export %s=%q\n", kv[0], kv[1])
	}
	return nil
}

func replicaLogs(p *paths) []string {
	var out []string
	for i := range replicaPorts {
		out = append(out, p.s("logs", replicaName(i)+"-cri.log"))
	}
	return out
}

func replicaAddrs() []string {
	var out []string
	for _, port := range replicaPorts {
		out = append(out, fmt.Sprintf("127.0.0.1:%d", port))
	}
	return out
}
