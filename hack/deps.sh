#!/usr/bin/env bash
# What the test suites need besides Go: skopeo and podman (clients in the
# e2e suite), promtool from the prometheus package (checks metrics -o prom),
# bash-completion and setpriv, kubectl. `make test` runs this first. As root with apt-get, the missing
# packages are installed; otherwise one line names them and it fails.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v skopeo >/dev/null || missing+=(skopeo)
command -v podman >/dev/null || missing+=(podman)
command -v promtool >/dev/null || missing+=(prometheus)
[ -f /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion) # the completion e2e test
command -v setpriv >/dev/null || missing+=(util-linux)                         # the guides run as an unprivileged user

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || echo "deps: warning: apt-get update failed; trying with the cached package lists" >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "deps: missing packages ${missing[*]}: install them (sudo apt-get install ${missing[*]}), or run make test as root" >&2
    exit 1
  fi
fi

# kubectl is on the usual machine image; build it from the cluster's pinned
# Kubernetes module when it is not.
if ! command -v kubectl >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "deps: building kubectl into /usr/local/bin from test/cluster's pinned module" >&2
    (cd test/cluster && CGO_ENABLED=0 go build -o /usr/local/bin/kubectl k8s.io/kubernetes/cmd/kubectl)
  else
    echo "deps: kubectl is missing: install it, or run make test as root to build it from test/cluster's pinned module" >&2
    exit 1
  fi
fi
