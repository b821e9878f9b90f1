# Terraform 1.14 or later. Send a finished delivery again (a new delivery of
# the same event), here the newest dead-lettered one of a webhook:
#   terraform apply -invoke=action.hookd_delivery_replay.newest_dead_letter
data "hookd_webhook_deliveries" "dead" {
  webhook_id = "wh_0123456789abcdefghij"
  status     = "dead_lettered"
  limit      = 1
}

action "hookd_delivery_replay" "newest_dead_letter" {
  config {
    delivery_id = data.hookd_webhook_deliveries.dead.deliveries[0].id
  }
}
