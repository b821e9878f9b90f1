package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// deliveryAction implements hookd_delivery_retry and hookd_delivery_replay:
// both ask hookd for one more attempt of a delivery, then wait for that
// attempt (it runs in the background) and report its answer.
type deliveryAction struct {
	actionBase
	op deliveryOp
}

var (
	_ action.ActionWithConfigure  = (*deliveryAction)(nil)
	_ action.ActionWithModifyPlan = (*deliveryAction)(nil)
)

// deliveryOp is what differs between retry and replay.
type deliveryOp struct {
	name, verb, description string
	// call asks for the attempt; it returns the delivery the attempt
	// belongs to (the same one for a retry, a new one for a replay) and
	// how many attempts it had before.
	call func(ctx context.Context, c *client.Client, id string) (d *client.Delivery, before int64, err error)
}

// NewDeliveryRetryAction returns the hookd_delivery_retry action.
func NewDeliveryRetryAction() action.Action {
	return &deliveryAction{op: deliveryOp{
		name: "delivery_retry", verb: "retry",
		description: "Makes one immediate manual attempt of a `retrying` or `dead_lettered` delivery (a dead-lettered one is not restarted), waits for it, and fails unless the receiver answers 2xx, with its status code, error, duration and the start of its answer. Terraform 1.14 or later.",
		call: func(ctx context.Context, c *client.Client, id string) (*client.Delivery, int64, error) {
			d, err := c.RetryDelivery(ctx, id)
			if err != nil {
				return nil, 0, err
			}
			return d, d.AttemptCount, nil
		},
	}}
}

// NewDeliveryReplayAction returns the hookd_delivery_replay action.
func NewDeliveryReplayAction() action.Action {
	return &deliveryAction{op: deliveryOp{
		name: "delivery_replay", verb: "replay",
		description: "Replays a finished (`succeeded`, `dead_lettered` or `canceled`) delivery: a new delivery of the same event, with the same body and event id, so receivers can de-duplicate on it. Waits for its first attempt and fails unless the receiver answers 2xx, with its status code, error, duration and the start of its answer. A failed replay is retried on hookd's schedule, except the replay of a test delivery, which is a test delivery too: attempted once, never retried. Terraform 1.14 or later.",
		call: func(ctx context.Context, c *client.Client, id string) (*client.Delivery, int64, error) {
			d, err := c.ReplayDelivery(ctx, id)
			return d, 0, err
		},
	}}
}

type deliveryActionModel struct {
	DeliveryID types.String `tfsdk:"delivery_id"`
}

func (a *deliveryAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + a.op.name
}

func (a *deliveryAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: a.op.description,
		Attributes: map[string]schema.Attribute{
			"delivery_id": deliveryID.attribute(fmt.Sprintf("The delivery (`dlv_...`) to %s; `data.hookd_webhook_deliveries` lists a webhook's deliveries.", a.op.verb)),
		},
	}
}

// ModifyPlan checks delivery_id again once it is known (validateAtPlan).
func (a *deliveryAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	validateAtPlan(ctx, a, req.Config, &resp.Diagnostics)
}

func (a *deliveryAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m deliveryActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !a.ready(resp) {
		return
	}
	id := m.DeliveryID.ValueString()
	progress(resp, "Asking hookd to %s delivery %s", a.op.verb, id)
	d, before, err := a.op.call(ctx, a.data.client, id)
	if err != nil {
		addAPIError(&resp.Diagnostics, fmt.Sprintf("Unable to %s delivery %s", a.op.verb, id), err, append(autoDisabledAdvice(ctx, a.data.client, id, err), deliveryNotFoundAdvice)...)
		return
	}
	if d.ID != id {
		progress(resp, "Delivery %s replays %s; waiting for its first attempt", d.ID, id)
	} else {
		progress(resp, "Attempt %d of delivery %s queued; waiting for it", before+1, id)
	}
	att, after, err := waitForAttempt(ctx, a.data.client, d.ID, before)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to follow the %s of delivery %s", a.op.verb, id),
			fmt.Sprintf("%v. The attempt may still run: data.hookd_webhook_deliveries shows delivery %s.", err, d.ID))
		return
	}
	tflog.Info(ctx, "delivery attempt", map[string]any{"delivery_id": d.ID, "attempt": att.Number, "verb": a.op.verb})
	msg := fmt.Sprintf("Attempt %d of delivery %s got %s after %d ms.", att.Number, d.ID, answer(att.ResponseStatusCode, att.Error), att.DurationMS)
	if att.ResponseStatusCode == nil || *att.ResponseStatusCode < 200 || *att.ResponseStatusCode > 299 {
		resp.Diagnostics.AddError(fmt.Sprintf("Delivery %s failed", a.op.verb), msg+receiverSaid(att.ResponseStatusCode, att.ResponseBody)+" "+afterFailure(&after.Delivery))
		return
	}
	progress(resp, "%s", msg)
}

