#!/usr/bin/env bash
# make release-check: builds the whole release as a snapshot (no tag,
# nothing published), signed with a throwaway key, and checks that it is
# what the Terraform and OpenTofu registries and our users expect.
#
# Installs goreleaser $GORELEASER_VERSION from the Go module proxy, cached by
# version outside the clone (scripts/gotool.sh), runs "goreleaser
# check" and "goreleaser release --snapshot --clean --skip=publish" into
# dist/, then asserts:
#   - LICENSE is the MPL-2.0 text (its title, last section and notice);
#   - the platform lists below are what .goreleaser.yml builds;
#   - every provider archive of the platform list below exists, named
#     terraform-provider-hookd_<ver>_<os>_<arch>.zip, and holds exactly the
#     executable terraform-provider-hookd_v<ver> (.exe on windows) and
#     LICENSE, byte for byte the repository's (MPL-2.0);
#   - every hookd archive exists, named hookd_<ver>_<os>_<arch>.zip, and holds
#     exactly hookd (.exe on windows), README.md and LICENSE, both byte for
#     byte the repository's;
#   - there are no other archives;
#   - terraform-provider-hookd_<ver>_SHA256SUMS lists every archive, with the
#     right sums, and terraform-provider-hookd_<ver>_manifest.json with the
#     sum of terraform-registry-manifest.json (goreleaser puts no copy of the
#     manifest in dist/: "checksum.extra_files" only adds its line and
#     "release.extra_files" uploads it under that name);
#   - terraform-provider-hookd_<ver>_SHA256SUMS.sig, which both registries
#     check against the key the provider is published with, is a binary
#     detached signature of SHA256SUMS that gpg --verify accepts, by the
#     key of this run. The signs block of .goreleaser.yml makes it, as in a
#     real release, with a key made for this run (RSA, which the registries
#     take; no passphrase) in a temporary GNUPGHOME, its fingerprint in
#     GPG_FINGERPRINT; the key goes with the directory at the end. This
#     needs gpg (Debian's gnupg; .ci/run installs it): without it the check
#     says so and skips the signature, unless
#     RELEASE_CHECK_REQUIRE_SIGNATURE=1 (as in CI), which fails;
#   - the hookd binary of this machine's platform reports the snapshot version.
#
# Needs go, git, bash, coreutils, grep, sed, awk and gpg only (no jq, unzip
# or python: zip listings and entries come from scripts/zipls). A cold run
# takes about 26 minutes on 2 cores (12 CPU-minutes to install goreleaser,
# 41 to build the 19 binaries); a warm one about a minute and a half,
# mostly linking.
# RELEASE_CHECK_PLATFORMS (below) builds a part. dist/ and bin/ are
# git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest goreleaser v2 that Go 1.26 (GOTOOLCHAIN=local) can build and
# whose dependencies our module proxy serves: v2.18 needs go 1.27, v2.17
# needs go.digitalxero.dev/go-msix, which the proxy does not serve.
GORELEASER_VERSION=v2.16.0

# Must match .goreleaser.yml.
PROVIDER_PLATFORMS=(
  freebsd_amd64 freebsd_386 freebsd_arm freebsd_arm64
  windows_amd64 windows_386 windows_arm64
  linux_amd64 linux_386 linux_arm linux_arm64
  darwin_amd64 darwin_arm64
)
HOOKD_PLATFORMS=(
  linux_amd64 linux_arm64
  darwin_amd64 darwin_arm64
  windows_amd64 windows_arm64
)
PROJECT=terraform-provider-hookd
MANIFEST=terraform-registry-manifest.json

if [ -t 1 ]; then
  bold=$'\033[1m' red=$'\033[31m' green=$'\033[32m' reset=$'\033[0m'
else
  bold="" red="" green="" reset=""
fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }
info() { printf '    %s\n' "$*"; }
die() { printf '%srelease-check: %s%s\n' "$red" "$*" "$reset" >&2; exit 1; }

# Checks add to failures and carry on, so that one run names everything
# that is wrong.
failures=()
fail() {
  failures+=("$*")
  printf '    %sFAIL%s %s\n' "$red" "$reset" "$*"
}

