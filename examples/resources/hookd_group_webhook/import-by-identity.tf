# Terraform 1.12 or later: import by the resource identity.
import {
  to = hookd_group_webhook.billing
  identity = {
    id = "wh_0123456789abcdefghij"
  }
}
