#!/usr/bin/env bash
# scripts/terraform.sh [tofu] [VERSION] prints the path of a Terraform (or,
# with "tofu", an OpenTofu) VERSION binary (default: the version the suite
# runs on, below), building it from source the first time and caching it by
# tool and version.
#
# The acceptance suite runs on Terraform 1.11.4 (our floor, on PATH) and on
# the newest Terraform, which brings the features 1.11 lacks (resource
# identity, actions, list resources). No binary is downloaded: Terraform's
# source comes from the Go module proxy. `go install` refuses the module
# because its go.mod replaces nine remote-state backends and internal/legacy
# with nested modules the proxy does not serve; none of them is needed here,
# so a writable copy of the module drops them (their imports and map entries
# in internal/backend/init/init.go, their require and replace lines in
# go.mod) and builds the rest: the real Terraform core with the local, http,
# inmem, remote and cloud backends.
#
# OpenTofu (module github.com/opentofu/opentofu) is refused by go install
# for its replace directive (of hcl/v2, which the proxy serves under its
# own name); a writable copy of the module builds ./cmd/tofu as it is.
#
# Cache: $HOOKD_TOOLS_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/hookd-tools,
# as terraform/VERSION/terraform and tofu/VERSION/tofu. A binary of the same
# tool and version on PATH is used as it is. Progress goes to stderr;
# stdout has only the path.
set -euo pipefail

# The newest Terraform the acceptance tests and the docs run on, and the
# OpenTofu they run on.
newest=1.16.4
tofu_version=1.12.6

tool=terraform
if [ "${1:-}" = tofu ]; then
  tool=tofu
  shift
fi
if [ "$tool" = tofu ]; then
  version=${1:-$tofu_version}
else
  version=${1:-$newest}
fi
version=${version#v}
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "terraform.sh: '$version' is not a release version such as 1.16.4 (usage: scripts/terraform.sh [tofu] [VERSION])" >&2
  exit 2
fi

# is_version BIN: BIN runs and reports exactly $version.
is_version() {
  [ -x "$1" ] && [ "$("$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')" = "$version" ]
}

if on_path=$(command -v "$tool" 2>/dev/null) && is_version "$on_path"; then
  echo "$on_path"
  exit 0
fi

# shellcheck source=lib/toolcache.sh
source "$(dirname "$0")/lib/toolcache.sh"
cache=$tools_cache
bin=$cache/$tool/$version/$tool
if is_version "$bin"; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "terraform.sh: go is not on PATH" >&2; exit 127; }

mkdir -p "$cache/$tool"
work=$(mktemp -d "$cache/$tool/build.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# module DIR: the module directory of $1@v$version from the Go module proxy,
# outside any module and with the environment's module flags left out (CI
# sets -mod=readonly for this repository, not for this one).
module() {
  local dir
  dir=$(cd "$work" && GOFLAGS= GO111MODULE=on go mod download -json "$1@v$version" |
    sed -n 's/^[[:space:]]*"Dir": *"\([^"]*\)".*/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "terraform.sh: the Go module proxy did not give $1@v$version" >&2
    exit 1
  fi
  cp -R "$dir" "$work/src"
  chmod -R u+w "$work/src"
}

if [ "$tool" = tofu ]; then
  echo "terraform.sh: building OpenTofu $version from the Go module proxy (once; about 3 CPU-minutes cold)" >&2
  module github.com/opentofu/opentofu
  (cd "$work/src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$work/tofu" ./cmd/tofu) >&2
else
  echo "terraform.sh: building Terraform $version from the Go module proxy (once; about 3.5 CPU-minutes cold)" >&2
  module github.com/hashicorp/terraform
  src=$work/src

  dropped='azure|consul|cos|gcs|kubernetes|oss|pg|s3|oci'
  init=$src/internal/backend/init/init.go
  # The imports of the dropped backends, then their map entries (by the alias
  # each import gives them, so "http" and "inmem" stay).
  aliases=$(sed -n -E "s#^[[:space:]]*([A-Za-z0-9_]+) \"github.com/hashicorp/terraform/internal/backend/remote-state/($dropped)\"#\1#p" "$init")
  if [ "$(wc -w <<<"$aliases")" -ne 9 ]; then
    echo "terraform.sh: expected nine remote-state backends to drop in $init, found: $aliases" >&2
    exit 1
  fi
  sed -i -E "\#\"github.com/hashicorp/terraform/internal/backend/remote-state/($dropped)\"#d" "$init"
  for alias in $aliases; do
    sed -i "/return $alias\.New()/d" "$init"
  done
  sed -i -E "\#github.com/hashicorp/terraform/internal/(backend/remote-state/($dropped)|legacy)( |$)#d" "$src/go.mod"

  (cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" -o "$work/terraform" .) >&2
fi
if ! is_version "$work/$tool"; then
  echo "terraform.sh: the build does not report version $version:" >&2
  "$work/$tool" version >&2 || true
  exit 1
fi
mkdir -p "$(dirname "$bin")"
mv -f "$work/$tool" "$bin"
echo "terraform.sh: cached $bin" >&2
echo "$bin"
