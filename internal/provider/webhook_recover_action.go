package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

var (
	_ action.ActionWithConfigure      = (*webhookRecoverAction)(nil)
	_ action.ActionWithValidateConfig = (*webhookRecoverAction)(nil)
	_ action.ActionWithModifyPlan     = (*webhookRecoverAction)(nil)
)

// webhookRecoverAction is hookd_webhook_recover: the Standard Webhooks
// "replay failures within a range". It lists the matching deliveries and
// replays them one call each, rather than through one bulk endpoint: each
// replay is reported as it happens (N of M) and fails on its own with the
// API's reason, the existing replay endpoint's rules and idempotency keys
// apply unchanged, and the list the user reviews is exactly what is
// replayed. A range large enough for that to be slow is rare: deliveries
// are kept for --retention (30 days) only.
type webhookRecoverAction struct{ actionBase }

// NewWebhookRecoverAction returns the hookd_webhook_recover action.
func NewWebhookRecoverAction() action.Action { return &webhookRecoverAction{} }

// replayableStatuses are the delivery statuses hookd can replay.
var replayableStatuses = []string{"dead_lettered", "succeeded", "canceled"}

type webhookRecoverModel struct {
	WebhookID types.String `tfsdk:"webhook_id"`
	Since     types.String `tfsdk:"since"`
	Until     types.String `tfsdk:"until"`
	Status    types.String `tfsdk:"status"`
	Reenable  types.Bool   `tfsdk:"reenable"`
}

func (a *webhookRecoverAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook_recover"
}

func (a *webhookRecoverAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Replays every delivery of a webhook that ended in `status` (default `dead_lettered`) and was created in a time range, " +
			"oldest first, reporting progress as it goes (`N of M replayed`): what to run once a receiver that was down is back. Test deliveries are left out. " +
			"Each replay is a new delivery of the same event (same body and event id), attempted by hookd at once and retried on its schedule. " +
			"What is already recovered is left out too: replays themselves, and deliveries with a replay that succeeded or is still being attempted " +
			"(the API's `unrecovered=true`), so running the action again, from an `after_update` trigger or over an overlapping range, " +
			"replays only the deliveries whose replays all failed, and sends no event twice (to send one again on purpose, use `hookd_delivery_replay`). " +
			"Fails, after trying them all, when any replay is refused, listing which and why. " +
			"hookd replays nothing to a webhook it auto-disabled (after an outage, the usual case): recover checks the webhook first and fails, replaying nothing, " +
			"unless `reenable = true`, with which it re-enables the webhook and then replays. Terraform 1.14 or later.",
		Attributes: map[string]schema.Attribute{
			"webhook_id": webhookID.attribute("The webhook (`wh_...`) whose deliveries to replay."),
			"since": schema.StringAttribute{
				MarkdownDescription: "Replay deliveries created at or after this time (RFC 3339, such as `2026-11-30T03:00:00Z`): the start of the outage.",
				Required:            true,
				Validators:          []validator.String{rfc3339Validator{}},
			},
			"until": schema.StringAttribute{
				MarkdownDescription: "Replay deliveries created before this time (RFC 3339). Defaults to now.",
				Optional:            true,
				Validators:          []validator.String{rfc3339Validator{}},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "Which deliveries: `dead_lettered` (the default: delivery gave up), `succeeded` (send them again) or `canceled`.",
				Optional:            true,
				Validators:          []validator.String{oneOf(`leave it out to replay the "dead_lettered" ones; hookd_delivery_retry retries a "retrying" delivery now`, replayableStatuses...)},
			},
			"reenable": schema.BoolAttribute{
				MarkdownDescription: "Re-enable the webhook before replaying if hookd auto-disabled it (`status` `auto_disabled`: its endpoint answered `410 Gone`, or three deliveries in a row were dead-lettered), " +
					"as the console's Re-enable button and `PATCH /v1/webhooks/{id}` with `{\"status\": \"active\"}` do; this also resets its run of dead letters. " +
					"Defaults to `false`: recover then fails while the webhook is auto-disabled, replaying nothing, and says so. It does not change `active`, which is yours: " +
					"a webhook with `active = false` is not switched on (set `active = true` on its resource first).",
				Optional: true,
			},
		},
	}
}

