package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
)

const (
	defaultDeliveriesLimit = 50
	maxDeliveriesLimit     = 1000
)

var _ datasource.DataSourceWithConfigure = (*webhookDeliveriesDataSource)(nil)

type webhookDeliveriesDataSource struct {
	client *client.Client
}

type webhookDeliveriesDataSourceModel struct {
	WebhookID    types.String    `tfsdk:"webhook_id"`
	Status       types.String    `tfsdk:"status"`
	EventType    types.String    `tfsdk:"event_type"`
	IsTest       types.Bool      `tfsdk:"is_test"`
	CreatedAfter types.String    `tfsdk:"created_after"`
	Limit        types.Int64     `tfsdk:"limit"`
	Deliveries   []deliveryModel `tfsdk:"deliveries"`
}

type deliveryModel struct {
	ID                     types.String `tfsdk:"id"`
	WebhookID              types.String `tfsdk:"webhook_id"`
	EventID                types.String `tfsdk:"event_id"`
	EventType              types.String `tfsdk:"event_type"`
	Status                 types.String `tfsdk:"status"`
	AttemptCount           types.Int64  `tfsdk:"attempt_count"`
	MaxAttempts            types.Int64  `tfsdk:"max_attempts"`
	CreatedAt              types.String `tfsdk:"created_at"`
	LastAttemptAt          types.String `tfsdk:"last_attempt_at"`
	NextAttemptAt          types.String `tfsdk:"next_attempt_at"`
	DeadlineAt             types.String `tfsdk:"deadline_at"`
	LastResponseStatusCode types.Int64  `tfsdk:"last_response_status_code"`
	LastError              types.String `tfsdk:"last_error"`
	LastDurationMS         types.Int64  `tfsdk:"last_duration_ms"`
	Trigger                types.String `tfsdk:"trigger"`
	ReplayOf               types.String `tfsdk:"replay_of"`
	IsTest                 types.Bool   `tfsdk:"is_test"`
}

// NewWebhookDeliveriesDataSource returns the hookd_webhook_deliveries data source.
func NewWebhookDeliveriesDataSource() datasource.DataSource { return &webhookDeliveriesDataSource{} }

func (d *webhookDeliveriesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook_deliveries"
}

func (d *webhookDeliveriesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads the most recent deliveries of a webhook, newest first, optionally filtered. Attempt details (response bodies, request headers) are left out.",
		Attributes: map[string]schema.Attribute{
			"webhook_id": schema.StringAttribute{
				MarkdownDescription: "ID of the webhook (`wh_...`).",
				Required:            true,
				Validators:          []validator.String{webhookID.validator()},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "Only deliveries in this status: `pending`, `retrying`, `succeeded`, `dead_lettered` or `canceled`.",
				Optional:            true,
				Validators:          []validator.String{oneOf("leave it out for deliveries of every status", "pending", "retrying", "succeeded", "dead_lettered", "canceled")},
			},
			"event_type": schema.StringAttribute{
				MarkdownDescription: "Only deliveries of this event type, such as `transfer.created`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"is_test": schema.BoolAttribute{
				MarkdownDescription: "Only test deliveries (`true`) or only real ones (`false`). Leave it out for both.",
				Optional:            true,
			},
			"created_after": schema.StringAttribute{
				MarkdownDescription: "Only deliveries created strictly after this time, in RFC 3339 such as `2026-01-02T15:04:05Z`.",
				Optional:            true,
				Validators:          []validator.String{rfc3339Validator{}},
			},
			"limit": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many deliveries to return at most, from `1` to `%d`. Defaults to `%d`.", maxDeliveriesLimit, defaultDeliveriesLimit),
				Optional:            true,
				Validators:          []validator.Int64{between(1, maxDeliveriesLimit, fmt.Sprintf("leave it out for the default, %d", defaultDeliveriesLimit))},
			},
			"deliveries": schema.ListNestedAttribute{
				MarkdownDescription: "The deliveries, newest first. Times are RFC 3339.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":         computed("ID of the delivery (`dlv_...`)."),
					"webhook_id": computed("ID of the webhook."),
					"event_id":   computed("ID of the event delivered."),
					"event_type": computed("Type of the event delivered."),
					"status":     computed("`pending` (no attempt yet), `retrying` (failed, another attempt is scheduled), `succeeded` (a 2xx was received), `dead_lettered` (the retry budget is spent, or the receiver answered 410) or `canceled` (the webhook was deleted or disabled while work remained)."),
					"attempt_count": schema.Int64Attribute{
						MarkdownDescription: "How many attempts were made.",
						Computed:            true,
					},
					"max_attempts": schema.Int64Attribute{
						MarkdownDescription: "How many attempts the delivery may get.",
						Computed:            true,
					},
					"created_at":      computed("When the delivery was created."),
					"last_attempt_at": computed("When the last attempt started; `null` before the first."),
					"next_attempt_at": computed("When the next attempt is due; `null` once the delivery is terminal."),
					"deadline_at":     computed("After this time no attempt is made."),
					"last_response_status_code": schema.Int64Attribute{
						MarkdownDescription: "HTTP status of the last answer; `null` before the first attempt or when none was received.",
						Computed:            true,
					},
					"last_error": computed("Why the last attempt failed: `timeout`, `connection_error`, `tls_error`, `http_error`, `redirect`, `refused_destination`, `interrupted` (a test delivery whose attempt hookd stopped in the middle of) or `internal_error` (hookd could not attempt it until its deadline; its log says why); `null` when it succeeded or before the first attempt."),
					"last_duration_ms": schema.Int64Attribute{
						MarkdownDescription: "Duration of the last attempt, in milliseconds; `null` before the first.",
						Computed:            true,
					},
					"trigger":   computed("What created the delivery: `event`, `replay` or `test`."),
					"replay_of": computed("ID of the delivery this one replays; `null` unless `trigger` is `replay`."),
					"is_test": schema.BoolAttribute{
						MarkdownDescription: "Whether this is a test delivery.",
						Computed:            true,
					},
				}},
			},
		},
	}
}