tmp=$(mktemp -d)
# The signing key's agent (started by gpg in $tmp/gnupg) is stopped before
# its directory goes.
cleanup() {
  if [ -d "$tmp/gnupg" ]; then GNUPGHOME=$tmp/gnupg gpgconf --kill all >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The LICENSE both archive kinds carry is the MPL-2.0 (the OpenTofu and
# Terraform registries show it): its title, its last section and Exhibit
# A's notice, not only a file of that name.
step "LICENSE is the Mozilla Public License 2.0"
for line in "Mozilla Public License, version 2.0" \
  "10.4. Distributing Source Code Form that is Incompatible With Secondary Licenses" \
  "This Source Code Form is subject to the"; do
  grep -qF -- "$line" LICENSE || fail "LICENSE lacks \"$line\": it is not the MPL-2.0 text"
done
[ ${#failures[@]} -eq 0 ] && info "ok LICENSE"

go build -o "$tmp/zipls" ./scripts/zipls
go build -o "$tmp/releasetargets" ./scripts/releasetargets

# The lists above are what .goreleaser.yml makes (goreleaser's expansion of
# goos x goarch less ignore and non-ports), checked without building.
step "platforms of .goreleaser.yml"
configured=$("$tmp/releasetargets" .goreleaser.yml) || die "cannot read the platforms of .goreleaser.yml"
for id in provider hookd; do
  if [ "$id" = provider ]; then listed=("${PROVIDER_PLATFORMS[@]}"); else listed=("${HOOKD_PLATFORMS[@]}"); fi
  got=$(awk -v id="$id" '$1 == id { print $2 }' <<<"$configured" | sort)
  want=$(printf '%s\n' "${listed[@]}" | sort)
  if [ "$got" = "$want" ]; then
    info "ok $id: $(wc -l <<<"$got") platforms"
  else
    fail "build $id of .goreleaser.yml makes [$(paste -sd' ' <<<"$got")], this script lists [$(paste -sd' ' <<<"$want")]"
  fi
done

# RELEASE_CHECK_PLATFORMS="linux_amd64 windows_arm64 ..." builds and checks
# only those platforms (CI does: the whole release takes about 20 minutes
# of 2 cores when the build cache is cold, and each archive is laid out by
# the same template), from a copy of .goreleaser.yml whose builds name them
# as targets; the full release and `make release-check` build all.
config=.goreleaser.yml
if [ -n "${RELEASE_CHECK_PLATFORMS:-}" ]; then
  only=$(tr ' ' '\n' <<<"$RELEASE_CHECK_PLATFORMS" | grep -v '^$' | paste -sd, -)
  "$tmp/releasetargets" -only "$only" -write "$tmp/goreleaser.yml" .goreleaser.yml >/dev/null ||
    die "RELEASE_CHECK_PLATFORMS=\"$RELEASE_CHECK_PLATFORMS\": see above"
  config=$tmp/goreleaser.yml
  keep() { local p; for p in "$@"; do case ",$only," in *",$p,"*) echo "$p" ;; esac; done; }
  mapfile -t PROVIDER_PLATFORMS < <(keep "${PROVIDER_PLATFORMS[@]}")
  mapfile -t HOOKD_PLATFORMS < <(keep "${HOOKD_PLATFORMS[@]}")
  info "building only ${PROVIDER_PLATFORMS[*]} (provider) and ${HOOKD_PLATFORMS[*]} (hookd): RELEASE_CHECK_PLATFORMS"
fi

step "goreleaser $GORELEASER_VERSION"
goreleaser=$(bash scripts/gotool.sh goreleaser "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION")
installed=$("$goreleaser" --version 2>/dev/null | awk '$1 == "GitVersion:" { print $2 }' || true)
[ "$installed" = "$GORELEASER_VERSION" ] || die "$goreleaser reports version ${installed:-none}, want $GORELEASER_VERSION (remove it to rebuild)"
info "$goreleaser"

step "goreleaser check"
"$goreleaser" check

# A throwaway signing key, so that the signs block of .goreleaser.yml runs
# as in a release: SHA256SUMS.sig is made and checked, not skipped.
skip=sign,publish
fingerprint=""
step "a throwaway signing key (gpg, in a temporary GNUPGHOME)"
if command -v gpg >/dev/null 2>&1; then
  export GNUPGHOME=$tmp/gnupg
  mkdir -m 700 "$GNUPGHOME"
  gpg --batch --quiet --passphrase '' --quick-generate-key "hookd release-check <release-check@hookd.invalid>" rsa3072 sign 1d 2>"$tmp/gpg.log" ||
    { cat "$tmp/gpg.log" >&2; die "gpg could not make a signing key"; }
  fingerprint=$(gpg --batch --with-colons --list-secret-keys 2>>"$tmp/gpg.log" | awk -F: '$1 == "fpr" { print $10; exit }')
  [ -n "$fingerprint" ] || { cat "$tmp/gpg.log" >&2; die "gpg made a key but lists no fingerprint"; }
  export GPG_FINGERPRINT=$fingerprint
  skip=publish
  info "key $fingerprint ($(gpg --version | head -n1))"
elif [ "${RELEASE_CHECK_REQUIRE_SIGNATURE:-}" = 1 ]; then
  die "gpg is not on PATH, and RELEASE_CHECK_REQUIRE_SIGNATURE=1: install it (Debian: apt-get install gnupg)"
else
  info "skipped: gpg is not on PATH (Debian: apt-get install gnupg), so SHA256SUMS is not signed and its .sig not checked"
fi

step "goreleaser release --snapshot --skip=$skip ($((${#PROVIDER_PLATFORMS[@]} + ${#HOOKD_PLATFORMS[@]})) binaries; minutes when the build cache is cold)"
start=$SECONDS
"$goreleaser" release --config "$config" --snapshot --clean --skip="$skip" >"$tmp/goreleaser.log" 2>&1 || {
  tail -n 50 "$tmp/goreleaser.log" >&2
  die "goreleaser release --snapshot failed (last 50 lines above)"
}
info "built in $((SECONDS - start))s"

# metadata.json is one line of JSON: {"project_name":...,"version":"0.0.1-dev",...}
version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' dist/metadata.json)
[ -n "$version" ] || die "no \"version\" in dist/metadata.json"
info "snapshot version $version"

# check_zip ZIP ENTRY...: ZIP holds exactly ENTRY..., the first of them (the
# binary) executable, each of the others (LICENSE, README.md) byte for byte
# the repository's file of that name.
check_zip() {
  local zip=$1 bin=$2
  shift
  if [ ! -f "dist/$zip" ]; then
    fail "missing archive dist/$zip"
    return
  fi
  local listing got want
  listing=$("$tmp/zipls" "dist/$zip") || { fail "dist/$zip: not a readable zip"; return; }
  got=$(printf '%s\n' "$listing" | cut -d' ' -f2- | sort)
  want=$(printf '%s\n' "$@" | sort)
  if [ "$got" != "$want" ]; then
    fail "dist/$zip holds [$(paste -sd' ' <<<"$got")], want exactly [$(paste -sd' ' <<<"$want")]"
    return
  fi
  if ! printf '%s\n' "$listing" | grep -qx -- "-rwx[-r][-w][-x][-r][-w][-x] $bin"; then
    fail "dist/$zip: $bin is not executable ($(printf '%s\n' "$listing" | grep -- " $bin\$" | cut -d' ' -f1))"
    return
  fi
  local f
  for f in "${@:2}"; do
    if ! "$tmp/zipls" "dist/$zip" "$f" >"$tmp/entry"; then
      fail "dist/$zip: cannot read $f (see above)"
      return
    fi
    if ! cmp -s "$tmp/entry" "$f"; then
      fail "dist/$zip: $f is not the repository's $f ($(wc -c <"$tmp/entry") bytes, sha256 $(sha256sum <"$tmp/entry" | cut -c1-12)...; the repository's: $(wc -c <"$f") bytes, $(sha256sum <"$f" | cut -c1-12)...)"
      return
    fi
  done
  info "ok $zip (${*:2}: the repository's)"
}

exe() { case $1 in windows_*) echo .exe ;; esac; }

expected=()

step "provider archives (${#PROVIDER_PLATFORMS[@]} platforms)"
for p in "${PROVIDER_PLATFORMS[@]}"; do
  zip="${PROJECT}_${version}_${p}.zip"
  expected+=("$zip")
  check_zip "$zip" "${PROJECT}_v${version}$(exe "$p")" LICENSE
done

step "hookd archives (${#HOOKD_PLATFORMS[@]} platforms)"
for p in "${HOOKD_PLATFORMS[@]}"; do
  zip="hookd_${version}_${p}.zip"
  expected+=("$zip")
  check_zip "$zip" "hookd$(exe "$p")" README.md LICENSE
done

step "no other archives"
others=0
for f in dist/*.zip dist/*.tar.gz; do
  [ -e "$f" ] || continue
  name=${f#dist/}
  case " ${expected[*]} " in
    *" $name "*) ;;
    *)
      fail "unexpected archive dist/$name (a platform added to .goreleaser.yml but not here?)"
      others=$((others + 1))
      ;;
  esac
done
if [ "$others" -eq 0 ]; then info "ok"; fi

step "${PROJECT}_${version}_SHA256SUMS"
sums="dist/${PROJECT}_${version}_SHA256SUMS"
if [ ! -f "$sums" ]; then
  fail "missing $sums"
else
  # sum_of NAME: the sum the file lists for NAME ("<sum>  <name>" lines).
  sum_of() { awk -v n="$1" '$2 == n { print $1 }' "$sums"; }
  for zip in "${expected[@]}"; do
    listed=$(sum_of "$zip")
    if [ -z "$listed" ]; then
      fail "$sums does not list $zip"
    elif [ -f "dist/$zip" ] && [ "$listed" != "$(sha256sum "dist/$zip" | cut -d' ' -f1)" ]; then
      fail "$sums lists a wrong sum for $zip"
    fi
  done
  manifest="${PROJECT}_${version}_manifest.json"
  listed=$(sum_of "$manifest")
  if [ -z "$listed" ]; then
    fail "$sums does not list $manifest"
  elif [ "$listed" != "$(sha256sum "$MANIFEST" | cut -d' ' -f1)" ]; then
    fail "$sums: $manifest is not $MANIFEST (sums differ)"
  fi
  info "$(wc -l <"$sums") lines checked"
fi

step "${PROJECT}_${version}_SHA256SUMS.sig"
sig="$sums.sig"
if [ -z "$fingerprint" ]; then
  info "skipped: no signing key (gpg is not on PATH)"
elif [ ! -f "$sig" ]; then
  fail "missing $sig: the signs block of .goreleaser.yml made no signature"
elif [ "$(head -c 5 "$sig" | tr -d '\0')" = "-----" ]; then
  fail "$sig is ASCII-armored: the registries expect a binary detached signature (no --armor)"
elif ! gpg --batch --status-fd 1 --verify "$sig" "$sums" >"$tmp/verify.log" 2>&1; then
  sed 's/^/      /' "$tmp/verify.log"
  fail "gpg --verify $sig $sums failed (above)"
elif ! grep -q "^\[GNUPG:\] VALIDSIG $fingerprint " "$tmp/verify.log"; then
  fail "$sig is a good signature, but not by the key $fingerprint this run signed with"
else
  info "ok: a good signature of $sums by $fingerprint"
fi

step "$MANIFEST"
# The provider serves protocol 6 (main.go); the manifest must say so.
if tr -d ' \n' <"$MANIFEST" | grep -q '"protocol_versions":\["6.0"\]'; then
  info "ok protocol_versions [\"6.0\"]"
else
  fail "$MANIFEST does not declare protocol_versions [\"6.0\"]"
fi

step "hookd version (ldflags)"
host="$(go env GOOS)_$(go env GOARCH)"
bin=""
for f in dist/hookd_"$host"*/hookd; do
  if [ -x "$f" ]; then bin=$f; fi
done
if [ -z "$bin" ]; then
  info "skipped: no hookd built for $host"
elif got=$("$bin" version) && [ "$got" = "hookd $version" ]; then
  info "ok $got"
else
  fail "$bin version says \"${got:-}\", want \"hookd $version\""
fi

if [ ${#failures[@]} -gt 0 ]; then
  printf '\n%srelease-check: %d problem(s):%s\n' "$red" "${#failures[@]}" "$reset" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
printf '\n%srelease-check: ok: %d archives of %s in dist/%s\n' "$green" "${#expected[@]}" "$version" "$reset"
