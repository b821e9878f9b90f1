package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

var (
	_ datasource.DataSourceWithConfigure      = (*webhooksDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*webhooksDataSource)(nil)
)

type webhooksDataSource struct {
	client *client.Client
}

type webhooksDataSourceModel struct {
	Scope    types.String       `tfsdk:"scope"`
	GroupID  types.String       `tfsdk:"group_id"`
	Webhooks []webhookReadModel `tfsdk:"webhooks"`
	IDs      []types.String     `tfsdk:"ids"`
}

// NewWebhooksDataSource returns the hookd_webhooks data source.
func NewWebhooksDataSource() datasource.DataSource { return &webhooksDataSource{} }

func (d *webhooksDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhooks"
}

func (d *webhooksDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists webhooks of both scopes, or of one scope or one group, oldest first. Every page of the list is read. Secrets and auth tokens are never part of it.",
		Attributes: map[string]schema.Attribute{
			"scope": schema.StringAttribute{
				MarkdownDescription: "Only webhooks of this scope: `account` or `group`. Leave it out for both.",
				Optional:            true,
				Validators:          []validator.String{oneOf("leave it out for webhooks of both scopes", string(client.ScopeAccount), string(client.ScopeGroup))},
			},
			"group_id": schema.StringAttribute{
				MarkdownDescription: "Only the webhooks of this group (`grp_...`); implies `scope = \"group\"`. A group without webhooks, or that does not exist, gives an empty list.",
				Optional:            true,
				Validators:          []validator.String{groupID.validator()},
			},
			"webhooks": schema.ListNestedAttribute{
				MarkdownDescription: "The webhooks, oldest first, with the same attributes as the `hookd_webhook` data source.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: webhookReadAttributes()},
			},
			"ids": schema.ListAttribute{
				MarkdownDescription: "The IDs of `webhooks`, in the same order.",
				Computed:            true,
				ElementType:         types.StringType,
			},
		},
	}
}

func (d *webhooksDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var cfg webhooksDataSourceModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("scope"), &cfg.Scope)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("group_id"), &cfg.GroupID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.Scope.ValueString() == string(client.ScopeAccount) && !cfg.GroupID.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("group_id"), "Conflicting webhook filters",
			`group_id cannot be combined with scope = "account": account webhooks belong to no group. Remove group_id, or set scope = "group".`)
	}
}

func (d *webhooksDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	data := providerDataFrom(req.ProviderData, &resp.Diagnostics)
	if data == nil {
		return
	}
	d.client = data.client
}

func (d *webhooksDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg webhooksDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	opts := client.WebhookListOptions{Scope: client.Scope(cfg.Scope.ValueString()), GroupID: cfg.GroupID.ValueString()}
	ctx = tflog.SetField(ctx, "scope", opts.Scope)
	ctx = tflog.SetField(ctx, "group_id", opts.GroupID)

	cfg.Webhooks, cfg.IDs = []webhookReadModel{}, []types.String{}
	for wh, err := range d.client.AllWebhooks(ctx, opts) {
		if err != nil {
			addAPIError(&resp.Diagnostics, "Unable to list webhooks", err)
			return
		}
		cfg.Webhooks = append(cfg.Webhooks, webhookReadFromAPI(&wh))
		cfg.IDs = append(cfg.IDs, types.StringValue(wh.ID))
	}
	tflog.Debug(ctx, "listed webhooks", map[string]any{"count": len(cfg.Webhooks)})
	resp.Diagnostics.Append(resp.State.Set(ctx, cfg)...)
}
