# docuflow-operator: build, test and run the DocuFlowStack operator.
# Every tool is pinned and installed into bin/ from the Go module proxy; nothing is
# assumed on PATH but Go, make and git.

# The Go toolchain every go command below runs on; go.mod, the nested modules and
# the Dockerfiles' golang: images name the same version (make verify checks the
# images). The export is what makes it stick: a machine starts on its own Go and
# ignores go.mod's toolchain line when GOTOOLCHAIN is local, which is the default
# here and in the golang images. The go command fetches this version from the
# module proxy once (about 10 seconds). It carries the standard-library fixes
# govulncheck asks for (M5); every target below runs on it.
GO_TOOLCHAIN := go1.27.3
export GOTOOLCHAIN := $(GO_TOOLCHAIN)

# Image the operator is built into. dist/install.yaml and the chart in the
# repository are built for BUNDLE_IMG; a release builds them for its own IMG
# (a version tag or a digest).
BUNDLE_IMG := docuflow/docuflow-operator:dev
IMG ?= $(BUNDLE_IMG)
# Image of the DocuFlow API itself (app/).
APP_IMG ?= docuflow/docuflow-api:dev

# Pinned tool versions.
CONTROLLER_TOOLS_VERSION ?= v0.20.1
KUSTOMIZE_VERSION ?= v5.7.1
GOLANGCI_LINT_VERSION ?= v2.15.0
# govulncheck, and the Go vulnerability database it reads. vuln.go.dev cannot be
# reached from here, so the database is built from the golang.org/x/vulndb module
# (its data/osv reports, served by the module proxy) with that module's
# cmd/indexdb. The pseudo-version is the database's date: bump it to what
# `go list -m golang.org/x/vulndb@latest` prints to pick up newer reports.
GOVULNCHECK_VERSION ?= v1.9.0
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
# The control plane envtest runs, built from source by hack/build-k8s-binaries.sh.
ENVTEST_K8S_VERSION ?= 1.37.2

# Upstream ACK CRDs for conformance (and for the integration tests when set).
ACK_CRDS_DIR ?=
# Source of the eight upstream ACK controllers the end-to-end suite runs, and
# where they are built (once; hack/build-ack-controllers.sh).
ACK_CONTROLLERS_DIR ?= $(CURDIR)/../shared/ack/controllers
ACK_BIN_DIR ?= $(CURDIR)/bin/ack

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

# Tool binaries carry their version in the name, so changing a pin installs the new one.
# The tools that load and type-check Go packages (controller-gen, golangci-lint,
# govulncheck) fail on a standard library newer than the Go they were built with,
# so they live in one directory per toolchain: changing GO_TOOLCHAIN reinstalls them.
LOCALBIN ?= $(CURDIR)/bin/tools/$(GO_TOOLCHAIN)
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
KUSTOMIZE ?= $(LOCALBIN)/kustomize-$(KUSTOMIZE_VERSION)
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
GOVULNCHECK ?= $(LOCALBIN)/govulncheck-$(GOVULNCHECK_VERSION)
# indexdb only reads JSON, so one build serves every toolchain.
INDEXDB ?= $(CURDIR)/bin/tools/indexdb-$(VULNDB_VERSION)
VULNDB_DIR ?= $(CURDIR)/bin/vulndb/$(VULNDB_VERSION)
# The packages of the two shipped binaries: the operator's (with its dev CLI), and
# the app's, in the app's own module (app/).
VULNCHECK_PKGS ?= ./cmd/...
APP_VULNCHECK_PKGS ?= ./cmd/...
# Extra govulncheck flags, e.g. GOVULNCHECK_FLAGS='-show verbose' to list the
# vulnerabilities in dependencies that the code does not reach.
GOVULNCHECK_FLAGS ?=
ENVTEST_DIR ?= $(CURDIR)/bin/k8s/$(ENVTEST_K8S_VERSION)
KUBECTL ?= $(ENVTEST_DIR)/kubectl

# Every go.mod in the repository. A package pattern such as ./... stops at a
# nested go.mod, so each module is covered by its own commands: the operator (.)
# and the app (app/, a module of its own so that its dependencies carry no
# Kubernetes modules) by vet, lint, the go.mod checks, vulncheck and test;
# test/chart and test/argocd/engine by verify and their test-* targets;
# hack/tools/* only pin what hack/build-k8s-binaries.sh builds. make verify fails
# when this list and the go.mod files in the tree differ, so that a new module
# cannot slip past every check.
GO_MODULES := . app test/chart test/argocd/engine hack/tools/etcd hack/tools/k8s

