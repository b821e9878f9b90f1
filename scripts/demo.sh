#!/usr/bin/env bash
# make demo: builds hookd, starts it on a free loopback port with a temporary
# database and a generated API key, walks through the Hooks API with curl,
# delivers events to a local receiver that checks their signatures, and
# stops everything it started (also when interrupted).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

for tool in go curl jq; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed or not on PATH; install it and run 'make demo' again"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/hookd-demo.XXXXXX")
hookd_pid=""
receiver_pid=""
cleanup() {
  for pid in "$receiver_pid" "$hookd_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
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

step "Starting a local receiver that checks every delivery's signatures"
mkdir -p "$work/receiver"
cat >"$work/receiver/main.go" <<'EOF'
// A webhook receiver for the demo: it prints each delivery and checks its
// webhook-signature with the secret in $SECRET_FILE, as the README shows.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println("listening on", ln.Addr())
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		secret, _ := os.ReadFile(os.Getenv("SECRET_FILE"))
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(string(secret)), "whsec_"))
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "."))
		mac.Write(body)
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		verdict := "signature does NOT verify"
		for _, sig := range strings.Fields(r.Header.Get("webhook-signature")) {
			if hmac.Equal([]byte(sig), []byte(want)) {
				verdict = "signature verified"
			}
		}
		fmt.Printf("received webhook-id=%s Hookd-Attempt=%s Hookd-Test-Delivery=%q X-Team=%q: %s\n  %s\n",
			r.Header.Get("webhook-id"), r.Header.Get("Hookd-Attempt"), r.Header.Get("Hookd-Test-Delivery"), r.Header.Get("X-Team"), verdict, body)
		w.WriteHeader(http.StatusNoContent)
	}))
}
EOF
(cd "$work/receiver" && go mod init demo/receiver >/dev/null 2>&1 && go build -o receiver .)
SECRET_FILE="$work/secret" "$work/receiver/receiver" >"$work/receiver.log" 2>&1 &
receiver_pid=$!
receiver=""
for _ in $(seq 1 100); do
  receiver=$(sed -n 's/^listening on //p' "$work/receiver.log" | head -n1)
  [ -n "$receiver" ] && break
  sleep 0.1
done
[ -n "$receiver" ] || die "the receiver did not start"
echo "the receiver listens on http://$receiver"

step "Subscribing it to workspace events (an account webhook with a custom header)"
rcv_hook=$(call POST /v1/webhooks/account "{\"name\": \"demo receiver\", \"url\": \"http://$receiver/hooks\", \"events\": [\"workspace.*\"], \"headers\": {\"X-Team\": \"demo\"}}")
rcv_hook_id=$(echo "$rcv_hook" | jq -r .id)
echo "$rcv_hook" | jq -r .secret >"$work/secret"
echo "$rcv_hook" | jq '{id, url, events, status}'

step "Publishing a workspace.created event (its data is the catalog's example)"
data=$(call GET /v1/webhooks/events | jq -c '.data[] | select(.type == "workspace.created") | .example')
call POST /v1/events "{\"type\": \"workspace.created\", \"data\": $data}" | jq .
for _ in $(seq 1 50); do
  grep -q '^received' "$work/receiver.log" && break
  sleep 0.1
done
echo "the receiver printed:"
sed 's/^/  /' "$work/receiver.log" | grep -v 'listening on'

step "The delivery as hookd recorded it (signatures and auth redacted)"
for _ in $(seq 1 50); do # the attempt is recorded right after the receiver answers
  status=$(curl -sS "$api/v1/webhooks/$rcv_hook_id/deliveries" -H "Authorization: Bearer $HOOKD_API_KEY" | jq -r '.data[0].status')
  [ "$status" = succeeded ] && break
  sleep 0.1
done
delivery_id=$(call GET "/v1/webhooks/$rcv_hook_id/deliveries" | jq -r '.data[0].id')
call GET "/v1/deliveries/$delivery_id" | jq '{id, event_type, status, attempt_count, attempts: [.attempts[] | {number, response_status_code, duration_ms, request_headers}]}'

step "A test delivery (marked Hookd-Test-Delivery: true, never retried)"
call POST "/v1/webhooks/$rcv_hook_id/test" '{}' | jq .
tail -n 2 "$work/receiver.log" | sed 's/^/  /'

step "Cleaning up"
call DELETE "/v1/webhooks/$rcv_hook_id" && echo "deleted $rcv_hook_id"
call DELETE "/v1/webhooks/$hook_id" && echo "deleted $hook_id"
call DELETE "/v1/groups/$group_id" && echo "deleted $group_id"

step "Done: stopping hookd"
