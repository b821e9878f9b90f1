package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

var _ datasource.DataSourceWithConfigure = (*webhookDataSource)(nil)

type webhookDataSource struct {
	client *client.Client
}

// NewWebhookDataSource returns the hookd_webhook data source.
func NewWebhookDataSource() datasource.DataSource { return &webhookDataSource{} }

func (d *webhookDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook"
}

func (d *webhookDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := webhookReadAttributes()
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "ID of the webhook to read (`wh_...`), of either scope.",
		Required:            true,
		Validators:          []validator.String{webhookID.validator()},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one webhook, of account or group scope, by ID. Every field the API returns is exposed read-only; the signing secret and the auth token never are (the API does not return them).",
		Attributes:          attrs,
	}
}

func (d *webhookDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	data := providerDataFrom(req.ProviderData, &resp.Diagnostics)
	if data == nil {
		return
	}
	d.client = data.client
}

func (d *webhookDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg webhookReadModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := cfg.ID.ValueString()
	ctx = tflog.SetField(ctx, "webhook_id", id)
	tflog.Debug(ctx, "reading webhook")
	wh, err := d.client.GetWebhook(ctx, id)
	if err != nil {
		if errors.Is(err, client.ErrNotFound) {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Webhook not found",
				fmt.Sprintf("No webhook has the ID %q. Check the ID (webhook IDs look like wh_...) and that the webhook was not deleted. (%v)", id, err))
			return
		}
		addAPIError(&resp.Diagnostics, fmt.Sprintf("Unable to read webhook %q", id), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, webhookReadFromAPI(wh))...)
}
