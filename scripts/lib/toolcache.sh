# Sourced by scripts/terraform.sh and scripts/gotool.sh: the one directory
# where the tools this project builds from source (Terraform, OpenTofu,
# golangci-lint, goreleaser) are cached, as TOOL/VERSION/TOOL, outside any
# clone so that every clone on the machine reuses them.
tools_cache=${HOOKD_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hookd-tools}
