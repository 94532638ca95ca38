#!/usr/bin/env bash
# logs: `oc-registry logs --level warn -o json` over 3 pods against
# `kubectl logs POD | grep level=warn` of one pod, in the same run,
# interleaved, median of N runs; compared as lines read per second.
# LINES registry lines in all (LINES/3 per pod), served by kwok on the
# local cluster (make cluster-up). Target (issue 13): >= 1.0x kubectl's
# line rate; peak RSS reported.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-3}
LINES=${LINES:-200000}
BIN=${BIN:-bin/oc-registry}
[ -x "$BIN" ] || make build >/dev/null
eval "$(cd test/cluster && go run . env)"
state="$OCR_CLUSTER_STATE"
ns=oc-registry-bench
per=$(( LINES / 3 ))
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -o "$tmp/loggen" ./bench/loggen
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
# No controller-manager makes the default service account: the bench does.
kubectl create serviceaccount default -n "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
for i in 0 1 2; do
  "$tmp/loggen" -n "$per" -seed "$i" >"$state/logs/bench-logs-$i-cri.log"
  cat <<POD | kubectl apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: bench-logs-$i, namespace: $ns, labels: {app: bench-logs}}
spec:
  nodeName: kwok-node-0
  automountServiceAccountToken: false
  containers: [{name: registry, image: quay.io/openshift/origin-docker-registry:local}]
POD
done
kubectl wait --for=condition=Ready pod -l app=bench-logs -n "$ns" --timeout=60s >/dev/null

ours() { "$BIN" logs -n "$ns" -l app=bench-logs --level warn -o json; }
theirs() { kubectl logs -n "$ns" bench-logs-0 | grep 'level=warn'; }
rows_ours=$(ours | wc -l); rows_theirs=$(theirs | wc -l)
time_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
o=(); k=(); r=()
for _ in $(seq "$N"); do
  o+=("$(time_ms ours)")
  k+=("$(time_ms theirs)")
  r+=("$(/usr/bin/time -f %M "$BIN" logs -n "$ns" -l app=bench-logs --level warn -o json 2>&1 >/dev/null | tail -1)")
done
mo=$(printf '%s\n' "${o[@]}" | median); mk=$(printf '%s\n' "${k[@]}" | median); mr=$(printf '%s\n' "${r[@]}" | median)
ro=$(awk -v n="$(( per * 3 ))" -v t="$mo" 'BEGIN {printf "%d", n / (t / 1000)}')
rk=$(awk -v n="$per" -v t="$mk" 'BEGIN {printf "%d", n / (t / 1000)}')
printf 'lines: %d over 3 pods (oc-registry), %d of one pod (kubectl); warn rows: %d and %d\n' "$(( per * 3 ))" "$per" "$rows_ours" "$rows_theirs"
printf 'wall time, median of %d:\n  oc-registry logs --level warn -o json   %6d ms  %8d lines/s\n  kubectl logs | grep level=warn          %6d ms  %8d lines/s\n' "$N" "$mo" "$ro" "$mk" "$rk"
printf 'ratio of line rates oc-registry/kubectl: %sx (target >= 1.0x)\n' "$(awk -v a="$ro" -v b="$rk" 'BEGIN {printf "%.2f", a/b}')"
printf 'peak RSS of oc-registry logs: %d KiB\n' "$mr"
kubectl delete namespace "$ns" --wait=false >/dev/null