// ValidateConfig checks that the range is not empty.
func (a *webhookRecoverAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m webhookRecoverModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !known(m.Since) || !known(m.Until) {
		return
	}
	since, err1 := time.Parse(time.RFC3339, m.Since.ValueString())
	until, err2 := time.Parse(time.RFC3339, m.Until.ValueString())
	if err1 == nil && err2 == nil && !until.After(since) {
		resp.Diagnostics.AddAttributeError(path.Root("until"), "Empty time range",
			fmt.Sprintf("until (%s) must be after since (%s).", m.Until.ValueString(), m.Since.ValueString()))
	}
}

// ModifyPlan checks the arguments again once they are known
// (validateAtPlan): the ids, the times, the range and the status.
func (a *webhookRecoverAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	validateAtPlan(ctx, a, req.Config, &resp.Diagnostics)
}

func (a *webhookRecoverAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m webhookRecoverModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !a.ready(resp) {
		return
	}
	id := m.WebhookID.ValueString()
	opts, what, err := m.listOptions()
	if err != nil {
		resp.Diagnostics.AddError("Invalid time range", err.Error())
		return
	}
	if !a.deliverable(ctx, id, m.Reenable.ValueBool(), resp) {
		return
	}
	progress(resp, "Listing the %s of webhook %s", what, id)
	var todo []client.Delivery
	for d, err := range a.data.client.AllDeliveries(ctx, id, opts) {
		if err != nil {
			addAPIError(&resp.Diagnostics, "Unable to list the deliveries of webhook "+id, err)
			return
		}
		todo = append(todo, d)
	}
	if len(todo) == 0 {
		progress(resp, "0 of 0 replayed: no %s of webhook %s left to replay (test deliveries, replays and deliveries already replayed are left out)", what, id)
		return
	}
	slices.Reverse(todo) // the API lists newest first; replay in the order they happened
	total := len(todo)
	progress(resp, "Replaying %d %s of webhook %s", total, oneOrMany(what, total), id)
	var failed []string
	replayed := 0
	for i, dlv := range todo {
		replay, err := a.data.client.ReplayDelivery(ctx, dlv.ID)
		if err != nil {
			if ctx.Err() != nil {
				resp.Diagnostics.AddError("Recovery interrupted", interrupted(replayed, total, failed, ctx.Err(), dlv))
				return
			}
			failed = append(failed, fmt.Sprintf("%s: %s", dlv.ID, apiMessage(err)))
			progress(resp, "%s could not be replayed (%d of %d tried)", dlv.ID, i+1, total)
			continue
		}
		replayed++
		progress(resp, "%d of %d replayed: %s as %s", replayed, total, dlv.ID, replay.ID)
	}
	tflog.Info(ctx, "recovered deliveries", map[string]any{"webhook_id": id, "replayed": replayed, "failed": len(failed)})
	if len(failed) > 0 {
		shown := failed
		if len(shown) > 10 {
			shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(failed)-10))
		}
		resp.Diagnostics.AddError("Some deliveries were not replayed",
			fmt.Sprintf("%d of %d deliveries of webhook %s could not be replayed:\n  %s", len(failed), total, id, strings.Join(shown, "\n  ")))
	}
}

