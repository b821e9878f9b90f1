variable "webhook_id" {
  type = string
}

# A webhook managed elsewhere, such as by another team's configuration.
data "hookd_webhook" "audit" {
  id = var.webhook_id
}

check "audit_webhook_enabled" {
  assert {
    condition     = data.hookd_webhook.audit.status == "active"
    error_message = "The audit webhook is ${data.hookd_webhook.audit.status}: ${coalesce(data.hookd_webhook.audit.disabled_reason, "switched off")}."
  }
}
