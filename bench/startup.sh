#!/usr/bin/env bash
# Start-up cost: `oc-registry version` against `kubectl version --client`,
# in the same run, interleaved, median of N runs each. Prints the ratio.
# Target (issue 2): <= 0.45x kubectl.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-25}
BIN=${BIN:-bin/oc-registry}
[ -x "$BIN" ] || make build >/dev/null
command -v kubectl >/dev/null || { echo "kubectl not on PATH" >&2; exit 1; }

# time_ms CMD...: wall time of one run in milliseconds.
time_ms() {
  local s e
  s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

ours=(); theirs=()
for _ in 1 2 3; do "$BIN" version >/dev/null; kubectl version --client >/dev/null 2>&1; done # warm the page cache
for _ in $(seq "$N"); do
  ours+=("$(time_ms "$BIN" version)")
  theirs+=("$(time_ms kubectl version --client)")
done
mo=$(printf '%s\n' "${ours[@]}" | median)
mk=$(printf '%s\n' "${theirs[@]}" | median)
ratio=$(awk -v a="$mo" -v b="$mk" 'BEGIN {printf "%.2f", a/b}')
printf 'runs: %d each (microseconds, median)\n' "$N"
printf '  oc-registry version        %8d us  (%s)\n' "$mo" "$(du -h "$BIN" | cut -f1)"
printf '  kubectl version --client   %8d us\n' "$mk"
printf 'ratio oc-registry/kubectl: %sx (target <= 0.45x)\n' "$ratio"
