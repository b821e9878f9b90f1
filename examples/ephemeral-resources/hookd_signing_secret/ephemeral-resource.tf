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

  # Installed on create, whenever the version changes, and again when the
  # server no longer has the secret Terraform installed (rotated or
  # replaced outside Terraform, seen through secret_fingerprint).
  secret_wo                    = ephemeral.hookd_signing_secret.billing.secret
  secret_wo_version            = var.billing_secret_version
  secret_wo_grace_period_hours = 24
}

# The same value goes, in the same run, to the receiver's secret store
# through its own write-only argument. Its version must change whenever
# hookd gets a new secret, which a bump of var.billing_secret_version alone
# does not cover: after a change outside Terraform, the next apply installs
# a new value in hookd with the same version. The webhook's
# secret_fingerprint changes in both cases; a store whose version is a
# number takes one made of it (its first 12 hex digits, 48 bits, exact in
# Terraform's numbers), a store whose version is a string can take it as is.
# For example:
#
# resource "aws_secretsmanager_secret_version" "billing_hook" {
#   secret_id                = aws_secretsmanager_secret.billing_hook.id
#   secret_string_wo         = ephemeral.hookd_signing_secret.billing.secret
#   secret_string_wo_version = parseint(substr(hookd_account_webhook.billing.secret_fingerprint, 0, 12), 16)
# }
