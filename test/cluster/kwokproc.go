package main

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// startKwok starts kwok: the fake node's kubelet, serving the pods' logs
// and port-forwards.
func startKwok(p *paths, st *state) error {
	return start(p, st, "kwok", []string{
		"--kubeconfig=" + p.s("kubeconfig-admin"), "--config=" + p.s("kwok.yaml"),
		"--manage-all-nodes=true",
		"--node-ip=127.0.0.1", "--node-name=" + nodeName, "--node-port=" + strconv.Itoa(kwokPort),
		"--server-address=127.0.0.1:" + strconv.Itoa(kwokPort),
		"--tls-cert-file=" + p.s("kwok.crt"), "--tls-private-key-file=" + p.s("kwok.key"),
	})
}

// restartKwok stops and starts kwok: every log stream and port-forward
// through it is cut, as a kubelet restart cuts them.
func restartKwok(ctx context.Context, p *paths) error {
	st, err := p.loadState()
	if err != nil {
		return err
	}
	stop(st.PIDs["kwok"], st.Bins["kwok"], 10*time.Second)
	if err := startKwok(p, st); err != nil {
		return err
	}
	client, err := httpsClient(p)
	if err != nil {
		return err
	}
	return waitFor(ctx, "kwok", 20*time.Second, st.PIDs["kwok"], st.Bins["kwok"], func() error {
		_, err := getStatus(client, fmt.Sprintf("https://127.0.0.1:%d/healthz", kwokPort), "")
		return err
	})
}
