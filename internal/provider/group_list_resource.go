package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

var (
	_ list.ListResource              = (*groupListResource)(nil)
	_ list.ListResourceWithConfigure = (*groupListResource)(nil)
)

// groupListResource is the hookd_group list resource (terraform query).
type groupListResource struct {
	data *providerData
}

// groupListConfig is the config block of a list "hookd_group".
type groupListConfig struct {
	NamePrefix types.String `tfsdk:"name_prefix"`
}

// NewGroupListResource returns the hookd_group list resource.
func NewGroupListResource() list.ListResource { return &groupListResource{} }

func (r *groupListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_group"
}

func (r *groupListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists groups, oldest first, for `terraform query` (Terraform 1.14+): each with its identity (`id`) and its name, and with " +
			"`include_resource = true` every attribute of `hookd_group`. `terraform query -generate-config-out=FILE` writes a " +
			"`hookd_group` block and an import block for each. Pages are read as results are needed, and no further than the list block's `limit`.",
		Attributes: map[string]schema.Attribute{
			"name_prefix": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Only groups whose name starts with this text, compared exactly (case matters), 1 to %d characters. Leave it out for every group.", maxGroupName),
				Optional:            true,
				Validators:          []validator.String{inListConfig(filterText(maxGroupName, rules.OneLine, "leave it out to list every group"))},
			},
		},
	}
}

func (r *groupListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *groupListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg groupListConfig
	diags := req.Config.Get(ctx, &cfg)
	if diags.HasError() || !listConfigured(r.data, &diags) {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	opts := client.GroupListOptions{NamePrefix: cfg.NamePrefix.ValueString()}
	opts.Limit = listPageSize(req.Limit)
	ctx = tflog.SetField(ctx, "name_prefix", opts.NamePrefix)
	stream.Results = listResults(ctx, r.data.client.AllGroups(ctx, opts), req.Limit, "Unable to list groups", "listed groups",
		func(g *client.Group) list.ListResult { return groupListResult(ctx, req, g) })
}

// groupListResult is one group as terraform query shows it: its identity,
// its name, and with include_resource the resource as an import of it
// would leave it (every attribute from the API, no timeouts).
func groupListResult(ctx context.Context, req list.ListRequest, api *client.Group) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = api.Name
	result.Diagnostics.Append(result.Identity.Set(ctx, idIdentityModel{ID: types.StringValue(api.ID)})...)
	if !req.IncludeResource {
		return result
	}
	// A state holding only the id, as an import starts from: every other
	// attribute null, of its type (the timeouts block too).
	var m groupResourceModel
	result.Diagnostics.Append(result.Resource.SetAttribute(ctx, path.Root("id"), api.ID)...)
	result.Diagnostics.Append(result.Resource.Get(ctx, &m)...)
	m.groupModel = groupFromAPI(api)
	result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
	return result
}