# Tests find the control plane through KUBEBUILDER_ASSETS; ACK_CRDS_DIR, when set,
# swaps the generated test CRDs for the upstream ones.
TEST_ENV = KUBEBUILDER_ASSETS=$(ENVTEST_DIR) $(if $(ACK_CRDS_DIR),ACK_CRDS_DIR=$(abspath $(ACK_CRDS_DIR)))
# -race: the reconciler writes children concurrently and the simulator and
# test harnesses run many goroutines; a data race fails the suite.
GO_TEST_FLAGS ?= -count=1 -race -timeout 45m

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: controller-gen ## Generate deepcopy code for the API and the ACK mirrors.
	$(CONTROLLER_GEN) object paths="./api/..." paths="./internal/ack/..."

.PHONY: manifests
manifests: controller-gen ## Generate the CRD, the RBAC role, the guard-rail CRD (config/policy) and the ACK test CRDs.
	rm -rf config/crd/bases config/policy/crd test/crds/ack
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./api/v1alpha1/..." paths="./controllers/..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	$(CONTROLLER_GEN) crd paths="./api/policy/..." output:crd:artifacts:config=config/policy/crd
	$(CONTROLLER_GEN) crd:allowDangerousTypes=true paths="./internal/ack/..." output:crd:dir=test/crds/ack

.PHONY: docs
docs: ## Generate docs/reference.md, the field reference, from the CRD.
	go run ./hack/crddoc

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -w $$(git ls-files --cached --others --exclude-standard '*.go')

.PHONY: vet
vet: ## Run go vet on the operator (conformance build tag included) and the app.
	go vet -tags conformance ./...
	cd app && go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint on the operator and the app (one .golangci.yml for both).
	$(GOLANGCI_LINT) run --build-tags conformance ./...
	cd app && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...

.PHONY: verify
verify: controller-gen kustomize ## Fail when generated code is stale, a go.mod is untidy or not in GO_MODULES, gofmt, vet or lint complain, a base image is not the pinned tag, config/shards does not build, or govulncheck finds a reachable vulnerability.
	@found=$$(git ls-files --cached --others --exclude-standard go.mod '*/go.mod' | xargs -n1 dirname | sort); \
		known=$$(printf '%s\n' $(GO_MODULES) | sort); \
		if [ "$$found" != "$$known" ]; then \
			echo "The go.mod files in the tree are in" $$found "but GO_MODULES lists" $$known": ./... stops at a nested module, so add it to GO_MODULES and to the targets that must cover it" >&2; exit 1; fi
	CONTROLLER_GEN=$(CONTROLLER_GEN) hack/verify-generated.sh
	go mod tidy -diff
	cd app && go mod tidy -diff
	cd test/chart && go mod tidy -diff && go vet ./...
	cd test/argocd/engine && go mod tidy -diff && go vet ./...
	hack/build-installer.sh -check $(KUSTOMIZE) $(BUNDLE_IMG) dist/install.yaml
	$(KUSTOMIZE) build config/shards >/dev/null
	go run ./hack/chartgen -check
	go run ./hack/crddoc -check
	hack/check-image-pins.sh $(GO_TOOLCHAIN) Dockerfile app/Dockerfile
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(MAKE) vet lint vulncheck

.PHONY: verify-release
verify-release: ## Before a release (README: release checklist), where the registries and AWS can be reached: base images pinned by digest, IMG and APP_IMG not the development images, the RDS CA bundle identical to AWS's download, then make verify.
	hack/check-image-pins.sh -release $(GO_TOOLCHAIN) Dockerfile app/Dockerfile
	@if [ "$(IMG)" = "$(BUNDLE_IMG)" ] || [ "$(APP_IMG)" = docuflow/docuflow-api:dev ]; then \
		echo "IMG and APP_IMG must name the release (a version tag or @sha256: digest), not the development images" >&2; exit 1; fi
	cd app/internal/dbtls && go run fetchbundle.go -check
	$(MAKE) verify

