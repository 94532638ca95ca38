#!/usr/bin/env bash
# Push speed: oc-registry against crane and skopeo, same registry (the local
# cluster's), same image, same run. A 512 MiB image of 4 random gzip layers
# (set MIB for another size) is pushed to a fresh repository N times by each
# tool (interleaved), then re-pushed (all blobs present). Blob-info caches
# are cleared before fresh pushes so nothing is mounted from earlier runs.
# Then each tool pushes the same image into a second project (its own
# blob-info cache kept: oc-registry's and skopeo's know where the layers
# are; crane has none), and `oc-registry tag` and `crane copy` copy an image
# across projects on the same registry. Prints medians and ratios.
# Targets (issues 6 and 15): fresh <= 1.0x crane and <= 0.5x skopeo;
# re-push <= 1.5x crane; tag across projects <= 1.3x crane copy.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-3}
MIB=${MIB:-512}
LAYERS=4
make -s build tools
make -s cluster-up >/dev/null
eval "$(make -s cluster-env)"
CRANE=$PWD/.cache/tools/bin/crane
OCR=$PWD/bin/oc-registry
command -v skopeo >/dev/null || { echo "skopeo not installed (apt-get install skopeo)" >&2; exit 1; }

work=$(mktemp -d /tmp/ocr-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_RUNTIME_DIR=$work/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
ns="bench-$(date +%s)"
kubectl create namespace "$ns" >/dev/null
ns2="$ns-b"; ns3="$ns-c"
for p in "$ns2" "$ns3"; do kubectl create namespace "$p" >/dev/null; done
for p in "$ns" "$ns2" "$ns3"; do "$OCR" grant editor alice -n "$p" >/dev/null; done
export KUBECONFIG=$OCR_KUBECONFIG_DIR/kubeconfig-alice
"$OCR" login --internal --docker-config --ca-file "$OCR_CA_FILE" >/dev/null 2>&1
REG=$OCR_REGISTRY
AUTH=$XDG_RUNTIME_DIR/containers/auth.json

echo "generating a $MIB MiB image ($LAYERS layers)..." >&2
per=$(( MIB / LAYERS ))
go run ./hack/mkimage "$work/img" "$LAYERS" "$per" 42 >/dev/null
size=$(du -sm "$work/img" | cut -f1)

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
clear_caches() { rm -f /var/lib/containers/cache/blob-info-cache-v1.* "$HOME"/.local/share/containers/cache/blob-info-cache-v1.* "$HOME"/.cache/oc-registry/blob-info-cache-v1.* 2>/dev/null || true; }

# push_TOOL REPO [PROJECT]
push_ocr()    { "$OCR" push -q "oci:$work/img:latest" "${2:-$ns}/$1:v1"; }
push_crane()  { SSL_CERT_FILE=$OCR_CA_FILE "$CRANE" push "$work/img" "$REG/${2:-$ns}/$1:v1"; }
push_skopeo() { skopeo copy -q --dest-authfile "$AUTH" --dest-cert-dir "$HOME/.config/oc-registry/certs.d/$REG" "oci:$work/img:latest" "docker://$REG/${2:-$ns}/$1:v1"; }

declare -A fresh re
for tool in ocr crane skopeo; do fresh[$tool]=""; re[$tool]=""; done
for i in $(seq "$N"); do
  for tool in ocr crane skopeo; do
    clear_caches
    t=$(ms "push_$tool" "$tool-$i"); fresh[$tool]+="$t "
    echo "  fresh  $tool run $i: $t ms" >&2
  done
done
for i in $(seq "$N"); do
  for tool in ocr crane skopeo; do
    t=$(ms "push_$tool" "$tool-1"); re[$tool]+="$t "
    echo "  repush $tool run $i: $t ms" >&2
  done
done
declare -A second
for tool in ocr crane skopeo; do second[$tool]=""; done
for i in $(seq "$N"); do
  for tool in ocr crane skopeo; do
    t=$(ms "push_$tool" "$tool-second-$i" "$ns3"); second[$tool]+="$t "
    echo "  second project $tool run $i: $t ms" >&2
  done
done
tags=""; copies=""
for i in $(seq 5); do
  t=$(ms "$OCR" tag -q "$ns/ocr-1:v1" "$ns2/tagged:v$i"); tags+="$t "
  t=$(ms env SSL_CERT_FILE="$OCR_CA_FILE" "$CRANE" copy "$REG/$ns/crane-1:v1" "$REG/$ns2/copied-$i:v1"); copies+="$t "
done

m() { tr ' ' '\n' <<<"$1" | grep . | median; }
fo=$(m "${fresh[ocr]}"); fc=$(m "${fresh[crane]}"); fs=$(m "${fresh[skopeo]}")
ro=$(m "${re[ocr]}"); rc=$(m "${re[crane]}"); rs=$(m "${re[skopeo]}")
so=$(m "${second[ocr]}"); sc=$(m "${second[crane]}"); ss=$(m "${second[skopeo]}")
tg=$(m "$tags"); cc=$(m "$copies")
r() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
echo
echo "image: $size MiB on disk, $LAYERS layers; medians of $N runs (ms)"
printf '%-10s %10s %10s %10s\n' "" oc-registry crane skopeo
printf '%-10s %10s %10s %10s\n' fresh "$fo" "$fc" "$fs"
printf '%-10s %10s %10s %10s\n' re-push "$ro" "$rc" "$rs"
printf '%-10s %10s %10s %10s\n' 2nd-proj "$so" "$sc" "$ss"
printf '%-10s %10s %10s\n' tag/copy "$tg" "$cc"
echo "fresh:          oc-registry/crane $(r "$fo" "$fc")x (target <= 1.0), oc-registry/skopeo $(r "$fo" "$fs")x (target <= 0.5)"
echo "re-push:        oc-registry/crane $(r "$ro" "$rc")x (target <= 1.5), oc-registry/skopeo $(r "$ro" "$rs")x"
echo "second project: oc-registry/crane $(r "$so" "$sc")x, oc-registry/skopeo $(r "$so" "$ss")x"
echo "tag across projects vs crane copy (medians of 5): oc-registry/crane $(r "$tg" "$cc")x (target <= 1.3)"
