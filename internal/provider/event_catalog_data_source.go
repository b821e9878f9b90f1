package provider

import "github.com/hashicorp/terraform-plugin-framework/datasource"

// NewEventCatalogDataSource is a placeholder until this object is implemented.
func NewEventCatalogDataSource() datasource.DataSource { return nil }
