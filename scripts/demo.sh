#!/usr/bin/env bash
# make demo: builds hookd, starts it on a free loopback port with a temporary
# database and a generated API key, walks through the Hooks API with curl,
# and stops everything it started (also when interrupted).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

for tool in go curl jq; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed or not on PATH; install it and run 'make demo' again"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/hookd-demo.XXXXXX")
hookd_pid=""
cleanup() {
  if [ -n "$hookd_pid" ] && kill -0 "$hookd_pid" 2>/dev/null; then
    kill "$hookd_pid" 2>/dev/null || true
    wait "$hookd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Building hookd"
go build -o "$work/hookd" ./cmd/hookd

step "Starting hookd on a free loopback port (database in $work)"
export HOOKD_API_KEY="hookd_demo_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
"$work/hookd" serve --addr 127.0.0.1:0 --db "$work/hookd.db" --allow-private-destinations \
  --log-format json 2>"$work/hookd.log" &
hookd_pid=$!
addr=""
for _ in $(seq 1 100); do
  addr=$(jq -r 'select(.msg == "hookd started") | .addr' "$work/hookd.log" 2>/dev/null | head -n1)
  [ -n "$addr" ] && break
  kill -0 "$hookd_pid" 2>/dev/null || { cat "$work/hookd.log" >&2; die "hookd exited early"; }
  sleep 0.1
done
[ -n "$addr" ] || die "hookd did not start within 10 s; its log is above"
api="http://$addr"
echo "hookd is listening on $api"

call() { # method path [body]
  local method=$1 path=$2 body=${3:-}
  printf '\n$ curl -X %s %s%s\n' "$method" "$api" "$path" >&2
  if [ -n "$body" ]; then
    curl -sS -X "$method" "$api$path" -H "Authorization: Bearer $HOOKD_API_KEY" \
      -H 'Content-Type: application/json' -d "$body"
  else
    curl -sS -X "$method" "$api$path" -H "Authorization: Bearer $HOOKD_API_KEY"
  fi
}

step "Reading the event catalog"
call GET /v1/webhooks/events | jq -r '"  \(.data | length) event types, the first ones:", (.data[:12][] | "  \(.type) (\(.stability))")'
echo "..."

step "Creating a group"
group=$(call POST /v1/groups '{"name": "payments", "description": "the payments team"}')
echo "$group" | jq .
group_id=$(echo "$group" | jq -r .id)

step "Creating an account webhook (the secret is shown only in this response)"
call POST /v1/webhooks/account '{"name": "audit", "url": "https://audit.example.com/hooks", "events": ["transfer.*", "api_key.revoked"]}' \
  | jq '.secret |= (.[0:10] + "…")'

step "Creating a group webhook with a custom header and an auth token"
hook=$(call POST "/v1/webhooks/group/$group_id" '{"url": "https://payments.example.com/hooks", "events": ["workspace.payment_failed"], "headers": {"X-Team": "payments"}, "auth_token": "s3cr3t"}')
hook_id=$(echo "$hook" | jq -r .id)
echo "$hook" | jq '{id, scope, group_id, events, headers, auth_token_set, secret_version}'

step "A typo in an event type is caught, with a suggestion"
call POST /v1/webhooks/account '{"url": "https://x.example.com/", "events": ["transfer.craeted"]}' | jq .

step "Rotating the group webhook's secret with a 2 hour grace period"
call POST "/v1/webhooks/$hook_id/secret/rotate" '{"grace_period_hours": 2}' | jq '.secret |= (.[0:10] + "…")'

step "Listing the group's webhooks"
call GET "/v1/webhooks?group_id=$group_id" | jq '.data[] | {id, url, status, secret_version, previous_secret_expires_at}'

step "Cleaning up"
call DELETE "/v1/webhooks/$hook_id" && echo "deleted $hook_id"
call DELETE "/v1/groups/$group_id" && echo "deleted $group_id"

step "Done: stopping hookd"
