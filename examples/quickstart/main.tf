terraform {
  required_version = ">= 1.11"

  required_providers {
    hookd = {
      source = "hookd/hookd"
    }
  }
}

# The endpoint and API key come from HOOKD_ENDPOINT and HOOKD_API_KEY.
provider "hookd" {}

# Every workspace event type the server knows, stable ones only.
data "hookd_event_catalog" "workspace" {
  category  = "workspace"
  stability = "stable"
}

resource "hookd_group" "payments" {
  name        = var.group_name
  description = "Workspaces billed by the payments team"
}

# The audit pipeline gets every workspace event of the account.
resource "hookd_account_webhook" "audit" {
  name   = "audit"
  url    = "${var.receiver_url}/audit"
  events = data.hookd_event_catalog.workspace.types

  headers = {
    "X-Team" = "security"
  }

  # Change the trigger to rotate the signing secret in place; the previous
  # secret keeps verifying for grace_period_hours.
  secret_rotation = {
    trigger            = var.secret_rotation_trigger
    grace_period_hours = 24
  }

  # A test delivery after every create and update; the apply fails if the
  # receiver does not answer 2xx.
  test_on_apply = true
}

# Billing gets the payment events of the payments group only.
resource "hookd_group_webhook" "billing" {
  group_id = hookd_group.payments.id
  name     = "billing"
  url      = "${var.receiver_url}/billing"
  events = [
    for e in data.hookd_event_catalog.workspace.events : e.type
    if startswith(e.type, "workspace.payment_")
  ]
  test_on_apply = true
}

# The recent deliveries of both webhooks. Read again on every plan, so
# `terraform apply -refresh-only` shows what arrived since.
data "hookd_webhook_deliveries" "recent" {
  for_each = {
    audit   = hookd_account_webhook.audit.id
    billing = hookd_group_webhook.billing.id
  }

  webhook_id = each.value
  limit      = 20
}
