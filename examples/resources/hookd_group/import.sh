# A group is imported by its id (grp_...), not by its name; data.hookd_group
# with name = "..." finds the id of a named group.
terraform import hookd_group.payments grp_0123456789abcdefghij
