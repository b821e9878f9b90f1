package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
)

var _ provider.ProviderWithListResources = (*hookdProvider)(nil)

// ListResources are the list resources of terraform query (Terraform
// 1.14+): one for each managed resource, of the same name.
func (p *hookdProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewGroupListResource,
		NewAccountWebhookListResource,
		NewGroupWebhookListResource,
	}
}

// maxPageSize is the largest page the API serves (api/openapi.yaml,
// parameter Limit).
const maxPageSize = 1000

// listPageSize is the page size of a list that stops after limit results
// (terraform query's limit, 100 by default): no page asks for more than
// the whole list needs. A limit of 0 or less stops nowhere.
func listPageSize(limit int64) int {
	if limit <= 0 || limit > maxPageSize {
		return maxPageSize
	}
	return int(limit)
}

// listConfigured reports whether the provider handed its client over; a
// list resource of a provider that was not configured (its configuration
// unknown) fails with an error instead.
func listConfigured(data *providerData, diags *diag.Diagnostics) bool {
	if data != nil {
		return true
	}
	diags.AddError("Provider not configured",
		"The hookd provider was not configured when the list ran: its configuration must be known before terraform query runs. "+
			"Set endpoint and api_key from variables or the "+EnvEndpoint+" and "+EnvAPIKey+" environment variables.")
	return false
}
