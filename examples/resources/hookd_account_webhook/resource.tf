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

# A webhook signed with Ed25519 (Standard Webhooks "v1a"): hookd keeps the
# private key; the receiver verifies with the public key alone, which is
# not secret. A rotation (secret_rotation, or the rotate action) replaces
# the key pair, and both keys sign during the grace window. hookd still
# keeps an HMAC secret for the webhook (used if it switches back to v1);
# giving it through the write-only secret_wo keeps that one out of state
# too (Terraform 1.11+, OpenTofu 1.11+), so no secret sits in state at all.
ephemeral "hookd_signing_secret" "ledger" {}

resource "hookd_account_webhook" "ledger" {
  name              = "ledger"
  url               = "https://ledger.example.com/hooks/hookd"
  events            = ["transfer.*"]
  signature_scheme  = "v1a"
  secret_wo         = ephemeral.hookd_signing_secret.ledger.secret
  secret_wo_version = 1
}

output "ledger_public_key" {
  value = hookd_account_webhook.ledger.public_key # whpk_...
}
