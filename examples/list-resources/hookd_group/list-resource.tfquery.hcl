# Terraform 1.14 or later. In a .tfquery.hcl file: `terraform query` lists
# the groups whose name starts with "team-", and
# `terraform query -generate-config-out=groups.tf` writes a hookd_group
# block and an import block for each.
list "hookd_group" "teams" {
  provider = hookd

  config {
    name_prefix = "team-"
  }
}
