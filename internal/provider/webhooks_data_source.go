package provider

import "github.com/hashicorp/terraform-plugin-framework/datasource"

// NewWebhooksDataSource is a placeholder until this object is implemented.
func NewWebhooksDataSource() datasource.DataSource { return nil }
