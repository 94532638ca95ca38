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
		clusterLogs("node-ca", "openshift-image-registry", v.NodeCAPod, "node-ca", p.s("logs", "node-ca-cri.log")),
	}
	// Each registry pod is one replica: its log is that process's log, and
	// its port 5000 forwards to that process's listener.
	for i, pod := range v.RegistryPods {
		docs = append(docs, clusterLogs(pod, "openshift-image-registry", pod, "registry", p.s("logs", replicaName(i)+"-cri.log")), fmt.Sprintf(`apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata:
  name: %[1]s
spec:
  selector:
    matchNamespaces: [openshift-image-registry]
    matchNames: [%[1]s]
  forwards:
  - ports: [5000]
    target:
      port: %[2]d
      address: 127.0.0.1
`, pod, replicaPorts[i]))
	}
	// A spare registry pod name: a pod a test creates under it during a
	// rollout gets this log, which the test writes itself.
	docs = append(docs, clusterLogs(spareRegistryPod, "openshift-image-registry", spareRegistryPod, "registry", p.s("logs", "registry-spare-cri.log")))
	if err := os.WriteFile(p.s("logs", "registry-spare-cri.log"), nil, 0o644); err != nil {
		return err
	}
	// Pods of bench/logs.sh: namespace oc-registry-bench, log files the
	// bench writes.
	for i := 0; i < benchLogPods; i++ {
		name := fmt.Sprintf("bench-logs-%d", i)
		docs = append(docs, clusterLogs(name, "oc-registry-bench", name, "registry", p.s("logs", name+"-cri.log")))
	}
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	nodeCA := fmt.Sprintf("%s stdout F copying CA for %s to /etc/docker/certs.d/%s/ca.crt\n", ts, registryInternal, registryInternal)
	if err := os.WriteFile(p.s("logs", "node-ca-cri.log"), []byte(nodeCA), 0o644); err != nil {
		return err
	}
	return os.WriteFile(p.s("kwok.yaml"), []byte(strings.Join(docs, "\n---\n")), 0o644)
}

// clusterLogs is a kwok ClusterLogs serving file as the log of container
// in pod.
func clusterLogs(name, namespace, pod, container, file string) string {
	return fmt.Sprintf(`apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: %s
spec:
  selector:
    matchNamespaces: [%s]
    matchNames: [%s]
  logs:
  - containers: [%s]
    logsFile: %s
    follow: true
`, name, namespace, pod, container, file)
}
