#!/usr/bin/env bash
# Builds the eight upstream ACK controllers a DocuFlow stack needs, from their
# source in ACK_CONTROLLERS_DIR (../shared/ack/controllers, read-only), into
# <outdir>/<service>-controller-<version>, for the end-to-end suite on the real
# controllers (test/e2e) and `make demo ACK=real`.
#   hack/build-ack-controllers.sh <controllers source dir> <outdir>
#
# Their Go modules are refused by the module proxy, and they require each
# other's modules (their apis/ packages carry the cross-service references), so
# each is built from a writable copy whose go.mod replaces every sibling with
# the sibling's copy. ecs-controller 1.2.1 is generated for ACK runtime v0.57.0
# and does not compile against v0.62.0, which the siblings pull in, so its copy
# pins the runtime back. A binary is rebuilt only when missing or when its
# source tree changed (a hash of the tree is kept beside it).
set -euo pipefail
# The project's Go, as the Makefile exports it, also when this runs on its own.
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

# The releases proven end to end; ../shared/ack/crds/VERSIONS has their commits.
CONTROLLERS=(
  ec2:1.20.0
  rds:1.11.1
  iam:1.8.1
  elbv2:1.6.1
  cloudwatchlogs:1.4.1
  cloudwatch:1.8.1
  applicationautoscaling:1.4.1
  ecs:1.2.1
)
ECS_RUNTIME=v0.57.0

src=${1:?usage: $0 <controllers source dir> <outdir>}
out=${2:?usage: $0 <controllers source dir> <outdir>}
if [ ! -d "$src" ]; then
  echo "ACK controllers source not found at $src: it is ../shared/ack/controllers beside the checkout (set ACK_CONTROLLERS_DIR)" >&2
  exit 1
fi
src=$(cd "$src" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$out/src

tree_hash() { (cd "$1" && find . -type f ! -name go.sum -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }

stale=()
for entry in "${CONTROLLERS[@]}"; do
  svc=${entry%%:*} version=${entry#*:}
  dir=$src/$svc-controller
  if [ ! -f "$dir/go.mod" ]; then
    echo "missing $dir: the ACK controllers source must hold $svc-controller $version" >&2
    exit 1
  fi
  bin=$out/$svc-controller-$version
  if [ -x "$bin" ] && [ "$(cat "$bin.src" 2>/dev/null)" = "$(tree_hash "$dir")" ]; then
    continue
  fi
  stale+=("$entry")
done
if [ ${#stale[@]} -eq 0 ]; then
  exit 0
fi

echo "Building ${#stale[@]} ACK controller(s) from $src into $out (about 2 minutes each on two cores the first time, reused afterwards)" >&2
start=$SECONDS
# Every copy is refreshed, because each controller compiles its siblings' apis/.
rm -rf "$work"
mkdir -p "$work"
for entry in "${CONTROLLERS[@]}"; do
  svc=${entry%%:*}
  cp -R "$src/$svc-controller" "$work/"
  chmod -R u+w "$work/$svc-controller"
done
for entry in "${CONTROLLERS[@]}"; do
  svc=${entry%%:*}
  mod=$work/$svc-controller
  edits=()
  for other in "${CONTROLLERS[@]}"; do
    o=${other%%:*}
    [ "$o" = "$svc" ] && continue
    edits+=("-replace=github.com/aws-controllers-k8s/$o-controller=../$o-controller")
  done
  if [ "$svc" = ecs ]; then
    edits+=("-replace=github.com/aws-controllers-k8s/runtime=github.com/aws-controllers-k8s/runtime@$ECS_RUNTIME")
  fi
  (cd "$mod" && go mod edit "${edits[@]}")
done
for entry in "${stale[@]}"; do
  svc=${entry%%:*} version=${entry#*:}
  bin=$out/$svc-controller-$version
  pkg=github.com/aws-controllers-k8s/$svc-controller/pkg/version
  ldflags="-s -w -X $pkg.GitVersion=v$version -X $pkg.GitCommit=upstream-source -X $pkg.BuildDate=1970-01-01T00:00:00Z"
  t=$SECONDS
  echo "  $svc-controller $version" >&2
  (cd "$work/$svc-controller" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" ./cmd/controller)
  mv "$bin.tmp" "$bin"
  tree_hash "$src/$svc-controller" > "$bin.src"
  echo "  $svc-controller $version built in $((SECONDS - t)) s" >&2
done
echo "ACK controllers built in $((SECONDS - start)) s" >&2