// deliverable checks, once, that hookd will take replays for webhook id:
// it refuses every one while the webhook is auto-disabled or inactive, and
// N refusals of the same reason would say nothing N times. An auto-disabled
// webhook is re-enabled first when reenable is set (PATCH status=active,
// said in progress); otherwise, and for an inactive one, it fails with one
// error saying what to do.
func (a *webhookRecoverAction) deliverable(ctx context.Context, id string, reenable bool, resp *action.InvokeResponse) bool {
	wh, err := a.data.client.GetWebhook(ctx, id)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to read webhook "+id, err, webhookNotFoundAdvice)
		return false
	}
	// Inactive first: re-enabling would change the webhook (and reset its
	// run of dead letters) for a recover that could replay nothing.
	if !wh.Active {
		resp.Diagnostics.AddError("Webhook inactive",
			fmt.Sprintf("Webhook %s is inactive (active = false), and hookd replays nothing to an inactive webhook: nothing was replayed. "+
				"Set active = true on its hookd_account_webhook or hookd_group_webhook resource (or PATCH /v1/webhooks/%s with {\"active\": true}) and run the action again; "+
				"reenable does not change active, which is yours.", id, id))
		return false
	}
	if wh.Status == webhookAutoDisabled {
		if !reenable {
			resp.Diagnostics.AddError("Webhook auto-disabled",
				fmt.Sprintf("hookd auto-disabled webhook %s%s and replays nothing to it until it is re-enabled: nothing was replayed. "+
					"Once its receiver is fixed, set reenable = true in this action's config to re-enable the webhook and replay in one run; "+
					"or re-enable it first (the Re-enable button on the console's Webhooks page, or PATCH /v1/webhooks/%s with {\"status\": \"active\"}) and run the action again.",
					id, disabledBecause(wh), id))
			return false
		}
		progress(resp, "Webhook %s is auto_disabled%s: re-enabling it (PATCH status = active), as reenable = true asks", id, disabledBecause(wh))
		active := "active"
		if wh, err = a.data.client.UpdateWebhook(ctx, id, client.UpdateWebhookRequest{Status: &active}); err != nil {
			addAPIError(&resp.Diagnostics, "Unable to re-enable webhook "+id, err)
			return false
		}
		tflog.Info(ctx, "re-enabled webhook", map[string]any{"webhook_id": id, "status": wh.Status})
		progress(resp, "Webhook %s re-enabled: its status is %s", id, wh.Status)
	}
	return true
}

// webhookAutoDisabled is the status of a webhook hookd disabled
// (api/openapi.yaml, Webhook.status).
const webhookAutoDisabled = "auto_disabled"

// disabledBecause is " (its reason)" for an auto-disabled webhook, or "".
func disabledBecause(wh *client.Webhook) string {
	if wh.DisabledReason == nil || *wh.DisabledReason == "" {
		return ""
	}
	return " (" + *wh.DisabledReason + ")"
}

// interrupted says how far a recovery got before err stopped it, and how
// to go on from next, the first delivery not replayed: its created_at is
// the since that starts there. Running again with the old since goes on
// too (what was replayed is left out) and tries the refused ones again.
func interrupted(replayed, total int, failed []string, err error, next client.Delivery) string {
	since := next.CreatedAt.UTC().Format(time.RFC3339Nano)
	msg := fmt.Sprintf("%d of %d deliveries replayed, %d refused, before: %v. The next one to replay is %s, created at %s: "+
		"run the action again with since = %q to go on from it. Deliveries already replayed are left out whatever since is, "+
		"so this run's since goes on as well", replayed, total, len(failed), err, next.ID, since, since)
	if len(failed) > 0 {
		msg += ", and tries the refused ones again"
	}
	return msg + "."
}

// oneOrMany is what, a listOptions description ("dead_lettered deliveries
// since ..."), for a count of n: "delivery" for one.
func oneOrMany(what string, n int) string {
	if n == 1 {
		return strings.Replace(what, " deliveries ", " delivery ", 1)
	}
	return what
}

// listOptions is the API query of the deliveries to replay
// (client.RecoveryListOptions: the rule the console's recover applies too),
// and how to name them ("dead_lettered deliveries since ...").
func (m webhookRecoverModel) listOptions() (client.DeliveryListOptions, string, error) {
	status := replayableStatuses[0]
	if known(m.Status) {
		status = m.Status.ValueString()
	}
	what := status + " deliveries since " + m.Since.ValueString()
	since, err := time.Parse(time.RFC3339Nano, m.Since.ValueString())
	if err != nil {
		return client.DeliveryListOptions{}, what, fmt.Errorf("since %q is not an RFC 3339 time", m.Since.ValueString())
	}
	var until *time.Time
	if known(m.Until) {
		u, err := time.Parse(time.RFC3339Nano, m.Until.ValueString())
		if err != nil {
			return client.DeliveryListOptions{}, what, fmt.Errorf("until %q is not an RFC 3339 time", m.Until.ValueString())
		}
		until = &u
		what += " until " + m.Until.ValueString()
	}
	return client.RecoveryListOptions(status, since, until), what, nil
}
