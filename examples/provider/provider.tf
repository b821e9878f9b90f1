terraform {
  required_providers {
    hookd = {
      source = "hookd/hookd"
    }
  }
}

# The endpoint and API key usually come from HOOKD_ENDPOINT and
# HOOKD_API_KEY, so that no key lands in configuration or plan files.
provider "hookd" {
  endpoint        = "https://hooks.example.com"
  max_retries     = 5
  request_timeout = "30s"
}
