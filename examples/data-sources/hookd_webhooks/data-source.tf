# Every account-scope webhook.
data "hookd_webhooks" "account" {
  scope = "account"
}

# The webhooks of one group.
data "hookd_webhooks" "billing" {
  group_id = "grp_2Yx9TgH4kL0aQw"
}

output "auto_disabled_account_webhooks" {
  value = [for w in data.hookd_webhooks.account.webhooks : w.url if w.status == "auto_disabled"]
}

output "billing_webhook_ids" {
  value = data.hookd_webhooks.billing.ids
}
