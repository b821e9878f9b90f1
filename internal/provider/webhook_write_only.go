package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// Write-only arguments (secret_wo, auth_token_wo) are in the configuration
// only: plan and state hold null. What Terraform needs to remember of them
// is the fingerprint of what it sent, which the API reports back
// (secret_fingerprint, auth_token_fingerprint); it is kept in the
// resource's private state, so that a refresh can tell a secret replaced
// outside Terraform from the one Terraform installed, without holding
// either.

// privateSentKey names the private state entry of sentFingerprints.
const privateSentKey = "sent_fingerprints"

// sentFingerprints are the fingerprints of the write-only values Terraform
// installed last; "" when it installed none.
type sentFingerprints struct {
	Secret    string `json:"secret,omitempty"`
	AuthToken string `json:"auth_token,omitempty"`
}

// privateState is what Create, Read, Update and ModifyPlan responses and
// requests have of private state (*privatestate.ProviderData).
type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

func readSent(ctx context.Context, p privateState) (sentFingerprints, diag.Diagnostics) {
	var s sentFingerprints
	if p == nil {
		return s, nil
	}
	raw, diags := p.GetKey(ctx, privateSentKey)
	if diags.HasError() || len(raw) == 0 {
		return s, diags
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		// Unreadable private state only costs drift detection until the
		// next write-only value is sent: not worth failing a plan for.
		return sentFingerprints{}, diags
	}
	return s, diags
}

func writeSent(ctx context.Context, p privateState, s sentFingerprints) diag.Diagnostics {
	if p == nil {
		return nil
	}
	raw, err := json.Marshal(s)
	if err != nil {
		var diags diag.Diagnostics
		diags.AddError("Unable to record the write-only fingerprints", err.Error())
		return diags
	}
	return p.SetKey(ctx, privateSentKey, raw)
}

// writeOnlyConfig holds the write-only values of the configuration.
type writeOnlyConfig struct {
	SecretWO    types.String
	AuthTokenWO types.String
}

func readWriteOnly(ctx context.Context, config tfsdk.Config) (writeOnlyConfig, diag.Diagnostics) {
	var c writeOnlyConfig
	diags := config.GetAttribute(ctx, path.Root("secret_wo"), &c.SecretWO)
	diags.Append(config.GetAttribute(ctx, path.Root("auth_token_wo"), &c.AuthTokenWO)...)
	return c, diags
}

// configured is true for a value that is set, or not known yet (an
// ephemeral value not opened during this plan): either way it will be sent.
func configured(v types.String) bool { return !v.IsNull() }

// writeOnlySends is what an update sends of the write-only values. Plan
// (ModifyPlan) and apply (Update) decide it with the same function, so the
// plan promises exactly what apply does.
type writeOnlySends struct {
	// Secret: install secret_wo through a rotation.
	Secret bool
	// AuthToken: send auth_token_wo in the PATCH.
	AuthToken bool
}

// planWriteOnly decides writeOnlySends: a write-only value is sent when it
// is configured and its version changed (null to a number after import
// counts), or when the server reports another value than the one Terraform
// sent last (changed outside Terraform). A token is also sent when the
// server has none.
func planWriteOnly(cfg writeOnlyConfig, plan, state webhookModel, sent sentFingerprints) writeOnlySends {
	var s writeOnlySends
	if configured(cfg.SecretWO) {
		s.Secret = !plan.SecretWOVersion.Equal(state.SecretWOVersion) ||
			(sent.Secret != "" && state.SecretFingerprint.ValueString() != sent.Secret)
	}
	if configured(cfg.AuthTokenWO) {
		s.AuthToken = !plan.AuthTokenWOVersion.Equal(state.AuthTokenWOVersion) ||
			!state.AuthTokenSet.ValueBool() ||
			(sent.AuthToken != "" && state.AuthTokenFingerprint.ValueString() != sent.AuthToken)
	}
	return s
}

