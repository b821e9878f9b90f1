# A group managed elsewhere, looked up by its exact (case-sensitive) name.
data "hookd_group" "payments" {
  name = "payments"
}

# Or by id.
data "hookd_group" "by_id" {
  id = "grp_0123456789abcdefghij"
}

resource "hookd_group_webhook" "ledger" {
  group_id = data.hookd_group.payments.id
  url      = "https://ledger.example.com/hooks/hookd"
  events   = ["transfer.*"]
}
