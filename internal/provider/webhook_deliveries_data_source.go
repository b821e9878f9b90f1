package provider

import "github.com/hashicorp/terraform-plugin-framework/datasource"

// NewWebhookDeliveriesDataSource is a placeholder until this object is implemented.
func NewWebhookDeliveriesDataSource() datasource.DataSource { return nil }
