#!/usr/bin/env bash
# metrics: `oc-registry metrics 'http_.*' -l method=get` against
# `curl | grep` on the same endpoint, in the same run, interleaved, median
# of N runs each. The endpoint serves a generated exposition of SERIES
# series over TLS on 127.0.0.1. Targets (issue 12): <= 2x grep's wall time;
# peak RSS <= 3x the exposition's size plus the binary's idle RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-5}
SERIES=${SERIES:-50000}
BIN=${BIN:-bin/oc-registry}
[ -x "$BIN" ] || make build >/dev/null
tmp=$(mktemp -d)
trap 'kill $srv 2>/dev/null; rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -o "$tmp/expo" ./bench/expo
"$tmp/expo" -series "$SERIES" -ca "$tmp/ca.crt" >"$tmp/addr" &
srv=$!
for _ in $(seq 50); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
addr=$(cat "$tmp/addr")
# A kubeconfig with a token and no reachable server: --registry and
# --ca-file mean the cluster is never asked.
cat >"$tmp/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: bench-token}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
KC
export KUBECONFIG="$tmp/kubeconfig"
url="https://$addr/extensions/v2/metrics"
size=$(curl -s --cacert "$tmp/ca.crt" -u x:bench-token "$url" | wc -c)
ours() { "$BIN" metrics 'http_.*' -l method=get --registry "$addr" --ca-file "$tmp/ca.crt" 2>/dev/null; }
# curl reads the token from a file, not argv, as our users should.
printf 'user = "x:bench-token"\n' >"$tmp/curlrc"
theirs() { curl -s --cacert "$tmp/ca.crt" -K "$tmp/curlrc" "$url" | grep '^imageregistry_http_.*method="get"'; }
lines_ours=$(ours | wc -l); lines_theirs=$(theirs | wc -l)

time_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for _ in 1 2; do ours >/dev/null; theirs >/dev/null; done
o=(); g=(); r=()
for _ in $(seq "$N"); do
  o+=("$(time_ms ours)")
  g+=("$(time_ms theirs)")
  r+=("$(/usr/bin/time -f %M "$BIN" metrics 'http_.*' -l method=get --registry "$addr" --ca-file "$tmp/ca.crt" 2>&1 >/dev/null | tail -1)")
done
idle=$(/usr/bin/time -f %M "$BIN" version 2>&1 >/dev/null | tail -1)
mo=$(printf '%s\n' "${o[@]}" | median); mg=$(printf '%s\n' "${g[@]}" | median); mr=$(printf '%s\n' "${r[@]}" | median)
printf 'exposition: %d series, %d bytes; rows: oc-registry %d, grep %d\n' "$SERIES" "$size" "$lines_ours" "$lines_theirs"
printf 'wall time, median of %d:\n  oc-registry metrics   %6d ms\n  curl | grep           %6d ms\n' "$N" "$mo" "$mg"
printf 'ratio oc-registry/grep: %sx (target <= 2x)\n' "$(awk -v a="$mo" -v b="$mg" 'BEGIN {printf "%.2f", a/b}')"
printf 'peak RSS: %d KiB (idle %d KiB; budget %d KiB = 3x exposition + idle)\n' "$mr" "$idle" "$(( size * 3 / 1024 + idle ))"
