# Terraform 1.12 or later: import by the resource identity.
import {
  to = hookd_group.payments
  identity = {
    id = "grp_0123456789abcdefghij"
  }
}
