# Terraform 1.16 or later. A test delivery after every create and update of
# the webhook (the apply fails if the receiver does not answer 2xx), and on
# demand: terraform apply -invoke=action.hookd_webhook_test.audit
#
# caller is the resource whose action_trigger runs the action (Terraform
# 1.16+). Terraform 1.14 and 1.15 have no caller: there, write
# webhook_id = hookd_account_webhook.audit.id instead, which 1.16 warns about
# ("Reference to triggering resource": it can make graph cycles).
action "hookd_webhook_test" "audit" {
  config {
    webhook_id = caller.id
    event_type = "transfer.created"
  }
}

resource "hookd_account_webhook" "audit" {
  url    = "https://audit.example.com/hooks/hookd"
  events = ["transfer.*"]

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.hookd_webhook_test.audit]
    }
  }
}
