# Terraform 1.14 or later. In a .tfquery.hcl file: `terraform query` lists
# the active account webhooks that receive transfer.created (subscribed to
# it, to "transfer.*" or to "*"), with every attribute, and
# `terraform query -generate-config-out=webhooks.tf` writes a
# hookd_account_webhook block and an import block for each. Secrets and
# auth tokens are never listed: configure a webhook's auth token again
# before applying its import.
list "hookd_account_webhook" "transfers" {
  provider         = hookd
  include_resource = true
  limit            = 500

  config {
    event  = "transfer.created"
    active = true
  }
}
