package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

var _ datasource.DataSourceWithConfigure = (*eventCatalogDataSource)(nil)

type eventCatalogDataSource struct {
	client *client.Client
}

type eventCatalogDataSourceModel struct {
	ID                types.String     `tfsdk:"id"`
	Category          types.String     `tfsdk:"category"`
	Stability         types.String     `tfsdk:"stability"`
	IncludeDeprecated types.Bool       `tfsdk:"include_deprecated"`
	Events            []eventTypeModel `tfsdk:"events"`
	Types             []types.String   `tfsdk:"types"`
}

type eventTypeModel struct {
	Type        types.String `tfsdk:"type"`
	Category    types.String `tfsdk:"category"`
	Description types.String `tfsdk:"description"`
	Stability   types.String `tfsdk:"stability"`
	Deprecated  types.Bool   `tfsdk:"deprecated"`
	Schema      types.String `tfsdk:"schema"`
	Example     types.String `tfsdk:"example"`
}

// NewEventCatalogDataSource returns the hookd_event_catalog data source.
func NewEventCatalogDataSource() datasource.DataSource { return &eventCatalogDataSource{} }

func (d *eventCatalogDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_event_catalog"
}

func (d *eventCatalogDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads the server's event catalog: the event types webhooks can subscribe to, with the JSON Schema and an example of each one's `data`. " +
			"Filter it by category or stability, and pass `types` to a webhook's `events`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Always `catalog`.",
				Computed:            true,
			},
			"category": schema.StringAttribute{
				MarkdownDescription: "Only the event types of this category, such as `transfer` (the part of the type before the dot).",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"stability": schema.StringAttribute{
				MarkdownDescription: "Only the event types of this stability: `stable` or `beta`.",
				Optional:            true,
				Validators:          []validator.String{oneOf("leave it out for event types of every stability", rules.StabilityStable, rules.StabilityBeta)},
			},
			"include_deprecated": schema.BoolAttribute{
				MarkdownDescription: "Whether deprecated event types are listed too. Defaults to `false`.",
				Optional:            true,
			},
			"events": schema.ListNestedAttribute{
				MarkdownDescription: "The matching event types, in catalog order.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"type": schema.StringAttribute{
						MarkdownDescription: "Name of the event type, such as `transfer.created`.",
						Computed:            true,
					},
					"category": schema.StringAttribute{
						MarkdownDescription: "Category of the event type, such as `transfer`.",
						Computed:            true,
					},
					"description": schema.StringAttribute{
						MarkdownDescription: "What the event means.",
						Computed:            true,
					},
					"stability": schema.StringAttribute{
						MarkdownDescription: "`stable`, or `beta` when the event's data may still change.",
						Computed:            true,
					},
					"deprecated": schema.BoolAttribute{
						MarkdownDescription: "Whether the event type is deprecated.",
						Computed:            true,
					},
					"schema": schema.StringAttribute{
						MarkdownDescription: "JSON Schema (2020-12) of the event's `data`, as compact JSON; use `jsondecode()` to read it.",
						Computed:            true,
					},
					"example": schema.StringAttribute{
						MarkdownDescription: "An example of the event's `data`, as compact JSON.",
						Computed:            true,
					},
				}},
			},
			"types": schema.SetAttribute{
				MarkdownDescription: "The names of the matching event types, ready for a webhook's `events`.",
				Computed:            true,
				ElementType:         types.StringType,
			},
		},
	}
}

func (d *eventCatalogDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	data := providerDataFrom(req.ProviderData, &resp.Diagnostics)
	if data == nil {
		return
	}
	d.client = data.client
}

func (d *eventCatalogDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg eventCatalogDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	all, err := d.client.EventCatalog(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to read the event catalog", err)
		return
	}
	f := catalogFilter{
		category:          cfg.Category.ValueString(),
		stability:         cfg.Stability.ValueString(),
		includeDeprecated: cfg.IncludeDeprecated.ValueBool(),
	}
	matched := f.apply(all)
	if f.category != "" && !slices.ContainsFunc(all, func(et client.EventType) bool { return et.Category == f.category }) {
		resp.Diagnostics.AddAttributeWarning(path.Root("category"), "Unknown event category",
			fmt.Sprintf("The catalog has no category %q, so no event type matches. Its categories are: %s.", f.category, strings.Join(categories(all), ", ")))
	}

	cfg.ID = types.StringValue("catalog")
	cfg.Events = make([]eventTypeModel, 0, len(matched))
	cfg.Types = make([]types.String, 0, len(matched))
	for _, et := range matched {
		cfg.Events = append(cfg.Events, eventTypeFromAPI(et))
		cfg.Types = append(cfg.Types, types.StringValue(et.Type))
	}
	tflog.Debug(ctx, "read event catalog", map[string]any{"catalog_size": len(all), "matched": len(matched)})
	resp.Diagnostics.Append(resp.State.Set(ctx, cfg)...)
}

// catalogFilter selects event types; zero values select everything but
// the deprecated types.
type catalogFilter struct {
	category, stability string
	includeDeprecated   bool
}

func (f catalogFilter) apply(all []client.EventType) []client.EventType {
	out := []client.EventType{}
	for _, et := range all {
		switch {
		case f.category != "" && et.Category != f.category:
		case f.stability != "" && et.Stability != f.stability:
		case et.Deprecated && !f.includeDeprecated:
		default:
			out = append(out, et)
		}
	}
	return out
}

// categories lists the catalog's categories in catalog order, once each.
func categories(all []client.EventType) []string {
	var out []string
	for _, et := range all {
		if !slices.Contains(out, et.Category) {
			out = append(out, et.Category)
		}
	}
	return out
}

func eventTypeFromAPI(et client.EventType) eventTypeModel {
	return eventTypeModel{
		Type:        types.StringValue(et.Type),
		Category:    types.StringValue(et.Category),
		Description: types.StringValue(et.Description),
		Stability:   types.StringValue(et.Stability),
		Deprecated:  types.BoolValue(et.Deprecated),
		Schema:      compactJSON(et.Schema),
		Example:     compactJSON(et.Example),
	}
}

// compactJSON renders raw JSON without insignificant space, so the value
// does not change with the server's formatting; null when absent.
func compactJSON(raw json.RawMessage) types.String {
	if len(raw) == 0 {
		return types.StringNull()
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return types.StringValue(string(raw))
	}
	return types.StringValue(b.String())
}
