#!/usr/bin/env bash
# Fails when the committed generated files (deepcopy, the DocuFlowStack CRD, the
# guard-rail CRD, the RBAC role, the ACK test CRDs) differ from what the markers
# generate now. It regenerates in a scratch copy of the tree, so the working tree is never touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
: "${CONTROLLER_GEN:?set CONTROLLER_GEN to the controller-gen binary (make verify does)}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$root"
# Tracked and untracked-but-not-ignored files: exactly what a commit would hold.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue
  mkdir -p "$scratch/$(dirname "$f")"
  cp -p "$f" "$scratch/$f"
done

generated=(config/crd/bases config/policy/crd config/rbac/role.yaml test/crds/ack)
while IFS= read -r f; do generated+=("$f"); done < <(git ls-files --cached --others --exclude-standard '*zz_generated.deepcopy.go')

# Deepcopy files are regenerated from nothing so that a stale leftover shows up too
# ('make manifests' already starts its CRD directories from nothing).
find "$scratch" -name zz_generated.deepcopy.go -delete

make -s -C "$scratch" generate manifests CONTROLLER_GEN="$CONTROLLER_GEN" >/dev/null

status=0
for p in "${generated[@]}" $(cd "$scratch" && find . -name zz_generated.deepcopy.go | sed 's|^\./||'); do
  if ! diff -ruN "$root/$p" "$scratch/$p" >/dev/null 2>&1; then
    echo "stale generated file: $p" >&2
    diff -ruN "$root/$p" "$scratch/$p" | head -40 >&2 || true
    status=1
  fi
done
if [ "$status" != 0 ]; then
  echo "Generated files are out of date: run 'make generate manifests' and commit the result." >&2
fi
exit "$status"
