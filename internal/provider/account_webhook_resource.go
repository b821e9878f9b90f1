package provider

import "github.com/hashicorp/terraform-plugin-framework/resource"

// NewAccountWebhookResource is a placeholder until this object is implemented.
func NewAccountWebhookResource() resource.Resource { return nil }
