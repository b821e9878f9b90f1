variable "webhook_id" {
  type = string
}

# The deliveries of the last 24 hours that are still being retried.
data "hookd_webhook_deliveries" "retrying" {
  webhook_id    = var.webhook_id
  status        = "retrying"
  created_after = timeadd(plantimestamp(), "-24h")
  limit         = 100
}

output "retrying" {
  value = {
    for d in data.hookd_webhook_deliveries.retrying.deliveries :
    d.id => "${d.event_type}: attempt ${d.attempt_count}/${d.max_attempts}, last answer ${coalesce(d.last_response_status_code, d.last_error, "none")}, next at ${d.next_attempt_at}"
  }
}
