package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

var (
	_ action.ActionWithConfigure  = (*webhookRotateSecretAction)(nil)
	_ action.ActionWithModifyPlan = (*webhookRotateSecretAction)(nil)
)

// webhookRotateSecretAction is hookd_webhook_rotate_secret: a rotation to a
// secret hookd makes, outside any resource's lifecycle (an incident, a
// schedule). The new secret is not returned to Terraform: an action has no
// state to keep it in.
type webhookRotateSecretAction struct{ actionBase }

// NewWebhookRotateSecretAction returns the hookd_webhook_rotate_secret action.
func NewWebhookRotateSecretAction() action.Action { return &webhookRotateSecretAction{} }

type webhookRotateSecretModel struct {
	WebhookID        types.String `tfsdk:"webhook_id"`
	GracePeriodHours types.Int64  `tfsdk:"grace_period_hours"`
}

func (a *webhookRotateSecretAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook_rotate_secret"
}

func (a *webhookRotateSecretAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Rotates a webhook's signing secret to a new one that hookd makes; the previous secret keeps verifying for `grace_period_hours`. " +
			"The new secret is not given to Terraform. When the webhook is managed by `hookd_account_webhook` or `hookd_group_webhook`, the secret in its state " +
			"becomes stale: the next refresh sees `secret_version` change, sets `secret` to null and warns; to keep a secret in state, rotate through the resource " +
			"(`secret_rotation.trigger`) instead, and with `secret_wo` the next apply installs your secret again. Terraform 1.14 or later.",
		Attributes: map[string]schema.Attribute{
			"webhook_id": webhookID.attribute("The webhook (`wh_...`) whose secret to rotate."),
			"grace_period_hours": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Hours (0 to %d) during which the previous secret still verifies. Defaults to `%d`.", rules.MaxGracePeriodHours, rules.DefaultGracePeriodHours),
				Optional:            true,
				Validators:          []validator.Int64{gracePeriodHours()},
			},
		},
	}
}

// ModifyPlan checks webhook_id and grace_period_hours again once they are
// known (validateAtPlan).
func (a *webhookRotateSecretAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	validateAtPlan(ctx, a, req.Config, &resp.Diagnostics)
}

func (a *webhookRotateSecretAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m webhookRotateSecretModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !a.ready(resp) {
		return
	}
	id := m.WebhookID.ValueString()
	var body client.RotateSecretRequest
	if known(m.GracePeriodHours) {
		hours := int(m.GracePeriodHours.ValueInt64())
		body.GracePeriodHours = &hours
	}
	progress(resp, "Rotating the signing secret of webhook %s", id)
	rot, err := a.data.client.RotateSecret(ctx, id, body)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to rotate the signing secret of webhook "+id, err, webhookNotFoundAdvice)
		return
	}
	tflog.Info(ctx, "rotated webhook secret", map[string]any{"id": id, "secret_version": rot.SecretVersion})
	grace := "the previous secret no longer verifies"
	if rot.PreviousSecretExpiresAt != nil {
		grace = "the previous secret verifies until " + rot.PreviousSecretExpiresAt.UTC().Format(time.RFC3339)
	}
	progress(resp, "Webhook %s is at secret_version %d (secret_fingerprint %s); %s", id, rot.SecretVersion, rot.SecretFingerprint, grace)
	if rot.PublicKey != nil {
		// A v1a webhook got a new key pair too; receivers need its public
		// key (not secret), and the previous one verifies as long as the
		// previous secret does.
		progress(resp, "Webhook %s signs with a new Ed25519 key: public_key %s", id, *rot.PublicKey)
	}
	resp.Diagnostics.AddWarning("Signing secret rotated by an action",
		fmt.Sprintf("Webhook %s now signs with a secret Terraform does not hold (secret_version %d, fingerprint %s). If a hookd_account_webhook or hookd_group_webhook manages it, the secret in its state is stale: the next refresh shows secret_version change and sets secret to null. Set secret_rotation.trigger (or change it, if it is set) to rotate through the resource and keep the secret in state; with secret_wo, the next apply installs your secret again.",
			id, rot.SecretVersion, rot.SecretFingerprint))
}
