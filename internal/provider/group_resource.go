package provider

import "github.com/hashicorp/terraform-plugin-framework/resource"

// NewGroupResource is a placeholder until this object is implemented.
func NewGroupResource() resource.Resource { return nil }
