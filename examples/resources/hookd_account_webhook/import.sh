# An account webhook is imported by its id. The signing secret is not
# returned by the API, so `secret` is null after import: set
# secret_rotation.trigger to rotate and store a new one.
terraform import hookd_account_webhook.audit wh_0123456789abcdefghij
