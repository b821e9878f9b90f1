variable "receiver_url" {
  description = "Base URL of the receiving service, without a trailing slash: the audit webhook posts to <receiver_url>/audit, the billing webhook to <receiver_url>/billing."
  type        = string
  default     = "https://hooks.example.com/hookd"

  validation {
    condition     = can(regex("^https?://[^/]+(/.*[^/])?$", var.receiver_url))
    error_message = "receiver_url must be an http(s) URL without a trailing slash, such as https://hooks.example.com/hookd."
  }
}

variable "group_name" {
  description = "Name of the group of the billing webhook; unique on the server."
  type        = string
  default     = "payments"
}

variable "secret_rotation_trigger" {
  description = "Change it (a date, a counter) to rotate the audit webhook's signing secret."
  type        = string
  default     = "2026-11"
}
