resource "hookd_group" "payments" {
  name        = "payments"
  description = "The payments team"
}

data "hookd_event_catalog" "workspace" {
  category = "workspace"
}

resource "hookd_group_webhook" "billing" {
  group_id = hookd_group.payments.id
  name     = "billing"
  url      = "https://billing.example.com/hookd"
  events   = data.hookd_event_catalog.workspace.types
}

# A signing secret and a token of your own, from a secret store, kept out of
# plan and state (write-only arguments, Terraform 1.11 or later).
variable "ledger_signing_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "ledger_token" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "hookd_group_webhook" "ledger" {
  group_id = hookd_group.payments.id
  name     = "ledger"
  url      = "https://ledger.example.com/hookd"
  events   = ["workspace.payment_failed", "workspace.payment_succeeded"]

  # Bump a version to send its value again (a new secret is installed in
  # place, the old one verifies for 24 hours).
  secret_wo             = var.ledger_signing_secret
  secret_wo_version     = 1
  auth_token_wo         = var.ledger_token
  auth_token_wo_version = 1
}
