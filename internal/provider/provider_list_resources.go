package provider

import (
	"context"
	"iter"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"
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

// inListConfig is v for an argument of a list resource's config block:
// its diagnostics point at the argument under config. The framework gives
// a list resource's validators the argument's path in the config block
// (name_prefix), and Terraform finds that path in the list block, where
// the argument is config.name_prefix: Terraform 1.16 puts config in front
// of the paths of ListResource's diagnostics, and of the actions', but not
// of ValidateListResourceConfig's, whose errors then point at the list
// block's first line. The message keeps the argument's own name.
func inListConfig(v validator.String) validator.String { return listConfigValidator{v} }

type listConfigValidator struct{ validator.String }

func (v listConfigValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	var inner validator.StringResponse
	v.String.ValidateString(ctx, req, &inner)
	for _, d := range inner.Diagnostics {
		if dp, ok := d.(diag.DiagnosticWithPath); ok {
			d = diag.WithPath(underConfig(dp.Path()), d)
		}
		resp.Diagnostics.Append(d)
	}
}

// underConfig is p, a path in a list resource's config block, as a path in
// the list block: config.p.
func underConfig(p path.Path) path.Path {
	out := path.Root("config")
	for _, step := range p.Steps() {
		switch s := step.(type) {
		case path.PathStepAttributeName:
			out = out.AtName(string(s))
		case path.PathStepElementKeyString:
			out = out.AtMapKey(string(s))
		case path.PathStepElementKeyInt:
			out = out.AtListIndex(int(s))
		case path.PathStepElementKeyValue:
			out = out.AtSetValue(s.Value)
		}
	}
	return out
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

// listResults is the stream of a list resource over one of the client's
// lazy lists (AllGroups, AllWebhooks): a result per item, made by result,
// read no further than limit results (0 or less: no limit) nor than
// Terraform asks for. An API error ends the stream with one result holding
// its diagnostic, summarised by failure ("Unable to list groups"). The
// count listed is logged at debug level, as what ("listed groups").
func listResults[T any](ctx context.Context, all iter.Seq2[T, error], limit int64, failure, what string, result func(*T) list.ListResult) iter.Seq[list.ListResult] {
	return func(push func(list.ListResult) bool) {
		n := int64(0)
		for item, err := range all {
			if err != nil {
				var diags diag.Diagnostics
				addAPIError(&diags, failure, err)
				push(list.ListResult{Diagnostics: diags})
				return
			}
			if !push(result(&item)) {
				return
			}
			if n++; n == limit {
				break
			}
		}
		tflog.Debug(ctx, what, map[string]any{"count": n})
	}
}
