# Terraform 1.14 or later. The receiver was down last night: once it is back,
# replay every delivery that hookd gave up on since then, oldest first.
# hookd auto-disabled the webhook during the outage (410 Gone, or three dead
# letters in a row): reenable = true re-enables it first.
#   terraform apply -invoke=action.hookd_webhook_recover.after_outage
action "hookd_webhook_recover" "after_outage" {
  config {
    webhook_id = "wh_0123456789abcdefghij"
    since      = "2026-11-30T01:00:00Z"
    until      = "2026-11-30T07:00:00Z"
    status     = "dead_lettered"
    reenable   = true
  }
}
