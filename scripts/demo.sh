#!/usr/bin/env bash
# make demo: the quickstart end to end, with nothing but go and terraform
# (or OpenTofu: TF_CLI=tofu, or tofu the only one on PATH).
#
# Builds the provider, hookd and scripts/demotool; starts hookd on a free
# loopback port with a temporary database and a generated API key, and a
# local receiver that prints every delivery and verifies its signatures;
# points Terraform at the fresh provider build with a throwaway CLI
# configuration (dev_overrides, so nothing is downloaded); applies
# examples/quickstart; publishes a few events; shows the deliveries as
# Terraform reads them; destroys; applies examples/quickstart-write-only (a
# signing secret that never touches state), rotates it, runs an action and
# terraform query (which must list the webhook it made) when the CLI has
# them (it asks the CLI, as the acceptance tests do: no list of versions),
# destroys; and
# stops everything it started, by PID,
# also when interrupted. Everything lives in one temporary directory,
# removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/terraformrc.sh
. scripts/lib/terraformrc.sh

if [ -t 1 ]; then
  bold=$'\033[1m' red=$'\033[31m' reset=$'\033[0m' tf_color=()
else
  bold="" red="" reset="" tf_color=(-no-color)
fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }
info() { printf '    %s\n' "$*"; }
die() { printf '%sdemo: %s%s\n' "$red" "$*" "$reset" >&2; exit 1; }

# The CLI: TF_CLI when set (terraform or tofu), otherwise terraform, or tofu
# when it is the only one on PATH.
tf_cli=${TF_CLI:-}
if [ -z "$tf_cli" ]; then
  tf_cli=terraform
  if ! command -v terraform >/dev/null 2>&1 && command -v tofu >/dev/null 2>&1; then
    tf_cli=tofu
  fi
fi

# The two tools the demo needs; exit 127 ("command not found") without them.
for tool in go "$tf_cli"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case $tool in
      go) hint="install Go 1.26 or newer (https://go.dev/dl/)" ;;
      tofu) hint="install OpenTofu 1.11 or newer (https://opentofu.org/docs/intro/install/)" ;;
      *) hint="install Terraform 1.11 or newer (https://developer.hashicorp.com/terraform/install), or OpenTofu and run with TF_CLI=tofu" ;;
    esac
    printf "%sdemo: '%s' is not installed or not on PATH: %s, then run 'make demo' again%s\n" "$red" "$tool" "$hint" "$reset" >&2
    exit 127
  fi
done
terraform() { command "$tf_cli" "$@"; }

# Nothing from the caller's environment steers hookd, the provider or
# Terraform: the demo sets what it needs below.
for var in $(compgen -e); do
  case $var in
    HOOKD_* | TF_CLI_ARGS* | TF_DATA_DIR | TF_WORKSPACE | TF_VAR_*) unset "$var" ;;
  esac
done
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

work=$(mktemp -d "${TMPDIR:-/tmp}/hookd-demo.XXXXXX")
hookd_pid="" receiver_pid="" fg_pid="" fg_name="" interrupted=""
exec 3>&1 4>&2

# stop PID NAME [SIGNAL]: signals a process the demo spawned, with its
# process group (go build's compilers, terraform's provider plugin), waits
# up to 15 s for it to exit, then kills the group.
stop() {
  local pid=$1 name=$2 sig=${3:-TERM}
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    info "$name (pid $pid) did not exit within 15 s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  info "stopped $name (pid $pid)"
}

