# A signing secret made where Terraform runs, never written to plan or
# state (Terraform 1.11 or later for the write-only arguments it feeds).
ephemeral "hookd_signing_secret" "billing" {
  bytes = 32
}

variable "billing_secret_version" {
  description = "Bump it to make and install a new signing secret."
  type        = number
  default     = 1
}

resource "hookd_account_webhook" "billing" {
  url    = "https://billing.example.com/hooks/hookd"
  events = ["workspace.payment_failed"]

  # Installed on create and whenever the version changes.
  secret_wo                    = ephemeral.hookd_signing_secret.billing.secret
  secret_wo_version            = var.billing_secret_version
  secret_wo_grace_period_hours = 24
}

# The same value goes, in the same run, to the receiver's secret store
# through its own write-only argument, for example:
#
# resource "aws_secretsmanager_secret_version" "billing_hook" {
#   secret_id                = aws_secretsmanager_secret.billing_hook.id
#   secret_string_wo         = ephemeral.hookd_signing_secret.billing.secret
#   secret_string_wo_version = var.billing_secret_version
# }
