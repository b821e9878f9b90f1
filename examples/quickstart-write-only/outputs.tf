output "webhook_id" {
  description = "The audit webhook's id."
  value       = hookd_account_webhook.audit.id
}

output "secret_fingerprint" {
  description = "Fingerprint of the webhook's signing secret (first 8 bytes of its SHA-256, hex): compare with the receiver's copy, `printf '%s' \"$secret\" | sha256sum | cut -c1-16`. The secret itself is in no output, plan or state."
  value       = hookd_account_webhook.audit.secret_fingerprint
}
