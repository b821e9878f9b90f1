package provider

import "github.com/hashicorp/terraform-plugin-framework/datasource"

// NewWebhookDataSource is a placeholder until this object is implemented.
func NewWebhookDataSource() datasource.DataSource { return nil }
