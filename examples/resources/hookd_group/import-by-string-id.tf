# Terraform 1.5 and later: import with a block, then plan to review it.
import {
  to = hookd_group.payments
  id = "grp_0123456789abcdefghij"
}
