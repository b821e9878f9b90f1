package provider

import (
	"context"
	"fmt"
	"maps"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

var (
	_ list.ListResource              = (*webhookListResource)(nil)
	_ list.ListResourceWithConfigure = (*webhookListResource)(nil)
)

// webhookListResource is the list resource of both hookd_account_webhook
// and hookd_group_webhook (terraform query): one implementation, as for
// the managed resources, told apart by their webhookScope.
type webhookListResource struct {
	s    webhookScope
	data *providerData
}

// NewAccountWebhookListResource returns the hookd_account_webhook list resource.
func NewAccountWebhookListResource() list.ListResource {
	return &webhookListResource{s: accountScope{}}
}

// NewGroupWebhookListResource returns the hookd_group_webhook list resource.
func NewGroupWebhookListResource() list.ListResource {
	return &webhookListResource{s: groupScope{}}
}

// webhookListConfig is the config block of both webhook list resources.
// GroupID is null at account scope, which has no such argument.
type webhookListConfig struct {
	GroupID types.String
	Active  types.Bool
	Event   types.String
}

// listOptions is the API's list request for the configured filters, all of
// which the server applies.
func (c webhookListConfig) listOptions(scope client.Scope) client.WebhookListOptions {
	return client.WebhookListOptions{
		Scope:   scope,
		GroupID: c.GroupID.ValueString(),
		Active:  c.Active.ValueBoolPointer(),
		Event:   c.Event.ValueString(),
	}
}

func (r *webhookListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.s.typeName()
}

func (r *webhookListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	attrs := map[string]schema.Attribute{
		"active": schema.BoolAttribute{
			MarkdownDescription: "Only webhooks whose `active` switch has this value (whatever their `status`). Leave it out for both.",
			Optional:            true,
		},
		"event": schema.StringAttribute{
			MarkdownDescription: "Only webhooks subscribed to this event type, such as `transfer.created`: one of their `events` is the type, " +
				"its category wildcard (`transfer.*`) or `*`. One type of the server's event catalog, not a pattern.",
			Optional:   true,
			Validators: []validator.String{inListConfig(eventTypeValidator{})},
		},
	}
	maps.Copy(attrs, r.s.listAttributes())
	resp.Schema = schema.Schema{
		MarkdownDescription: fmt.Sprintf("Lists %ss, oldest first, for `terraform query` (Terraform 1.14+): each with its identity (`id`) "+
			"and its name or URL, and with `include_resource = true` every attribute of `hookd_%s` as an import would read it. "+
			"`terraform query -generate-config-out=FILE` writes a `hookd_%s` block and an import block for each. The filters are "+
			"applied by the server, and pages are read as results are needed, no further than the list block's `limit`. "+
			"Secrets are never listed: `secret` and `auth_token` are null (a webhook imported with an auth token needs it configured again; a warning names each listed webhook that has one).",
			r.kind(), r.s.typeName(), r.s.typeName()),
		Attributes: attrs,
	}
}

func (r *webhookListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// kind names the listed objects in messages: "account webhook", "group webhook".
func (r *webhookListResource) kind() string { return (&webhookResource{s: r.s}).kind() }

func (r *webhookListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	cfg, diags := r.config(ctx, req)
	if diags.HasError() || !listConfigured(r.data, &diags) {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	// The plan-time check of the event type against the live catalog,
	// with a suggestion; without a catalog the server says the same.
	if event := cfg.Event.ValueString(); event != "" {
		names := r.data.catalog.eventNames(ctx, &diags)
		if diags.HasError() {
			stream.Results = list.ListResultsStreamDiagnostics(diags)
			return
		}
		if err := validateType(names, event); err != nil {
			diags.AddAttributeError(path.Root("event"), "Unknown event type",
				err.Error()+". data.hookd_event_catalog lists the event types of this server.")
			stream.Results = list.ListResultsStreamDiagnostics(diags)
			return
		}
	}
	opts := cfg.listOptions(r.s.scope())
	opts.Limit = listPageSize(req.Limit)
	ctx = tflog.SetField(ctx, "group_id", opts.GroupID)
	ctx = tflog.SetField(ctx, "event", opts.Event)
	ctx = tflog.SetField(ctx, "scope", string(opts.Scope))
	stream.Results = listResults(ctx, r.data.client.AllWebhooks(ctx, opts), req.Limit, "Unable to list "+r.kind()+"s", "listed webhooks",
		func(wh *client.Webhook) list.ListResult { return r.result(ctx, req, wh) })
}

// config reads the config block; group_id only where the schema has it.
func (r *webhookListResource) config(ctx context.Context, req list.ListRequest) (webhookListConfig, diag.Diagnostics) {
	var cfg webhookListConfig
	var diags diag.Diagnostics
	diags.Append(req.Config.GetAttribute(ctx, path.Root("active"), &cfg.Active)...)
	diags.Append(req.Config.GetAttribute(ctx, path.Root("event"), &cfg.Event)...)
	groupID, d := r.s.listGroupID(ctx, req.Config)
	diags.Append(d...)
	cfg.GroupID = groupID
	return cfg, diags
}

// result is one webhook as terraform query shows it: its identity, a name
// people recognise, and with include_resource the resource as an import of
// it would leave it: webhookFromAPI over a state holding only the id, so
// what the API never returns (secret, auth_token) and the write-only
// arguments stay null.
func (r *webhookListResource) result(ctx context.Context, req list.ListRequest, api *client.Webhook) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = webhookDisplayName(api)
	result.Diagnostics.Append(result.Identity.Set(ctx, idIdentityModel{ID: types.StringValue(api.ID)})...)
	if !req.IncludeResource {
		return result
	}
	if api.AuthTokenSet {
		result.Diagnostics.Append(authTokenNotListed(r.s.typeName(), result.DisplayName))
	}
	m := r.s.newModel()
	result.Diagnostics.Append(result.Resource.SetAttribute(ctx, path.Root("id"), api.ID)...)
	result.Diagnostics.Append(result.Resource.Get(ctx, m)...)
	if result.Diagnostics.HasError() {
		return result
	}
	next, _, d := webhookFromAPI(ctx, api, *m.common())
	result.Diagnostics.Append(d...)
	*m.common() = next
	r.s.fromAPI(m, api)
	result.Diagnostics.Append(result.Resource.Set(ctx, m)...)
	return result
}

// authTokenNotListed warns that a listed webhook has an auth token, which
// the API never returns: configuration generated from the list (terraform
// query -generate-config-out, which asks for the resource) has auth_token
// = null, and applying it as written would remove the server's token.
func authTokenNotListed(typeName, displayName string) diag.Diagnostic {
	return diag.NewWarningDiagnostic("Webhook with an auth token: set it before applying generated configuration",
		fmt.Sprintf("Webhook %s has an auth token (auth_token_set = true), which the API never returns, so configuration generated for it "+
			"has auth_token = null: applied as written, it removes the server's token (the plan shows auth_token_set = true -> false). "+
			"Before applying, set auth_token (from a variable) or auth_token_wo and auth_token_wo_version in its hookd_%s block; "+
			"the first apply then sends the token once more, an in-place update.", displayName, typeName))
}

// webhookDisplayName is how terraform query names a webhook: its name, or
// its URL when it has none, and its id ("audit (wh_...)").
func webhookDisplayName(api *client.Webhook) string {
	label := api.URL
	if api.Name != nil && *api.Name != "" {
		label = *api.Name
	}
	return fmt.Sprintf("%s (%s)", label, api.ID)
}
