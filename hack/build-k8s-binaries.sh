#!/usr/bin/env bash
# Builds the control-plane binaries envtest and the demo need, from the Go module
# proxy, because the prebuilt envtest archives cannot be downloaded here.
#   hack/build-k8s-binaries.sh <outdir> [kube-apiserver|etcd|kubectl]...
# Each binary is built once: an existing, runnable one is left alone.
set -euo pipefail
# The project's Go, as the Makefile exports it, also when this runs on its own.
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

KUBE_VERSION=v1.37.2      # k8s.io/kubernetes, pinned in hack/tools/k8s/go.mod
ETCD_VERSION=v3.7.0       # go.etcd.io/etcd/server/v3, pinned in hack/tools/etcd/go.mod

root=$(cd "$(dirname "$0")/.." && pwd)
out=$1; shift
mkdir -p "$out"
out=$(cd "$out" && pwd)

# kube-apiserver and kubectl print their version from these variables; without them
# they report v0.0.0-master and client-go's discovery treats the server as ancient.
minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
  kube_ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done

build() {
  local name=$1 dir=$2 pkg=$3 ldflags=$4 why=$5
  if [ -x "$out/$name" ] && "$out/$name" --version >/dev/null 2>&1; then
    return 0
  fi
  echo "Building $name from $pkg ($why); the first build takes a few minutes, later runs reuse $out/$name" >&2
  (cd "$root/$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/$name.tmp" "$pkg")
  mv "$out/$name.tmp" "$out/$name"
}

for want in "${@:-kube-apiserver etcd}"; do
  for b in $want; do
    case $b in
      kube-apiserver) build kube-apiserver hack/tools/k8s k8s.io/kubernetes/cmd/kube-apiserver "$kube_ldflags" "envtest control plane" ;;
      kubectl)        build kubectl hack/tools/k8s k8s.io/kubernetes/cmd/kubectl "$kube_ldflags" "client for the demo cluster" ;;
      etcd)           build etcd hack/tools/etcd go.etcd.io/etcd/server/v3 "-s -w" "envtest storage" ;;
      *) echo "unknown binary $b" >&2; exit 2 ;;
    esac
  done
done
