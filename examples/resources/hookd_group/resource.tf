resource "hookd_group" "payments" {
  name        = "payments"
  description = "Events of the payments team's workspaces"

  # Optional: how long each operation may take (defaults: 5m).
  timeouts {
    create = "2m"
    delete = "2m"
  }
}

# Group-scope webhooks receive only the events of their group. Terraform
# deletes them before the group, which hookd requires.
resource "hookd_group_webhook" "ledger" {
  group_id = hookd_group.payments.id
  url      = "https://ledger.example.com/hooks/hookd"
  events   = ["transfer.*"]
}
