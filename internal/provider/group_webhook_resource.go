package provider

import "github.com/hashicorp/terraform-plugin-framework/resource"

// NewGroupWebhookResource is a placeholder until this object is implemented.
func NewGroupWebhookResource() resource.Resource { return nil }
