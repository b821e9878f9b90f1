import {
  to = hookd_group_webhook.billing
  id = "wh_0123456789abcdefghij"
}
