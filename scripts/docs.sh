#!/usr/bin/env bash
# Regenerates docs/ from the provider's schemas, examples/ and templates/
# (go generate runs it). The schema comes from the newest Terraform
# (scripts/terraform.sh): `terraform providers schema -json` of a fresh
# provider build through dev_overrides, handed to tfplugindocs with
# --providers-schema. Terraform 1.11 would leave out what it does not know
# (write-only arguments, identity, actions, list resources) and so would the
# pages. Nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/terraformrc.sh
. scripts/lib/terraformrc.sh

tf=$(bash scripts/terraform.sh "${TERRAFORM_NEWEST:-}")
work=$(mktemp -d "${TMPDIR:-/tmp}/hookd-docs.XXXXXX")
trap 'rm -rf "$work"' EXIT

go build -o "$work/providers/terraform-provider-hookd" .
use_dev_overrides "$work/terraformrc" "$work/providers"
mkdir "$work/config"
cat >"$work/config/main.tf" <<'EOF_TF'
terraform {
  required_providers {
    hookd = {
      source = "hookd/hookd"
    }
  }
}
EOF_TF
# tfplugindocs looks the schema up by the provider's short name.
CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 "$tf" -chdir="$work/config" providers schema -json |
  sed 's#"registry.terraform.io/hookd/hookd":#"hookd":#' >"$work/schema.json"
grep -q '"hookd":' "$work/schema.json" || { echo "docs.sh: no schema of hookd/hookd in terraform providers schema -json" >&2; exit 1; }
"$tf" fmt -recursive ./examples/
go tool tfplugindocs generate --provider-name hookd --rendered-provider-name hookd --providers-schema "$work/schema.json"
