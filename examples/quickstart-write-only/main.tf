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

data "hookd_event_catalog" "workspace" {
  category  = "workspace"
  stability = "stable"
}

# A signing secret made here, on every run, and never stored by Terraform.
ephemeral "hookd_signing_secret" "audit" {}

# The audit pipeline gets every workspace event of the account. Its secret
# is the one above, installed on create and whenever secret_version changes.
resource "hookd_account_webhook" "audit" {
  name   = "audit"
  url    = "${var.receiver_url}/audit"
  events = data.hookd_event_catalog.workspace.types

  secret_wo                    = ephemeral.hookd_signing_secret.audit.secret
  secret_wo_version            = var.secret_version
  secret_wo_grace_period_hours = 24

  test_on_apply = true
}

# The receiving side's copy, in the same run. Here a file per webhook in
# secrets_dir stands in for a secret store; with a real one, give the same
# ephemeral value to its write-only argument instead, such as
# aws_secretsmanager_secret_version.secret_string_wo with
# secret_string_wo_version = var.secret_version.
resource "terraform_data" "receiver_secret" {
  count = var.secrets_dir == "" ? 0 : 1
  # Whenever hookd gets a new secret: a new version, or secret_wo installed
  # again after a change outside Terraform (the fingerprint changes).
  triggers_replace = [var.secret_version, hookd_account_webhook.audit.secret_fingerprint]

  provisioner "local-exec" {
    command = "umask 077 && printf '%s\\n' \"$SECRET\" > \"$FILE\""
    environment = {
      SECRET = ephemeral.hookd_signing_secret.audit.secret
      FILE   = "${var.secrets_dir}/audit"
    }
  }
}
