# Terraform 1.12 or later: import by the resource identity.
import {
  to = hookd_account_webhook.audit
  identity = {
    id = "wh_0123456789abcdefghij"
  }
}
