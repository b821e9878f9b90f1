variable "receiver_url" {
  description = "Base URL of the receiving service, without a trailing slash: the audit webhook posts to <receiver_url>/audit."
  type        = string
  default     = "https://hooks.example.com/hookd"

  validation {
    condition     = can(regex("^https?://[^/]+(/.*[^/])?$", var.receiver_url))
    error_message = "receiver_url must be an http(s) URL without a trailing slash, such as https://hooks.example.com/hookd."
  }
}

variable "secret_version" {
  description = "Bump it to make a new signing secret and install it in place; the previous one keeps verifying for 24 hours."
  type        = number
  default     = 1
}

variable "secrets_dir" {
  description = "A directory where the receiver reads its secrets (one file per webhook, named after the last part of its URL), standing in for a secret store; empty to skip."
  type        = string
  default     = ""
}
