# Sourced by scripts that run Terraform against a provider built from this
# tree (demo.sh, examples-check.sh).

# use_dev_overrides RC PROVIDER_DIR writes a Terraform CLI configuration to RC
# in which hookd/hookd comes from PROVIDER_DIR (dev_overrides: no terraform
# init, nothing downloaded) and points TF_CLI_CONFIG_FILE at it, whatever the
# environment set before.
use_dev_overrides() {
  cat >"$1" <<EOF_RC
provider_installation {
  dev_overrides {
    "hookd/hookd" = "$2"
  }
  direct {}
}
EOF_RC
  export TF_CLI_CONFIG_FILE="$1"
}
