output "group_id" {
  description = "The payments group; publish events with this group_id to reach its webhooks."
  value       = hookd_group.payments.id
}

output "webhook_ids" {
  description = "The webhook ids, by name."
  value = {
    audit   = hookd_account_webhook.audit.id
    billing = hookd_group_webhook.billing.id
  }
}

output "signing_secrets" {
  description = "The signing secrets (whsec_...), by webhook name, for the receiving side: terraform output -json signing_secrets."
  value = {
    audit   = hookd_account_webhook.audit.secret
    billing = hookd_group_webhook.billing.secret
  }
  sensitive = true
}

output "deliveries" {
  description = "The recent deliveries of each webhook, newest first, one line each."
  value = {
    for name, d in data.hookd_webhook_deliveries.recent : name => [
      for x in d.deliveries :
      "${x.created_at} ${x.event_type}${x.is_test ? " (test)" : ""}: ${x.status} after ${x.attempt_count} attempt(s), last answer ${coalesce(x.last_response_status_code, x.last_error, "none")}"
    ]
  }
}
