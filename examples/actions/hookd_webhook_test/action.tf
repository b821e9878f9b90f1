# Terraform 1.14 or later. A test delivery after every create and update of
# the webhook (the apply fails if the receiver does not answer 2xx), and on
# demand: terraform apply -invoke=action.hookd_webhook_test.audit
action "hookd_webhook_test" "audit" {
  config {
    webhook_id = hookd_account_webhook.audit.id
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
