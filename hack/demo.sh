#!/usr/bin/env bash
# A short tour of oc-registry on the local cluster (make demo). It shows what
# a user would see; the cluster stays up afterwards (make cluster-down).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(cd test/cluster && go run . env)"
export PATH="$PWD/bin:$PATH"
S="$OCR_KUBECONFIG_DIR"
ns="demo-$(date +%s)"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
as() { local u=$1; shift; KUBECONFIG="$S/kubeconfig-$u" "$@"; }

kubectl create namespace "$ns" >/dev/null

step "kubectl get pods -n openshift-image-registry"
kubectl get pods -n openshift-image-registry

step "oc-registry can-i push -n $ns        # as alice, before any grant"
as alice oc-registry can-i push -n "$ns" || echo "(exit code $?)"

step "oc-registry grant editor alice -n $ns"
oc-registry grant editor alice -n "$ns"

step "oc-registry grant builder --serviceaccount $ns:ci -n $ns"
oc-registry grant builder --serviceaccount "$ns:ci" -n "$ns"

step "oc-registry can-i push -n $ns        # as alice, after the grant"
as alice oc-registry can-i push -n "$ns"

step "oc-registry who-can push -n $ns"
oc-registry who-can push -n "$ns"

# alice's own shell: her kubeconfig, her auth file, her HOME (login keeps
# the CA there; nothing goes to /etc).
img="$(mktemp -d)"
go run ./hack/mkimage "$img" 2 4 "$(date +%s)" >/dev/null
export XDG_RUNTIME_DIR="$(mktemp -d)" HOME="$(mktemp -d)"

step "oc-registry login --ca-file CA       # as alice: token from her kubeconfig, host from the cluster; as on OpenShift she may not read the CA objects, so she is given the CA"
as alice oc-registry login --internal --ca-file "$OCR_CA_FILE"

step "oc-registry push $img $ns/a/b    # a name the registry would refuse"
as alice oc-registry push "$img" "$ns/a/b" || echo "(exit code $?)"

step "oc-registry push oci:$img:latest $ns/app:v1 --tag stable"
as alice oc-registry push "oci:$img:latest" "$ns/app:v1" --tag stable

step "oc-registry tag $ns/app:v1 $ns/app:prod"
as alice oc-registry tag "$ns/app:v1" "$ns/app:prod"

step "oc-registry logs --repo $ns/app --user alice --method put --since 5m   # her push, from both registry pods"
oc-registry logs --repo "$ns/app" --user alice --method put --since 5m | tail -n 3

step "oc-registry grant metrics alice"
oc-registry grant metrics alice

step "oc-registry metrics --summary       # as alice: the route's view (she may not port-forward)"
as alice oc-registry metrics --summary --ca-file "$OCR_INGRESS_CA_FILE"

step "oc-registry revoke editor alice -n $ns"
oc-registry revoke editor alice -n "$ns"

step "oc-registry status                  # one verdict on the registry"
oc-registry status

step "oc-registry doctor $ns/app            # as alice, after the revoke: why can't she push?"
as alice oc-registry doctor "$ns/app" --cert-dir "$HOME/.config/oc-registry/certs.d/$OCR_REGISTRY" || echo "(exit code $?)"

step "oc-registry logout                  # removes the credentials and the CA login installed"
as alice oc-registry logout

step "oc-registry revoke metrics alice"
oc-registry revoke metrics alice

step "kubectl image-registry version      # the same binary, found by kubectl as a plugin"
kubectl image-registry version

printf '\nThe cluster is still up: eval "$(make -s cluster-env)" to use it, make cluster-down to stop it.\n'
