# Terraform 1.14 or later. Rotate now, outside any plan:
#   terraform apply -invoke=action.hookd_webhook_rotate_secret.partner
# The new secret is not given to Terraform; to keep the secret in state,
# rotate with the webhook's secret_rotation.trigger instead.
variable "partner_webhook_id" {
  type    = string
  default = "wh_0123456789abcdefghij"
}

action "hookd_webhook_rotate_secret" "partner" {
  config {
    webhook_id         = var.partner_webhook_id
    grace_period_hours = 48
  }
}
