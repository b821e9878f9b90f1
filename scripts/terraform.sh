#!/usr/bin/env bash
# scripts/terraform.sh [VERSION] prints the path of a Terraform VERSION
# binary (default: the newest the suite runs on, below), building it from
# source the first time and caching it by version.
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
# Cache: $HOOKD_TOOLS_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/hookd-tools,
# as terraform/VERSION/terraform. A terraform on PATH that already is VERSION
# is used as it is. Progress goes to stderr; stdout has only the path.
set -euo pipefail

# The newest Terraform the acceptance tests and the docs run on.
newest=1.16.4

version=${1:-$newest}
version=${version#v}
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "terraform.sh: '$version' is not a release version such as 1.16.4" >&2
  exit 2
fi

# is_version BIN: BIN runs and reports exactly $version.
is_version() {
  [ -x "$1" ] && [ "$("$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')" = "$version" ]
}

if on_path=$(command -v terraform 2>/dev/null) && is_version "$on_path"; then
  echo "$on_path"
  exit 0
fi

cache=${HOOKD_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hookd-tools}
bin=$cache/terraform/$version/terraform
if is_version "$bin"; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "terraform.sh: go is not on PATH" >&2; exit 127; }

mkdir -p "$cache/terraform"
work=$(mktemp -d "$cache/terraform/build.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

echo "terraform.sh: building Terraform $version from the Go module proxy (once; about 3.5 CPU-minutes cold)" >&2
# Outside any module, with the environment's module flags left out (CI sets
# -mod=readonly for this repository, not for Terraform's).
dir=$(cd "$work" && GOFLAGS= GO111MODULE=on go mod download -json "github.com/hashicorp/terraform@v$version" |
  sed -n 's/^[[:space:]]*"Dir": *"\([^"]*\)".*/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
  echo "terraform.sh: the Go module proxy did not give github.com/hashicorp/terraform@v$version" >&2
  exit 1
fi
src=$work/src
cp -R "$dir" "$src"
chmod -R u+w "$src"

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
if ! is_version "$work/terraform"; then
  echo "terraform.sh: the build does not report version $version:" >&2
  "$work/terraform" version >&2 || true
  exit 1
fi
mkdir -p "$(dirname "$bin")"
mv -f "$work/terraform" "$bin"
echo "terraform.sh: cached $bin" >&2
echo "$bin"