cleanup() {
  local rc=$?
  trap - INT TERM HUP
  # An interrupt can land while a command's output goes to a log file:
  # report on the streams the demo started with.
  exec 1>&3 2>&4
  if [ -n "$interrupted" ]; then
    step "Interrupted: stopping what the demo started (hookd's database goes with it, so nothing is left to destroy)"
  elif [ "$rc" -ne 0 ] && [ -s "$work/hookd.log" ]; then
    printf '\n%sdemo failed (exit %s); the end of hookd'"'"'s log:%s\n' "$red" "$rc" "$reset" >&2
    tail -n 15 "$work/hookd.log" >&2 || true
  fi
  stop "$fg_pid" "$fg_name" INT
  stop "$receiver_pid" "the receiver"
  stop "$hookd_pid" "hookd"
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'interrupted=1; exit 130' INT
trap 'interrupted=1; exit 143' TERM
trap 'interrupted=1; exit 129' HUP

# spawn VAR CMD...: starts CMD in the background in a process group of its
# own, so that a Ctrl-C reaches only this script, whose cleanup then stops
# everything by PID and in order (terraform before the servers it talks
# to); VAR gets the PID.
spawn() {
  local var=$1
  shift
  set -m
  "$@" </dev/null 3>&- 4>&- &
  printf -v "$var" "%s" "$!"
  set +m
}

# run CMD...: runs a command the way spawn does and waits for it, so that
# an interrupt is handled at once.
run() {
  local rc=0
  fg_name=${1##*/}
  spawn fg_pid "$@"
  wait "$fg_pid" || rc=$?
  fg_pid=""
  return "$rc"
}

step "Building the provider, hookd and the demo tool into $work"
mkdir -p "$work/providers" "$work/secrets" "$work/quickstart"
run go build -o "$work/providers/terraform-provider-hookd" .
run go build -o "$work/hookd" ./cmd/hookd
run go build -o "$work/demotool" ./scripts/demotool
demotool="$work/demotool"
info "$(go version)"

step "Writing a throwaway Terraform CLI configuration (dev_overrides: the provider comes from this build, nothing is downloaded)"
use_dev_overrides "$work/terraformrc" "$work/providers"
info "TF_CLI_CONFIG_FILE=$TF_CLI_CONFIG_FILE"
tf_version=$(terraform version)
tf_version=${tf_version%%$'\n'*}
info "the CLI: $tf_cli, $tf_version"
if [[ $tf_version =~ ^(Terraform|OpenTofu)\ v([0-9]+)\.([0-9]+) ]] &&
  { [ "${BASH_REMATCH[2]}" -lt 1 ] || { [ "${BASH_REMATCH[2]}" -eq 1 ] && [ "${BASH_REMATCH[3]}" -lt 11 ]; }; }; then
  die "$tf_version is too old: the provider needs Terraform or OpenTofu 1.11 or newer"
fi

step "Starting hookd on a free loopback port (temporary database, generated API key)"
HOOKD_API_KEY="hookd_demo_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
export HOOKD_API_KEY # read by hookd, the provider and the demo tool alike
spawn hookd_pid "$work/hookd" serve --addr 127.0.0.1:0 --db "$work/hookd.db" --allow-private-destinations \
  --log-format json 2>"$work/hookd.log"
addr=$("$demotool" addr -hookd-log "$work/hookd.log" -pid "$hookd_pid" -timeout 20s) || die "hookd did not start"
export HOOKD_ENDPOINT="http://$addr"
info "hookd (pid $hookd_pid) listens on $HOOKD_ENDPOINT"

step "Starting a local receiver that prints each delivery and verifies its signatures"
spawn receiver_pid "$demotool" receive -secrets "$work/secrets" -addr-file "$work/receiver.addr"
receiver=$("$demotool" addr -file "$work/receiver.addr" -pid "$receiver_pid" -timeout 20s) || die "the receiver did not start"
info "the receiver (pid $receiver_pid) listens on $receiver; a webhook's secret goes in $work/secrets/<last part of its URL path>"

tf() { run terraform -chdir="$work/quickstart" "$@"; }
vars=(-var "receiver_url=$receiver/hooks")

step "terraform apply: examples/quickstart (a group, an account webhook and a group webhook from the event catalog, test_on_apply)"
cp examples/quickstart/*.tf "$work/quickstart/"
info "no terraform init: with dev_overrides, apply uses the provider build directly"
info "the test deliveries arrive during the apply, before their secrets can be known: the receiver holds them"
tf apply -input=false -auto-approve -compact-warnings ${tf_color[@]+"${tf_color[@]}"} "${vars[@]}"

step "Handing the signing secrets to the receiver (terraform output -json signing_secrets)"
terraform -chdir="$work/quickstart" output -json signing_secrets | "$demotool" secrets -dir "$work/secrets"
run "$demotool" wait -receiver "$receiver" -min 2 -timeout 20s

step "Publishing events: 4 of the workspace category, for the payments group"
group_id=$(terraform -chdir="$work/quickstart" output -raw group_id)
run "$demotool" publish -category workspace -n 4 -group-id "$group_id" -wait 30s
run "$demotool" wait -receiver "$receiver" -timeout 20s

step "Reading the deliveries back through Terraform (terraform apply -refresh-only, then terraform output deliveries)"
tf apply -refresh-only -input=false -auto-approve -compact-warnings -no-color "${vars[@]}" >"$work/refresh.log" ||
  { cat "$work/refresh.log"; die "terraform apply -refresh-only failed"; }
info "refreshed; the hookd_webhook_deliveries data sources read again"
tf output ${tf_color[@]+"${tf_color[@]}"} deliveries

step "terraform destroy"
tf destroy -input=false -auto-approve -compact-warnings -no-color "${vars[@]}" >"$work/destroy.log" ||
  { cat "$work/destroy.log"; die "terraform destroy failed"; }
while IFS= read -r line; do # the progress lines only; the plan is the apply's, reversed
  case $line in *Destroying* | *"Destruction complete"* | "Destroy complete"*) info "$line" ;; esac
done <"$work/destroy.log"

step "The same without a secret in state: examples/quickstart-write-only ($tf_version has write-only arguments)"
info "ephemeral.hookd_signing_secret makes the secret, secret_wo sends it to hookd, and a local-exec hands it to the receiver; Terraform stores none of it"
mkdir -p "$work/quickstart-write-only"
cp examples/quickstart-write-only/*.tf "$work/quickstart-write-only/"
tfwo() { run terraform -chdir="$work/quickstart-write-only" "$@"; }
seen=$("$demotool" wait -receiver "$receiver" -timeout 5s | sed -n 's/.*all \([0-9]*\) deliver.*/\1/p')
wovars=(-var "receiver_url=$receiver/hooks" -var "secrets_dir=$work/secrets")
rm -f "$work/secrets/audit"
tfwo apply -input=false -auto-approve -compact-warnings ${tf_color[@]+"${tf_color[@]}"} "${wovars[@]}"
run "$demotool" wait -receiver "$receiver" -min "$((seen + 1))" -timeout 20s
if grep -q whsec_ "$work/quickstart-write-only/terraform.tfstate"; then
  die "the state file holds a signing secret"
fi
fingerprint=$(terraform -chdir="$work/quickstart-write-only" output -raw secret_fingerprint)
held=$(head -n 1 "$work/secrets/audit" | tr -d '\n' | sha256sum | cut -c1-16)
[ "$fingerprint" = "$held" ] || die "hookd's secret (fingerprint $fingerprint) is not the receiver's ($held)"
info "the state file holds no signing secret; hookd and the receiver hold the same one (fingerprint $fingerprint)"

step "terraform apply -var secret_version=2: a new secret, installed in place"
tfwo apply -input=false -auto-approve -compact-warnings -no-color "${wovars[@]}" -var secret_version=2 >"$work/rotate.log" ||
  { cat "$work/rotate.log"; die "terraform apply -var secret_version=2 failed"; }
grep -E '^(hookd|terraform_data)|Apply complete' "$work/rotate.log" | sed 's/^/    /' || true
run "$demotool" wait -receiver "$receiver" -min "$((seen + 2))" -timeout 20s
info "secret fingerprint now $(terraform -chdir="$work/quickstart-write-only" output -raw secret_fingerprint)"

# has_feature NAME FILE [VALIDATE FLAG]... <CONFIG: whether the CLI knows
# the syntax of a feature, asked as internal/acctest/features.go asks it:
# it validates CONFIG (the built-in terraform_data only, nothing downloaded)
# in FILE of a directory of its own, and lacks the feature when it answers
# that it does not know a block, an argument, a flag or a file kind. Any
# other answer (valid, or an error about terraform_data having no action or
# list resource) means it parsed the syntax. What it answered is in
# $probe_answer.
probe_answer=""
has_feature() {
  local name=$1 file=$2 dir="$work/probe-$1" out
  shift 2
  mkdir -p "$dir"
  cat >"$dir/$file"
  out=$(terraform -chdir="$dir" validate -no-color "$@" 2>&1) || true
  probe_answer=$(grep -E -m1 'Unsupported block type|Unsupported argument|flag provided but not defined|Unsupported file' <<<"$out" || true)
  [ -z "$probe_answer" ]
}
if has_feature actions main.tf <<'EOF_TF'
action "terraform_data" "x" {}
EOF_TF
then
  step "An action: terraform apply -invoke=action.hookd_webhook_test.audit ($tf_version has actions)"
  cat >"$work/quickstart-write-only/actions.tf" <<'EOF_TF'
action "hookd_webhook_test" "audit" {
  config {
    webhook_id = hookd_account_webhook.audit.id
    event_type = "workspace.created"
  }
}
EOF_TF
  tfwo apply -input=false -auto-approve -compact-warnings ${tf_color[@]+"${tf_color[@]}"} "${wovars[@]}" -var secret_version=2 \
    -invoke=action.hookd_webhook_test.audit
  run "$demotool" wait -receiver "$receiver" -min "$((seen + 3))" -timeout 20s
  rm -f "$work/quickstart-write-only/actions.tf"
else
  info "actions (terraform apply -invoke) are left out: $tf_version does not know action blocks (it answered \"$probe_answer\" to one)"
fi

if has_feature list_resources main.tfquery.hcl -query <<'EOF_TF'
list "terraform_data" "x" {
  provider = terraform
}
EOF_TF
then
  step "terraform query: the account webhooks hookd has (list resources; $tf_version has them)"
  cat >"$work/quickstart-write-only/webhooks.tfquery.hcl" <<'EOF_TF'
list "hookd_account_webhook" "all" {
  provider = hookd
}
EOF_TF
  # The query must find the webhook the apply made, not merely succeed: an
  # empty result exits 0 too. Its lines read
  # list.hookd_account_webhook.all   id=<id>   <name> (<id>).
  webhook_id=$(terraform -chdir="$work/quickstart-write-only" output -raw webhook_id)
  tfwo query -no-color "${wovars[@]}" -var secret_version=2 >"$work/query.log" ||
    { cat "$work/query.log"; die "terraform query failed"; }
  grep '^list\.' "$work/query.log" | sed 's/^/    /' || true
  grep -Eq "^list\.hookd_account_webhook\.all[[:space:]].*id=$webhook_id([[:space:]]|\$)" "$work/query.log" ||
    { cat "$work/query.log"; die "terraform query did not list the account webhook $webhook_id (audit) that the apply made"; }
  info "terraform query listed the audit webhook ($webhook_id)"
  rm -f "$work/quickstart-write-only/webhooks.tfquery.hcl"
else
  info "terraform query (list resources) is left out: $tf_version does not know list blocks or validate -query (it answered \"$probe_answer\")"
fi

tfwo destroy -input=false -auto-approve -compact-warnings -no-color "${wovars[@]}" -var secret_version=2 >"$work/destroy-wo.log" ||
  { cat "$work/destroy-wo.log"; die "terraform destroy of quickstart-write-only failed"; }
info "destroyed"

step "Stopping the receiver and hookd"
stop "$receiver_pid" "the receiver"
stop "$hookd_pid" "hookd"
receiver_pid="" hookd_pid=""

step "Done in ${SECONDS}s: both quickstarts applied, delivered with verified signatures, and destroyed; $work is removed"