// autoDisabledAdvice is what to do when hookd refused to retry or replay
// delivery id (a conflict) because its webhook is auto-disabled, which the
// webhook's status tells (hookd's own detail says to PATCH the status):
// the Terraform way, and the console's. Nothing for any other refusal.
func autoDisabledAdvice(ctx context.Context, c *client.Client, id string, err error) []problemAdvice {
	var apiErr *client.APIError
	if !errors.Is(err, client.ErrConflict) || !errors.As(err, &apiErr) {
		return nil
	}
	d, err := c.GetDelivery(ctx, id)
	if err != nil || d.IsTest { // a test delivery is retried and replayed whatever the webhook's status
		return nil
	}
	wh, err := c.GetWebhook(ctx, d.WebhookID)
	if err != nil || wh.Status != webhookAutoDisabled {
		return nil
	}
	return []problemAdvice{{Code: apiErr.Code, Advice: fmt.Sprintf(
		"From Terraform, once the receiver of webhook %s is fixed: run the action hookd_webhook_recover with reenable = true over the time of the outage "+
			"(it re-enables the webhook, then replays what was dead-lettered, this delivery too if it falls in the range); "+
			"or press Re-enable on the console's Webhooks page, then run this action again.", wh.ID)}}
}

// afterFailure says what becomes of a delivery whose attempt failed, as
// hookd left it, and what to do: a test delivery is attempted once and
// never retried; a retrying one is retried on its schedule; a dead-lettered
// one (a retry of it does not restart it, and a 410 dead-letters at once)
// gets no more attempts.
func afterFailure(d *client.Delivery) string {
	switch {
	case d.IsTest:
		return fmt.Sprintf("Delivery %s is a test delivery, which hookd attempts once and never retries: fix the receiver and run the action again.", d.ID)
	case d.Status == "retrying" && d.NextAttemptAt != nil:
		return fmt.Sprintf("hookd retries delivery %s on its schedule (next attempt at %s) until it succeeds or is dead-lettered: fix the receiver, and run hookd_delivery_retry on it for an attempt now.",
			d.ID, d.NextAttemptAt.UTC().Format(time.RFC3339))
	case d.Status == "dead_lettered":
		return fmt.Sprintf("Delivery %s is dead-lettered: hookd makes no more attempts of it on its own. Fix the receiver and run the action again.", d.ID)
	case d.Status == "canceled":
		return fmt.Sprintf("Delivery %s was canceled (its webhook was disabled or deleted): hookd makes no more attempts of it.", d.ID)
	}
	return "Fix the receiver and run the action again."
}

// waitForAttempt polls a delivery until the attempt after before has
// finished, and returns it with the delivery as that poll read it. It gives
// up after pollFor, when ctx ends, or when the delivery was canceled (its
// webhook deleted or disabled) without that attempt.
func waitForAttempt(ctx context.Context, c *client.Client, deliveryID string, before int64) (*client.Attempt, *client.DeliveryDetail, error) {
	ctx, cancel := context.WithTimeout(ctx, pollFor)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		d, err := c.GetDelivery(ctx, deliveryID)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, nil, fmt.Errorf("no finished attempt after %s", pollFor)
		case err != nil:
			return nil, nil, err
		}
		if att := nextAttempt(d, before); att != nil {
			return att, d, nil
		}
		if d.Status == "canceled" {
			return nil, nil, fmt.Errorf("delivery %s was canceled before the attempt (its webhook was deleted or disabled)", d.ID)
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("no finished attempt after %s", pollFor)
		case <-tick.C:
		}
	}
}

// nextAttempt is the first attempt of d numbered above before (the one
// asked for, not a scheduled one that may have followed it); nil until
// hookd recorded it, which it does when the attempt finishes.
func nextAttempt(d *client.DeliveryDetail, before int64) *client.Attempt {
	var first *client.Attempt
	for i := range d.Attempts {
		if d.Attempts[i].Number > before && (first == nil || d.Attempts[i].Number < first.Number) {
			first = &d.Attempts[i]
		}
	}
	return first
}
