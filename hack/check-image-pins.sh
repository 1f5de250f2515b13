#!/usr/bin/env bash
# Checks the base images (FROM lines) of the Dockerfiles.
#   hack/check-image-pins.sh [-release] <go toolchain, e.g. go1.27.3> <Dockerfile>...
#
# Always (make verify): every base image names an exact tag (not :latest, not a
# bare name), and the golang: builder's tag is the project's toolchain version,
# so the images build with the Go that govulncheck checked.
#
# With -release (make verify-release, a step of the release checklist in the
# README): every base image must also be pinned by digest, as
# name:tag@sha256:<64 hex>. Digests can only be read from the registries, which
# the development and CI machines cannot reach, so the Dockerfiles in the
# repository carry tags and the release resolves and writes the digests.
set -euo pipefail

release=false
if [ "${1:-}" = -release ]; then release=true; shift; fi
toolchain=${1:?usage: $0 [-release] <go toolchain> <Dockerfile>...}; shift
[ $# -gt 0 ] || { echo "usage: $0 [-release] <go toolchain> <Dockerfile>..." >&2; exit 2; }
want_go=${toolchain#go}

status=0
fail() { echo "$1:$2: $3" >&2; status=1; }

for df in "$@"; do
  n=0
  while IFS= read -r line; do
    n=$((n + 1))
    # FROM [--platform=...] <image> [AS <name>]
    read -r -a words <<<"$line"
    [ "${words[0]:-}" = FROM ] || [ "${words[0]:-}" = from ] || continue
    ref=
    for w in "${words[@]:1}"; do
      case $w in --*) continue ;; *) ref=$w; break ;; esac
    done
    [ -n "$ref" ] || { fail "$df" "$n" "FROM without an image"; continue; }
    name_tag=${ref%%@*}
    digest=
    [ "$name_tag" != "$ref" ] && digest=${ref#*@}
    last=${name_tag##*/}
    if [[ $last != *:* ]]; then
      fail "$df" "$n" "$ref has no tag: name an exact version"
      continue
    fi
    tag=${last##*:} name=${name_tag%:*}
    if [ "$tag" = latest ]; then
      fail "$df" "$n" "$ref uses :latest: name an exact version"
    fi
    if [ "$name" = golang ] || [ "$name" = docker.io/library/golang ]; then
      if [ "${tag%%-*}" != "$want_go" ]; then
        fail "$df" "$n" "$ref builds with Go ${tag%%-*}, the project's toolchain is $toolchain (GO_TOOLCHAIN in the Makefile)"
      fi
    fi
    if [ -n "$digest" ] && ! [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]]; then
      fail "$df" "$n" "$ref: the digest is not sha256:<64 lowercase hex>"
    fi
    if $release && [ -z "$digest" ]; then
      fail "$df" "$n" "$ref is not pinned by digest: write $name_tag@sha256:<digest> (see the release checklist in README.md)"
    fi
  done <"$df"
done
exit $status
