# Terraform 1.14 or later. One immediate attempt of a failed delivery:
#   terraform apply -invoke=action.hookd_delivery_retry.this -var delivery_id=dlv_...
variable "delivery_id" {
  type    = string
  default = "dlv_0123456789abcdefghij"
}

action "hookd_delivery_retry" "this" {
  config {
    delivery_id = var.delivery_id
  }
}
