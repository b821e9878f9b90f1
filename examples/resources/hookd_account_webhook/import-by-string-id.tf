import {
  to = hookd_account_webhook.audit
  id = "wh_0123456789abcdefghij"
}
