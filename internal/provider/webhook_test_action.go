package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ action.ActionWithConfigure  = (*webhookTestAction)(nil)
	_ action.ActionWithModifyPlan = (*webhookTestAction)(nil)
)

// webhookTestAction is hookd_webhook_test: one test event, delivered at
// once, and its answer.
type webhookTestAction struct{ actionBase }

// NewWebhookTestAction returns the hookd_webhook_test action.
func NewWebhookTestAction() action.Action { return &webhookTestAction{} }

type webhookTestModel struct {
	WebhookID types.String `tfsdk:"webhook_id"`
	EventType types.String `tfsdk:"event_type"`
}

func (a *webhookTestAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook_test"
}

func (a *webhookTestAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Sends a test event to a webhook now, signed like any delivery and marked `Hookd-Test-Delivery: true`, and fails unless the receiver answers 2xx, with its status code, error, duration and the start of its answer. Run it with `terraform apply -invoke=action.hookd_webhook_test.<name>`, or from a resource's `lifecycle.action_trigger` (after create or update). Terraform 1.14 or later.",
		Attributes: map[string]schema.Attribute{
			"webhook_id": webhookID.attribute("The webhook (`wh_...`) to test."),
			"event_type": schema.StringAttribute{
				MarkdownDescription: "The event type of the test event, from the event catalog (checked at plan time); the catalog example is its data. Defaults to the first type the webhook subscribes to.",
				Optional:            true,
			},
		},
	}
}

// ModifyPlan checks webhook_id again once it is known (validateAtPlan), and
// event_type against the live catalog, so a typo fails the plan instead of
// the apply.
func (a *webhookTestAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	validateAtPlan(ctx, a, req.Config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	var m webhookTestModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || a.data == nil || !known(m.EventType) {
		return
	}
	names := a.data.catalog.eventNames(ctx, &resp.Diagnostics)
	if err := validateType(names, m.EventType.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("event_type"), "Invalid event type",
			"event_type: "+err.Error()+". data.hookd_event_catalog lists the event types of this server.")
	}
}

func (a *webhookTestAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m webhookTestModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !a.ready(resp) {
		return
	}
	id := m.WebhookID.ValueString()
	progress(resp, "Sending a test event to webhook %s", id)
	res, err := a.data.client.TestWebhook(ctx, id, m.EventType.ValueString())
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to send a test event to webhook "+id, err, webhookNotFoundAdvice)
		return
	}
	msg, failed := testOutcome("webhook "+id, res, testBody(ctx, a.data.client, res))
	tflog.Info(ctx, "test delivery", map[string]any{"webhook_id": id, "delivery_id": res.DeliveryID, "succeeded": !failed})
	if failed {
		resp.Diagnostics.AddError("Test delivery failed", msg+" Fix the receiver and run the action again.")
		return
	}
	progress(resp, "%s", msg)
}