.PHONY: vulncheck
vulncheck: govulncheck vulndb ## Run govulncheck on both binaries against the pinned offline database; fails on a vulnerability the code reaches.
	$(GOVULNCHECK) -db file://$(VULNDB_DIR) $(GOVULNCHECK_FLAGS) $(VULNCHECK_PKGS)
	$(GOVULNCHECK) -C app -db file://$(VULNDB_DIR) $(GOVULNCHECK_FLAGS) $(APP_VULNCHECK_PKGS)

.PHONY: test
test: envtest ack-controllers ## Run every test: the app's, then unit, envtest integration and the end-to-end suite on the real ACK controllers over a local AWS (test/e2e), the chart's and Argo CD's.
	$(MAKE) test-app
	$(TEST_ENV) go test $(GO_TEST_FLAGS) ./...
	$(MAKE) test-chart
	$(MAKE) test-argocd

.PHONY: test-app
test-app: ## Run the app's tests (app/, a Go module of its own) against a throwaway PostgreSQL and moto's server; they fail, not skip, when either is missing.
	cd app && go test $(GO_TEST_FLAGS) ./...

.PHONY: test-chart
test-chart: ## Lint the Helm chart in dist/chart and check what it renders against dist/install.yaml (test/chart, a Go module of its own).
	cd test/chart && go test -count=1 ./...

.PHONY: test-argocd
test-argocd: ## Run config/argocd/health.lua on Argo CD's own Lua engine and argocd-cm loading (test/argocd/engine, a Go module of its own; the first run compiles Argo CD, 5 to 15 minutes).
	cd test/argocd/engine && go test -count=1 ./...

.PHONY: test-e2e
test-e2e: envtest ack-controllers ## Run only the end-to-end suite on the real ACK controllers (moto's server as the local AWS), keeping the processes' logs.
	$(TEST_ENV) go test $(GO_TEST_FLAGS) -v ./test/e2e/ -args -e2e.keep-logs

.PHONY: bench
bench: envtest ## Scale benchmarks: the floor (no operator) and the operator at N = 1, 10, 100, 300 stacks, a cold restart after each, then realistic delays (BENCH_N, BENCH_SHARDS, BENCH_PPROF, ...); about 40 minutes. Figures: docs/benchmarks.md.
	$(TEST_ENV) go test -run '^$$' -bench . -benchtime 1x -timeout 120m ./test/bench/

.PHONY: fuzz
fuzz: ## Fuzz the builders for FUZZTIME (default 30s): valid specs never panic and always give schema-valid, secure objects.
	go test -run '^$$' -fuzz FuzzBuild -fuzztime $(or $(FUZZTIME),30s) -fuzzminimizetime 10x ./internal/desired/

.PHONY: conformance
conformance: envtest ## Prove the ACK mirrors against upstream CRDs: make conformance ACK_CRDS_DIR=../shared/ack/crds
	@if [ -z "$(ACK_CRDS_DIR)" ]; then \
		echo "ACK_CRDS_DIR is not set: point it at the upstream ACK CRDs, e.g. make conformance ACK_CRDS_DIR=../shared/ack/crds (the releases are listed in its VERSIONS file)" >&2; exit 1; fi
	@if [ ! -d "$(ACK_CRDS_DIR)" ]; then echo "ACK_CRDS_DIR=$(ACK_CRDS_DIR) is not a directory" >&2; exit 1; fi
	$(TEST_ENV) go test -tags conformance $(GO_TEST_FLAGS) -v ./test/conformance/...

##@ Build

.PHONY: build
build: ## Build the operator binary into bin/docuflow.
	CGO_ENABLED=0 go build -trimpath -o bin/docuflow ./cmd/docuflow

.PHONY: build-installer
build-installer: manifests kustomize ## Write the release bundle dist/install.yaml (config/default pinned to IMG) and the chart's generated templates (CRD, manager role) in dist/chart.
	hack/build-installer.sh $(KUSTOMIZE) $(IMG) dist/install.yaml
	go run ./hack/chartgen

.PHONY: kubectl-plugin
kubectl-plugin: build ## Install the operator binary as the kubectl plugin kubectl-docuflow into bin/ (put bin/ on PATH, then: kubectl docuflow trace STACK -n NAMESPACE, kubectl docuflow plan -f FILE).
	cp bin/docuflow bin/kubectl-docuflow

.PHONY: demo
demo: envtest kubectl $(if $(filter real,$(ACK)),ack-controllers) ## The first command: the operator end to end on an embedded control plane with a simulated AWS (ARGS=--keep to explore after); ACK=real runs it on the real ACK controllers over a local AWS.
	$(TEST_ENV) go run ./cmd/docuflow-dev demo $(if $(filter real,$(ACK)),--ack=real --ack-crds=$(or $(ACK_CRDS_DIR),$(CURDIR)/../shared/ack/crds)) $(ARGS)

