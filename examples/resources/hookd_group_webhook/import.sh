# A group webhook is imported by its id; group_id is read from the API.
# `secret` is null after import: set secret_rotation.trigger to rotate and
# store a new one.
terraform import hookd_group_webhook.billing wh_0123456789abcdefghij
