variable "audit_token" {
  type      = string
  sensitive = true
}

resource "hookd_account_webhook" "audit" {
  name        = "audit-log"
  description = "Every transfer and API key event, to the audit pipeline"
  url         = "https://audit.example.com/hooks/hookd"
  events      = ["transfer.*", "api_key.*"]

  headers = {
    "X-Team" = "security"
  }
  auth_token = var.audit_token

  # Change the trigger to rotate the signing secret in place; the previous
  # secret keeps verifying for grace_period_hours.
  secret_rotation = {
    trigger            = "2026-11"
    grace_period_hours = 24
  }

  test_on_apply = true
}

# The signing secret, for the receiving side (a secret store, say).
output "audit_signing_secret" {
  value     = hookd_account_webhook.audit.secret
  sensitive = true
}
