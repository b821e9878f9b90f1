#!/usr/bin/env bash
# Checks every example configuration under examples/, as CI does:
# terraform fmt -check over the tree, then terraform validate in each
# directory that holds .tf files, against a fresh build of the provider
# through a throwaway CLI configuration with dev_overrides (so no terraform
# init, and nothing is downloaded).
#
# Each directory is validated in a temporary copy, so nothing lands in the
# repository. The resource and data source snippets (which tfplugindocs
# renders verbatim into docs/) have no required_providers block, and
# Terraform would take their "hookd" for hashicorp/hookd: their copy gets a
# generated terraform.tf that maps it to hookd/hookd.
#
# Import files (import-by-string-id.tf, import-by-identity.tf) each import
# the same resource of their directory, so each is validated on its own
# with the directory's other files. Query files (.tfquery.hcl, the list
# blocks of terraform query) are validated with terraform validate -query.
# A file that uses a feature the CLI does not have is left out, saying so:
# action blocks and action_trigger (actions), caller in an action's config
# (Terraform 1.16+), import blocks with identity (resource identity) and
# query files (list resources). Whether the CLI has each is asked of the
# CLI, as internal/acctest/features.go asks it (it validates a small
# configuration with the built-in terraform_data, or for caller with this
# provider's hookd_webhook_test, and lacks the feature when it does not know
# the syntax), not read from its version, so OpenTofu, which has identity
# but not actions or list resources, checks what it can.
#
# TERRAFORM names the binary (default: terraform on PATH); make
# examples-check runs this with the floor (1.11), the newest Terraform and
# OpenTofu. EXAMPLES_REQUIRE_ALL=1 (make examples-check sets it for the
# newest Terraform, which has every feature) fails instead of leaving a file
# out, so that a probe that misfires cannot leave examples unchecked, and
# fails an example that validates with a warning (such as 1.16's "Reference
# to triggering resource"), so that the examples the docs show stay clean
# on the newest Terraform; EXAMPLES_NO_WARNINGS=1 or 0 says so for any CLI
# (other CLIs print their warnings and pass). The warning that
# dev_overrides are in effect is not one of the example's.
#
# Needs go and terraform; prints one PASS or FAIL line per check and exits
# non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/terraformrc.sh
. scripts/lib/terraformrc.sh

terraform=${TERRAFORM:-terraform}
for tool in go "$terraform"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    printf "examples-check: '%s' is not installed or not on PATH\n" "$tool" >&2
    exit 127
  fi
done

for var in $(compgen -e); do
  case $var in
    TF_CLI_ARGS* | TF_DATA_DIR | TF_WORKSPACE) unset "$var" ;;
  esac
done
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

work=$(mktemp -d "${TMPDIR:-/tmp}/hookd-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "building the provider into $work"
go build -o "$work/providers/terraform-provider-hookd" .
use_dev_overrides "$work/terraformrc" "$work/providers"
tf_version=$("$terraform" version)
tf_version=${tf_version%%$'\n'*}
echo "$tf_version, TF_CLI_CONFIG_FILE=$TF_CLI_CONFIG_FILE"

# probe FEATURE: asks the CLI once whether it knows FEATURE's syntax
# (actions, caller, identity, list_resources), validating a configuration
# with the built-in terraform_data only (caller: with this provider's
# hookd_webhook_test, through the dev_overrides, since only an action type
# that exists has its config evaluated); sets lacks[FEATURE] to what it
# answered when it does not know it. Any other answer (valid, or an error
# that terraform_data has no action or list resource) means it parsed the
# syntax. Terraform 1.14 and 1.15 read caller.id as an undeclared resource.
declare -A probed=() lacks=()
probe() {
  local feature=$1 dir="$work/probe/$1" file=main.tf flags=() out answer
  [ -z "${probed[$feature]:-}" ] || return 0
  probed[$feature]=1
  mkdir -p "$dir"
  case $feature in
    actions) echo 'action "terraform_data" "x" {}' >"$dir/$file" ;;
    caller)
      cat >"$dir/$file" <<'EOF_TF'
terraform {
  required_providers {
    hookd = {
      source = "hookd/hookd"
    }
  }
}

action "hookd_webhook_test" "x" {
  config {
    webhook_id = caller.id
  }
}

resource "terraform_data" "x" {
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.hookd_webhook_test.x]
    }
  }
}
EOF_TF
      ;;
    identity) printf 'resource "terraform_data" "x" {}\n\nimport {\n  to       = terraform_data.x\n  identity = { id = "x" }\n}\n' >"$dir/$file" ;;
    list_resources)
      file=main.tfquery.hcl flags=(-query)
      printf 'list "terraform_data" "x" {\n  provider = terraform\n}\n' >"$dir/$file"
      ;;
  esac
  out=$("$terraform" -chdir="$dir" validate -no-color "${flags[@]}" 2>&1) || true
  answer=$(grep -E -m1 'Unsupported block type|Unsupported argument|flag provided but not defined|Unsupported file|Reference to undeclared resource' <<<"$out" || true)
  if [ -n "$answer" ]; then lacks[$feature]=$answer; fi
}