func (d *webhookDeliveriesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	data := providerDataFrom(req.ProviderData, &resp.Diagnostics)
	if data == nil {
		return
	}
	d.client = data.client
}

func (d *webhookDeliveriesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg webhookDeliveriesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	webhookID := cfg.WebhookID.ValueString()
	limit := defaultDeliveriesLimit
	if !cfg.Limit.IsNull() {
		limit = int(cfg.Limit.ValueInt64())
	}
	opts := client.DeliveryListOptions{
		ListOptions: client.ListOptions{Limit: limit},
		Filter: deliveries.Filter{
			Status:    cfg.Status.ValueString(),
			EventType: cfg.EventType.ValueString(),
			IsTest:    cfg.IsTest.ValueBoolPointer(),
		},
	}
	if !cfg.CreatedAfter.IsNull() {
		// The validator has checked the value already.
		t, err := time.Parse(time.RFC3339Nano, cfg.CreatedAfter.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("created_after"), "Invalid RFC 3339 time", err.Error())
			return
		}
		opts.CreatedAfter = &t
	}
	ctx = tflog.SetField(ctx, "webhook_id", webhookID)
	tflog.Debug(ctx, "listing deliveries", map[string]any{"limit": limit, "status": opts.Status, "event_type": opts.EventType})

	cfg.Deliveries = make([]deliveryModel, 0, min(limit, 100))
	for dlv, err := range d.client.AllDeliveries(ctx, webhookID, opts) {
		if err != nil {
			if errors.Is(err, client.ErrNotFound) {
				resp.Diagnostics.AddAttributeError(path.Root("webhook_id"), "Webhook not found",
					fmt.Sprintf("No webhook has the ID %q, so it has no deliveries. Check the ID (webhook IDs look like wh_...) and that the webhook was not deleted. (%v)", webhookID, err))
				return
			}
			addAPIError(&resp.Diagnostics, fmt.Sprintf("Unable to list the deliveries of webhook %q", webhookID), err)
			return
		}
		cfg.Deliveries = append(cfg.Deliveries, deliveryFromAPI(&dlv))
		if len(cfg.Deliveries) >= limit {
			break
		}
	}
	tflog.Debug(ctx, "listed deliveries", map[string]any{"count": len(cfg.Deliveries)})
	resp.Diagnostics.Append(resp.State.Set(ctx, cfg)...)
}

func deliveryFromAPI(api *client.Delivery) deliveryModel {
	return deliveryModel{
		ID:                     types.StringValue(api.ID),
		WebhookID:              types.StringValue(api.WebhookID),
		EventID:                types.StringValue(api.EventID),
		EventType:              types.StringValue(api.EventType),
		Status:                 types.StringValue(api.Status),
		AttemptCount:           types.Int64Value(api.AttemptCount),
		MaxAttempts:            types.Int64Value(api.MaxAttempts),
		CreatedAt:              timestamp(api.CreatedAt),
		LastAttemptAt:          timestampPtr(api.LastAttemptAt),
		NextAttemptAt:          timestampPtr(api.NextAttemptAt),
		DeadlineAt:             timestamp(api.DeadlineAt),
		LastResponseStatusCode: types.Int64PointerValue(api.LastResponseStatusCode),
		LastError:              types.StringPointerValue(api.LastError),
		LastDurationMS:         types.Int64PointerValue(api.LastDurationMS),
		Trigger:                types.StringValue(api.Trigger),
		ReplayOf:               types.StringPointerValue(api.ReplayOf),
		IsTest:                 types.BoolValue(api.IsTest),
	}
}

// rfc3339Validator accepts RFC 3339 times, with a zone ("Z" or an offset).
type rfc3339Validator struct{}

var _ validator.String = rfc3339Validator{}

func (rfc3339Validator) Description(context.Context) string {
	return "must be an RFC 3339 time such as 2026-01-02T15:04:05Z"
}

func (v rfc3339Validator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (rfc3339Validator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := time.Parse(time.RFC3339Nano, req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid RFC 3339 time",
			fmt.Sprintf("%s: %q is not an RFC 3339 time: write a date, a time and a zone, such as 2026-01-02T15:04:05Z or 2026-01-02T17:04:05+02:00 (timeadd(timestamp(), \"-24h\") gives one).", req.Path, req.ConfigValue.ValueString()))
	}
}
