# Every stable transfer event, to subscribe a webhook to all of them by name
# (a "transfer.*" wildcard would also take beta types as they appear).
data "hookd_event_catalog" "transfer" {
  category  = "transfer"
  stability = "stable"
}

resource "hookd_account_webhook" "transfers" {
  url    = "https://transfers.example.com/hooks"
  events = data.hookd_event_catalog.transfer.types
}

# The JSON Schema of one event's data, decoded.
output "transfer_created_schema" {
  value = jsondecode(one([
    for e in data.hookd_event_catalog.transfer.events : e.schema if e.type == "transfer.created"
  ]))
}
