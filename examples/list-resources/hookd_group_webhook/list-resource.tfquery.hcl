# Terraform 1.14 or later. In a .tfquery.hcl file: `terraform query` lists
# the webhooks of one group, and
# `terraform query -generate-config-out=webhooks.tf` writes a
# hookd_group_webhook block and an import block for each.
list "hookd_group_webhook" "payments" {
  provider = hookd

  config {
    group_id = "grp_0123456789abcdefghij"
  }
}
