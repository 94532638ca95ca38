package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	"sigs.k8s.io/kwok/kustomize/stage/node/heartbeat"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
)

// writeKwokConfig writes kwok's stages (its own defaults, from the module)
// and the ClusterLogs that serve the registry's real log as its pods' log.
func writeKwokConfig(p *paths, v *fixtureValues) error {
	docs := []string{
		nodefast.DefaultNodeInit,
		heartbeat.DefaultNodeHeartbeat,
		podfast.DefaultPodReady,
		podfast.DefaultPodComplete,
		podfast.DefaultPodDelete,
		fmt.Sprintf(`apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: image-registry
spec:
  selector:
    matchNamespaces: [openshift-image-registry]
    matchNames: [%s]
  logs:
  - containers: [registry]
    logsFile: %s
    follow: true
`, strings.Join(v.RegistryPods, ", "), p.s("logs", "registry-cri.log")),
		fmt.Sprintf(`apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: node-ca
spec:
  selector:
    matchNamespaces: [openshift-image-registry]
    matchNames: [%s]
  logs:
  - containers: [node-ca]
    logsFile: %s
    follow: true
`, v.NodeCAPod, p.s("logs", "node-ca-cri.log")),
	}
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	nodeCA := fmt.Sprintf("%s stdout F copying CA for %s to /etc/docker/certs.d/%s/ca.crt\n", ts, registryInternal, registryInternal)
	if err := os.WriteFile(p.s("logs", "node-ca-cri.log"), []byte(nodeCA), 0o644); err != nil {
		return err
	}
	return os.WriteFile(p.s("kwok.yaml"), []byte(strings.Join(docs, "\n---\n")), 0o644)
}
