package provider

import "github.com/hashicorp/terraform-plugin-framework/datasource"

// NewGroupDataSource is a placeholder until this object is implemented.
func NewGroupDataSource() datasource.DataSource { return nil }