.PHONY: run
run: envtest kubectl ## Run the operator with a simulated AWS on an embedded control plane and the sample stack until Ctrl-C.
	$(TEST_ENV) go run ./cmd/docuflow-dev demo --walkthrough=false --keep $(ARGS)

.PHONY: run-cluster
run-cluster: ## Run the operator against the cluster of the current kubeconfig.
	go run ./cmd/docuflow manager --leader-elect=false $(ARGS)

.PHONY: docker-build
docker-build: ## Build the operator image (needs a Docker engine; there is none on the CI machines).
	docker build -t $(IMG) .

.PHONY: docker-build-app
docker-build-app: ## Build the DocuFlow API image from app/Dockerfile (needs a Docker engine).
	docker build -f app/Dockerfile -t $(APP_IMG) .

##@ Deployment

.PHONY: install
install: manifests kustomize kubectl ## Install the DocuFlowStack CRD into the cluster of the current kubeconfig.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: manifests kustomize kubectl ## Remove the CRD (and so every DocuFlowStack) from the cluster.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found -f -

.PHONY: deploy
deploy: manifests kustomize kubectl ## Deploy the operator (image IMG) to the cluster of the current kubeconfig.
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: kustomize kubectl ## Remove the operator from the cluster.
	$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found -f -

##@ Tools

.PHONY: envtest
envtest: ## Build kube-apiserver and etcd for envtest into bin/k8s/<version> (once).
	hack/build-k8s-binaries.sh $(ENVTEST_DIR) kube-apiserver etcd

.PHONY: kubectl
kubectl: ## Build kubectl into bin/k8s/<version> (once).
	hack/build-k8s-binaries.sh $(ENVTEST_DIR) kubectl

.PHONY: ack-controllers
ack-controllers: ## Build the eight upstream ACK controllers from ACK_CONTROLLERS_DIR into bin/ack (once; about 17 minutes cold on two cores).
	hack/build-ack-controllers.sh $(ACK_CONTROLLERS_DIR) $(ACK_BIN_DIR)

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN)
$(CONTROLLER_GEN):
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: kustomize
kustomize: $(KUSTOMIZE)
$(KUSTOMIZE):
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT)
$(GOLANGCI_LINT):
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

# The vulnerability database, as govulncheck -db file:// reads it, built once per
# VULNDB_VERSION from the module's reports (downloaded outside this module, so
# neither go.mod nor go.sum learns about golang.org/x/vulndb).
.PHONY: vulndb
vulndb: $(VULNDB_DIR)/index/db.json
$(VULNDB_DIR)/index/db.json: | $(INDEXDB)
	@set -e; echo "Building the Go vulnerability database golang.org/x/vulndb@$(VULNDB_VERSION) into $(VULNDB_DIR)"; \
	tmp=$$(mktemp -d); \
	src=$$(cd $$tmp && go mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	rm -rf $$tmp; \
	test -d "$$src/data/osv" || { echo "golang.org/x/vulndb@$(VULNDB_VERSION) has no data/osv" >&2; exit 1; }; \
	rm -rf $(VULNDB_DIR).tmp; $(INDEXDB) -vulns "$$src/data/osv" -out $(VULNDB_DIR).tmp; \
	rm -rf $(VULNDB_DIR); mv $(VULNDB_DIR).tmp $(VULNDB_DIR)

.PHONY: govulncheck
govulncheck: $(GOVULNCHECK)
$(GOVULNCHECK):
	$(call go-install-tool,$(GOVULNCHECK),golang.org/x/vuln/cmd/govulncheck,$(GOVULNCHECK_VERSION))

$(INDEXDB):
	$(call go-install-tool,$(INDEXDB),golang.org/x/vulndb/cmd/indexdb,$(VULNDB_VERSION))

# go-install-tool installs package $(2) at version $(3) and names the binary $(1).
define go-install-tool
@set -e; echo "Installing $(2)@$(3) as $(1)"; \
tmp=$$(mktemp -d); GOBIN=$$tmp go install $(2)@$(3); \
mkdir -p $(dir $(1)); mv $$tmp/* $(1); rm -rf $$tmp
endef
