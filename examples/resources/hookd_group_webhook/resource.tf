resource "hookd_group" "payments" {
  name        = "payments"
  description = "The payments team"
}

data "hookd_event_catalog" "workspace" {
  category = "workspace"
}

resource "hookd_group_webhook" "billing" {
  group_id = hookd_group.payments.id
  name     = "billing"
  url      = "https://billing.example.com/hookd"
  events   = data.hookd_event_catalog.workspace.types
}