# unsupported FILE: sets missing to the feature FILE uses that the CLI
# lacks, and what the CLI answered to it; to nothing when the CLI has them
# all.
unsupported() {
  local f=$1 feature needs=()
  missing=""
  if [[ $f == *.tfquery.hcl ]]; then needs+=(list_resources); fi
  if grep -Eq '^[[:space:]]*action[[:space:]]+"|action_trigger' "$f"; then needs+=(actions); fi
  if grep -Eq '(^|[^[:alnum:]_.])caller\.' "$f"; then needs+=(caller); fi
  if grep -Eq '^[[:space:]]*identity[[:space:]]*=' "$f"; then needs+=(identity); fi
  for feature in "${needs[@]}"; do
    probe "$feature"
    if [ -n "${lacks[$feature]:-}" ]; then
      missing="$feature (it answered \"${lacks[$feature]}\" to a probe)"
      return
    fi
  done
}

failed=0
passed=0
skipped=0
no_warnings=${EXAMPLES_NO_WARNINGS:-${EXAMPLES_REQUIRE_ALL:-0}}
# indent: the lines of standard input, indented, without the warning that
# dev_overrides are in effect (they are, on purpose).
indent() {
  local line skip=""
  while IFS= read -r line; do
    case $line in
      *"Warning: Provider development overrides are in effect"*) skip=1 ;;
    esac
    if [ -z "$skip" ]; then printf "      %s\n" "$line"; fi
    case $line in
      *"releases.") skip="" ;; # the end of that warning
    esac
  done
}

if out=$("$terraform" fmt -check -recursive -diff -no-color examples 2>&1); then
  echo "PASS terraform fmt -check -recursive examples"
  passed=$((passed + 1))
else
  echo "FAIL terraform fmt -check -recursive examples (run 'terraform fmt -recursive examples'):"
  indent <<<"$out"
  failed=$((failed + 1))
fi

# dirs: every directory under examples/ with .tf or .tfquery.hcl files,
# dot-directories (.terraform) left out.
dirs=()
walk() {
  local dir=$1 entry has_tf=""
  for entry in "$dir"/*; do
    if [ -d "$entry" ]; then
      walk "$entry"
    elif [[ $entry == *.tf || $entry == *.tfquery.hcl ]]; then
      has_tf=1
    fi
  done
  if [ -n "$has_tf" ]; then dirs+=("$dir"); fi
}
walk examples

n=0
# validate LABEL FILE...: terraform validate of FILEs, in a copy (with
# -query when there are query files among them).
validate() {
  local label=$1 copy f declares="" note="" flags=()
  shift
  n=$((n + 1))
  copy="$work/validate/$n"
  mkdir -p "$copy"
  cp "$@" "$copy/"
  for f in "$copy"/*.tf "$copy"/*.tfquery.hcl; do
    [ -e "$f" ] || continue
    if [[ $(<"$f") == *required_providers* ]]; then declares=1; fi
    if [[ $f == *.tfquery.hcl ]]; then flags=(-query); fi
  done
  if [ -z "$declares" ]; then
    cat >"$copy/terraform.tf" <<'EOF'
terraform {
  required_providers {
    hookd = {
      source = "hookd/hookd"
    }
  }
}
EOF
    note=" (with a generated required_providers block)"
  fi
  if out=$("$terraform" -chdir="$copy" validate -no-color "${flags[@]}" 2>&1); then
    warnings=$(grep -E '^Warning: ' <<<"$out" | grep -v 'Provider development overrides are in effect' || true)
    if [ -n "$warnings" ] && [ "$no_warnings" = 1 ]; then
      echo "FAIL terraform validate ${flags[*]:+${flags[*]} }$label$note: valid, but with warnings, which $tf_version must not print for an example (EXAMPLES_NO_WARNINGS=1):"
      indent <<<"$out"
      failed=$((failed + 1))
      return
    fi
    echo "PASS terraform validate ${flags[*]:+${flags[*]} }$label$note${warnings:+, with warnings:}"
    if [ -n "$warnings" ]; then indent <<<"$out"; fi
    passed=$((passed + 1))
  else
    echo "FAIL terraform validate ${flags[*]:+${flags[*]} }$label$note:"
    indent <<<"$out"
    failed=$((failed + 1))
  fi
}

for dir in "${dirs[@]}"; do
  base=() imports=()
  for f in "$dir"/*.tf "$dir"/*.tfquery.hcl; do
    [ -e "$f" ] || continue
    unsupported "$f"
    if [ -n "$missing" ]; then
      if [ "${EXAMPLES_REQUIRE_ALL:-}" = 1 ]; then
        echo "FAIL $f: $tf_version seems not to have $missing, which it is required to have (EXAMPLES_REQUIRE_ALL=1): the feature probe misfired?"
        failed=$((failed + 1))
        continue
      fi
      echo "SKIP $f: $tf_version does not have $missing"
      skipped=$((skipped + 1))
      continue
    fi
    case ${f##*/} in
      import-by-*.tf) imports+=("$f") ;;
      *) base+=("$f") ;;
    esac
  done
  if [ ${#imports[@]} -eq 0 ]; then
    if [ ${#base[@]} -gt 0 ]; then validate "$dir" "${base[@]}"; fi
    continue
  fi
  for f in "${imports[@]}"; do
    validate "$dir with ${f##*/}" "${base[@]}" "$f"
  done
done

if [ "$failed" -gt 0 ]; then
  echo "examples-check: $failed of $((passed + failed)) checks FAILED"
  exit 1
fi
left_out=""
if [ "$skipped" -gt 0 ]; then left_out="; $skipped files left out, which need what it lacks"; fi
echo "examples-check: all $passed checks passed (${#dirs[@]} directories, $tf_version$left_out)"
