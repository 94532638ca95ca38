#!/usr/bin/env bash
# make release-check: the release configuration is valid, the whole
# goreleaser pipeline (build, archive, checksums, krew manifest) runs for this
# machine's platform, and the generated krew manifest passes krew's own
# validator and installs with krew from the archive goreleaser just made.
#
#   hack/release-check.sh            one platform (this machine's)
#   hack/release-check.sh all        every platform of .goreleaser.yaml
#
# Tools come from .cache/tools/bin (the Makefile builds them, pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$PWD/.cache/tools/bin
mode=${1:-single}

"$tools/goreleaser" check

config=.goreleaser.yaml
if [ "$mode" = single ]; then
	# goreleaser's release has no --single-target: derive a config that
	# differs only in its platform lists.
	config=$(mktemp --suffix=.yaml)
	trap 'rm -f "$config"' EXIT
	sed -e "s/^    goos: .*/    goos: [$(go env GOOS)]/" \
		-e "s/^    goarch: .*/    goarch: [$(go env GOARCH)]/" .goreleaser.yaml >"$config"
	grep -q "goos: \[$(go env GOOS)\]" "$config" || { echo "error: could not narrow .goreleaser.yaml to one platform" >&2; exit 1; }
fi
"$tools/goreleaser" release --snapshot --clean --skip=publish --config "$config"

manifest=dist/krew/image-registry.yaml
[ -f "$manifest" ] || { echo "error: goreleaser wrote no $manifest" >&2; exit 1; }
# krew's validator: name, structure, selectors, no overlapping platforms.
# Its install step downloads each uri (the GitHub release, not reachable
# before a release exists), so installation is checked below with krew
# itself from the local archives.
"$tools/validate-krew-manifest" -manifest "$manifest" -skip-install
go run ./hack/krewcheck -manifest "$manifest" -dist dist -krew "$tools/krew"
