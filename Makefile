# oc-registry. `make demo` and `make test` are the two set-up commands.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VPKG    := github.com/oc-registry/oc-registry/pkg/version
LDFLAGS := -s -w -X $(VPKG).Version=$(VERSION) -X $(VPKG).Commit=$(COMMIT) -X $(VPKG).Date=$(DATE)
TAGS    := containers_image_openpgp,exclude_graphdriver_btrfs,exclude_graphdriver_devicemapper
PREFIX  ?= $(HOME)/.local
BINDIR  ?= $(PREFIX)/bin
export CGO_ENABLED := 0

TOOLS   := $(CURDIR)/.cache/tools/bin
CRANE   := $(TOOLS)/crane

.PHONY: build install test unit fuzz e2e lint docs docs-check demo cluster-up cluster-down cluster-env bench tools release-check release-snapshot image man

build:
	$(GO) build -trimpath -tags $(TAGS) -ldflags "$(LDFLAGS)" -o bin/oc-registry ./cmd/oc-registry
	ln -f bin/oc-registry bin/kubectl-image_registry

install: build
	install -d $(BINDIR)
	install -m 0755 bin/oc-registry $(BINDIR)/oc-registry
	ln -f $(BINDIR)/oc-registry $(BINDIR)/kubectl-image_registry
	install -m 0755 plugin/kubectl_complete-image_registry $(BINDIR)/kubectl_complete-image_registry

# Everything CI runs: the packages the suites use, lint, generated docs up to
# date, unit tests, fuzz seeds, end-to-end tests on the local cluster (started
# and stopped by the suite).
test: deps lint docs-check unit fuzz e2e

# skopeo, podman, promtool (Debian's prometheus) and kubectl: installed when
# missing and root, else one line names them (hack/deps.sh).
.PHONY: deps
deps:
	@./hack/deps.sh

unit:
	$(GO) test -tags $(TAGS) -count=1 ./...

e2e: tools
	PATH="$(TOOLS):$$PATH" $(GO) test -tags e2e,$(TAGS) -count=1 -timeout 40m ./test/e2e/...

# The name-validation fuzzer, for a short fixed time (its seed corpus also
# runs in unit).
fuzz:
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzParseTarget -fuzztime 8s ./pkg/image
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzValidateHost -fuzztime 8s ./pkg/registry
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzParseLine -fuzztime 8s ./pkg/logs
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzParseFilter -fuzztime 8s ./pkg/metrics

lint:
	@out="$$(gofmt -l cmd pkg test hack 2>/dev/null)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags $(TAGS) ./...
	$(GO) vet -tags e2e,$(TAGS) ./test/e2e/...
	cd test/cluster && $(GO) vet ./...

docs:
	$(GO) run -tags $(TAGS) ./hack/docgen docs/reference

# Man pages (section 1) from the same commands, into dist/man:
# man -l dist/man/oc-registry.1
man:
	rm -rf dist/man
	$(GO) run -tags $(TAGS) -ldflags "-X $(VPKG).Version=$(VERSION)" ./hack/docgen -man dist/man

docs-check:
	@tmp=$$(mktemp -d); $(GO) run -tags $(TAGS) ./hack/docgen $$tmp && diff -r docs/reference $$tmp >/dev/null || { echo "docs/reference is stale: run 'make docs'"; rm -rf $$tmp; exit 1; }; rm -rf $$tmp

cluster-up:
	cd test/cluster && $(GO) run . up

cluster-down:
	cd test/cluster && $(GO) run . down

cluster-env:
	@cd test/cluster && $(GO) run . env

demo: build cluster-up
	./hack/demo.sh

bench: build
	./bench/startup.sh
	./bench/push.sh
	./bench/metrics.sh
	./bench/logs.sh

# Release archives and the krew manifest, built locally (nothing published).
# release-check: goreleaser check, the whole pipeline for this machine's
# platform, krew's validate-krew-manifest, and a krew install from the
# archive (hack/krewcheck). release-snapshot does the same for every platform.
GORELEASER    := $(TOOLS)/goreleaser
VALIDATE_KREW := $(TOOLS)/validate-krew-manifest
KREW          := $(TOOLS)/krew
RELEASE_TOOLS := $(GORELEASER) $(VALIDATE_KREW) $(KREW)

release-check: $(RELEASE_TOOLS)
	./hack/release-check.sh

release-snapshot: $(RELEASE_TOOLS)
	./hack/release-check.sh all

$(GORELEASER):
	GOBIN=$(TOOLS) $(GO) install github.com/goreleaser/goreleaser/v2@v2.15.1

$(VALIDATE_KREW):
	GOBIN=$(TOOLS) $(GO) install sigs.k8s.io/krew/cmd/validate-krew-manifest@v0.4.3

$(KREW):
	GOBIN=$(TOOLS) $(GO) install sigs.k8s.io/krew/cmd/krew@v0.4.3

# The pipeline image (docs/ci.md): an OCI layout in dist/image, an index
# over linux/amd64 and linux/arm64, built without a container engine.
# Push it with: bin/oc-registry push oci:dist/image:$(VERSION) PROJECT/oc-registry:$(VERSION)
IMAGE_DIR ?= dist/image
image:
	for arch in amd64 arm64; do \
		GOOS=linux GOARCH=$$arch $(GO) build -trimpath -tags $(TAGS) -ldflags "$(LDFLAGS)" -o dist/image-bin/linux_$$arch/oc-registry ./cmd/oc-registry || exit 1; \
	done
	$(GO) run ./hack/ociimage -out $(IMAGE_DIR) -tag $(VERSION) \
		linux/amd64=dist/image-bin/linux_amd64/oc-registry linux/arm64/v8=dist/image-bin/linux_arm64/oc-registry

# crane (a peer client for interop tests and benchmarks), pinned.
tools: $(CRANE) $(GORELEASER)

$(CRANE):
	GOBIN=$(TOOLS) $(GO) install github.com/google/go-containerregistry/cmd/crane@v0.22.1