// addDriftWarnings tells, on refresh, what changed outside Terraform in
// the webhook's secret and token, and what the next apply does about it;
// and that hookd auto-disabled the webhook, which no apply undoes: a plan
// with no changes would otherwise hide a webhook that gets nothing.
func addDriftWarnings(diags *diag.Diagnostics, api *client.Webhook, prior webhookModel, drift webhookDrift, sent sentFingerprints) {
	if api.Status == webhookAutoDisabled {
		reason := "no reason given"
		if api.DisabledReason != nil {
			reason = *api.DisabledReason
		}
		diags.AddWarning("Webhook auto-disabled by hookd",
			fmt.Sprintf("Webhook %s gets no deliveries, retries or replays: hookd disabled it (%s). Neither active nor an apply re-enables it. "+
				"Once its receiver is fixed, run the action hookd_webhook_recover with reenable = true over the time of the outage (Terraform 1.14 and later: "+
				"it re-enables the webhook, then replays what was dead-lettered), or press Re-enable on hookd's console, or PATCH /v1/webhooks/%s with {\"status\": \"active\"}.",
				api.ID, reason, api.ID))
	}
	if drift.SecretRotated {
		grace := ""
		if api.PreviousSecretExpiresAt != nil {
			grace = fmt.Sprintf(" The secret Terraform held keeps verifying until %s (previous_secret_expires_at).", api.PreviousSecretExpiresAt.UTC().Format(time.RFC3339))
		}
		diags.AddWarning("Signing secret rotated outside Terraform",
			fmt.Sprintf("Webhook %s is at secret_version %d, but Terraform holds the secret of version %d. The secret in state is now null, since the API never returns it.%s "+
				"To have a secret in state again, set secret_rotation.trigger (or change it, if it is set): the next apply rotates and stores the new secret; or supply your own with secret_wo.",
				api.ID, api.SecretVersion, prior.SecretVersion.ValueInt64(), grace))
	}
	if drift.AuthTokenReplaced {
		diags.AddWarning("Auth token replaced outside Terraform",
			fmt.Sprintf("Webhook %s sends a token with fingerprint %s, which is not the configured auth_token. The next apply sends auth_token again.",
				api.ID, *api.AuthTokenFingerprint))
	}
	secret, token := writeOnlyDrift(api, sent)
	if secret {
		diags.AddWarning("Signing secret changed outside Terraform",
			fmt.Sprintf("Webhook %s reports secret_fingerprint %s, but the secret Terraform installed from secret_wo has fingerprint %s: it was rotated or replaced outside Terraform. While secret_wo is configured, the next apply installs it again: the value secret_wo has then, which is a new secret when it comes from ephemeral.hookd_signing_secret, so the receiver's copy must follow (make its write-only version change with secret_fingerprint, or bump both versions).",
				api.ID, api.SecretFingerprint, sent.Secret))
	}
	if token {
		now := "no token"
		if api.AuthTokenFingerprint != nil {
			now = "a token with fingerprint " + *api.AuthTokenFingerprint
		}
		diags.AddWarning("Auth token changed outside Terraform",
			fmt.Sprintf("Webhook %s sends %s, but the token Terraform sent from auth_token_wo has fingerprint %s. While auth_token_wo is configured, the next apply sends it again.",
				api.ID, now, sent.AuthToken))
	}
}

// writeOnlyConfigured is configured(secret_wo) || configured(auth_token_wo)
// as readWriteOnly would read them, from the configuration's raw object
// without converting either (ModifyPlan's no-change path, once per
// resource of every plan). A configuration it cannot read counts as
// configured: the caller then takes the path that reads it properly.
func writeOnlyConfigured(config tfsdk.Config) bool {
	var attrs map[string]tftypes.Value
	if err := config.Raw.As(&attrs); err != nil {
		return true
	}
	for _, name := range [...]string{"secret_wo", "auth_token_wo"} {
		if v, ok := attrs[name]; !ok || !v.IsNull() {
			return true
		}
	}
	return false
}
