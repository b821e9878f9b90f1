#!/usr/bin/env bash
# scripts/gotool.sh NAME MODULE/PATH/cmd@VERSION prints the path of a Go
# command-line tool at a pinned version, built from the Go module proxy with
# `go install` the first time and cached by name and version, as
# scripts/terraform.sh caches Terraform: a fresh clone (as CI makes) on a
# machine that built it once reuses the binary instead of installing it
# into the clone's bin/ again (golangci-lint and goreleaser each take
# minutes cold on 2 cores).
#
#   scripts/gotool.sh golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
#
# Cache: $HOOKD_TOOLS_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/hookd-tools,
# as NAME/VERSION/NAME. The tool is built outside this module's flags
# (GOFLAGS= : CI's -mod=readonly is for this repository, not the tool's)
# with the Go on PATH. Progress goes to stderr; stdout has only the path.
set -euo pipefail

if [ $# -ne 2 ] || ! [[ $2 =~ ^[^@[:space:]]+@v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "usage: scripts/gotool.sh NAME MODULE/PATH/cmd@vX.Y.Z (a release version, not a branch or 'latest')" >&2
  exit 2
fi
name=$1
pkg=$2
version=${pkg##*@}

# shellcheck source=lib/toolcache.sh
source "$(dirname "$0")/lib/toolcache.sh"
cache=$tools_cache
bin=$cache/$name/$version/$name
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "gotool.sh: go is not on PATH" >&2; exit 127; }
mkdir -p "$cache/$name"
work=$(mktemp -d "$cache/$name/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "gotool.sh: installing $pkg from the Go module proxy (once; cached as $bin)" >&2
# The binary go install writes is named after the package's last element,
# or the one before a major version suffix (.../goreleaser/v2: goreleaser).
(cd "$work" && GOFLAGS= GOBIN="$work" go install "$pkg") >&2
path=${pkg%@*}
base=$(basename "$path")
if [[ $base =~ ^v[0-9]+$ ]]; then base=$(basename "$(dirname "$path")"); fi
built=$work/$base
if [ ! -x "$built" ]; then
  echo "gotool.sh: go install $pkg left no $built" >&2
  exit 1
fi
mkdir -p "$(dirname "$bin")"
mv -f "$built" "$bin"
echo "$bin"
