package provider

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// webhookModel holds the attributes both webhook resources share; the
// scope-specific models embed it.
type webhookModel struct {
	ID                        types.String   `tfsdk:"id"`
	Scope                     types.String   `tfsdk:"scope"`
	Name                      types.String   `tfsdk:"name"`
	Description               types.String   `tfsdk:"description"`
	URL                       types.String   `tfsdk:"url"`
	Events                    types.Set      `tfsdk:"events"`
	Active                    types.Bool     `tfsdk:"active"`
	Headers                   types.Map      `tfsdk:"headers"`
	AuthToken                 types.String   `tfsdk:"auth_token"`
	AuthTokenWO               types.String   `tfsdk:"auth_token_wo"`
	AuthTokenWOVersion        types.Int64    `tfsdk:"auth_token_wo_version"`
	AuthTokenSet              types.Bool     `tfsdk:"auth_token_set"`
	AuthTokenFingerprint      types.String   `tfsdk:"auth_token_fingerprint"`
	Secret                    types.String   `tfsdk:"secret"`
	SecretVersion             types.Int64    `tfsdk:"secret_version"`
	SecretFingerprint         types.String   `tfsdk:"secret_fingerprint"`
	PreviousSecretFingerprint types.String   `tfsdk:"previous_secret_fingerprint"`
	SecretWO                  types.String   `tfsdk:"secret_wo"`
	SecretWOVersion           types.Int64    `tfsdk:"secret_wo_version"`
	SecretWOGracePeriod       types.Int64    `tfsdk:"secret_wo_grace_period_hours"`
	SecretRotation            types.Object   `tfsdk:"secret_rotation"`
	PreviousSecretExpiresAt   types.String   `tfsdk:"previous_secret_expires_at"`
	SignatureScheme           types.String   `tfsdk:"signature_scheme"`
	PublicKey                 types.String   `tfsdk:"public_key"`
	TestOnApply               types.Bool     `tfsdk:"test_on_apply"`
	Status                    types.String   `tfsdk:"status"`
	DisabledReason            types.String   `tfsdk:"disabled_reason"`
	CreatedAt                 types.String   `tfsdk:"created_at"`
	UpdatedAt                 types.String   `tfsdk:"updated_at"`
	Timeouts                  timeouts.Value `tfsdk:"timeouts"`
}

// secretRotationModel is the secret_rotation object.
type secretRotationModel struct {
	Trigger          types.String `tfsdk:"trigger"`
	GracePeriodHours types.Int64  `tfsdk:"grace_period_hours"`
}

var secretRotationAttrTypes = map[string]attr.Type{
	"trigger":            types.StringType,
	"grace_period_hours": types.Int64Type,
}

// webhookState is a scope's model: it gives access to the shared part and,
// for group webhooks, to the group.
type webhookState interface {
	common() *webhookModel
	// groupID is the group_id attribute, nil at account scope.
	groupID() *types.String
}

type accountWebhookModel struct {
	webhookModel
}

func (m *accountWebhookModel) common() *webhookModel  { return &m.webhookModel }
func (m *accountWebhookModel) groupID() *types.String { return nil }

type groupWebhookModel struct {
	webhookModel
	GroupID types.String `tfsdk:"group_id"`
}

func (m *groupWebhookModel) common() *webhookModel  { return &m.webhookModel }
func (m *groupWebhookModel) groupID() *types.String { return &m.GroupID }

// timestamp renders an API time the way state keeps it.
func timestamp(t time.Time) types.String {
	return types.StringValue(t.UTC().Format(time.RFC3339Nano))
}

func timestampPtr(t *time.Time) types.String {
	if t == nil {
		return types.StringNull()
	}
	return timestamp(*t)
}

// webhookDrift is what webhookFromAPI found changed outside Terraform.
type webhookDrift struct {
	// SecretRotated: the server's secret_version is not the one of the
	// secret in state, which is now null.
	SecretRotated bool
	// AuthTokenReplaced: the server sends another token than auth_token
	// (by fingerprint), which is now null so the plan sends it again.
	AuthTokenReplaced bool
}

// webhookFromAPI maps what the API returned onto the model. What the API
// never returns is carried over from prior (plan or state): the secret,
// the auth token, the write-only versions, secret_rotation, test_on_apply
// and timeouts.
//
// Two things are reconciled with the API rather than copied:
//   - auth_token becomes null when the API says none is set (removed outside
//     Terraform), or reports the fingerprint of another token (replaced), so
//     the plan shows the drift; the token itself is never read back.
//     auth_token_set is what the API says, so a token set outside Terraform
//     shows too (see authTokenSetFromConfig).
//   - secret becomes null when the API's secret_version differs from the
//     prior one (rotated outside Terraform).
func webhookFromAPI(ctx context.Context, api *client.Webhook, prior webhookModel) (m webhookModel, drift webhookDrift, diags diag.Diagnostics) {
	m = prior
	m.ID = types.StringValue(api.ID)
	m.Scope = types.StringValue(string(api.Scope))
	m.Name = types.StringPointerValue(api.Name)
	m.Description = types.StringPointerValue(api.Description)
	m.URL = types.StringValue(api.URL)
	events, d := types.SetValueFrom(ctx, types.StringType, api.Events)
	diags.Append(d...)
	m.Events = events
	m.Active = types.BoolValue(api.Active)
	m.Headers, d = headersFromAPI(ctx, api.Headers, prior.Headers)
	diags.Append(d...)
	m.AuthTokenSet = types.BoolValue(api.AuthTokenSet)
	m.AuthTokenFingerprint = types.StringPointerValue(api.AuthTokenFingerprint)
	switch {
	case !api.AuthTokenSet:
		m.AuthToken = types.StringNull()
	case known(prior.AuthToken) && api.AuthTokenFingerprint != nil && rules.Fingerprint(prior.AuthToken.ValueString()) != *api.AuthTokenFingerprint:
		m.AuthToken, drift.AuthTokenReplaced = types.StringNull(), true
	}
	if known(prior.SecretVersion) && prior.SecretVersion.ValueInt64() != api.SecretVersion {
		drift.SecretRotated = known(prior.Secret)
		m.Secret = types.StringNull()
	}
	if m.Secret.IsUnknown() {
		m.Secret = types.StringNull()
	}
	m.SecretVersion = types.Int64Value(api.SecretVersion)
	m.SecretFingerprint = types.StringValue(api.SecretFingerprint)
	m.PreviousSecretFingerprint = types.StringPointerValue(api.PreviousSecretFingerprint)
	m.PreviousSecretExpiresAt = timestampPtr(api.PreviousSecretExpiresAt)
	m.SignatureScheme = types.StringValue(api.SignatureScheme)
	m.PublicKey = types.StringPointerValue(api.PublicKey)
	m.Status = types.StringValue(api.Status)
	m.DisabledReason = types.StringPointerValue(api.DisabledReason)
	m.CreatedAt = timestamp(api.CreatedAt)
	m.UpdatedAt = timestamp(api.UpdatedAt)
	// Write-only values are never kept.
	m.SecretWO, m.AuthTokenWO = types.StringNull(), types.StringNull()
	return m, drift, diags
}

// known is true for a value that is neither null nor unknown.
func known(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }

// writeOnlyDrift compares what the API reports with the fingerprints of the
// write-only values Terraform sent last: true for each that the server no
// longer has (replaced, rotated or removed outside Terraform).
func writeOnlyDrift(api *client.Webhook, sent sentFingerprints) (secret, authToken bool) {
	secret = sent.Secret != "" && api.SecretFingerprint != sent.Secret
	authToken = sent.AuthToken != "" && (api.AuthTokenFingerprint == nil || *api.AuthTokenFingerprint != sent.AuthToken)
	return secret, authToken
}

// headersFromAPI keeps "no headers" the way the configuration said it: null
// stays null and {} stays {}, so neither shows a diff.
func headersFromAPI(ctx context.Context, headers map[string]string, prior types.Map) (types.Map, diag.Diagnostics) {
	if len(headers) == 0 {
		if prior.IsNull() || prior.IsUnknown() {
			return types.MapNull(types.StringType), nil
		}
		return types.MapValueMust(types.StringType, map[string]attr.Value{}), nil
	}
	return types.MapValueFrom(ctx, types.StringType, headers)
}

// createRequest is the POST body for the planned webhook, with the
// write-only values of the configuration.
func (m webhookModel) createRequest(ctx context.Context, wo writeOnlyConfig) (client.CreateWebhookRequest, diag.Diagnostics) {
	var diags diag.Diagnostics
	req := client.CreateWebhookRequest{
		Name:        m.Name.ValueStringPointer(),
		Description: m.Description.ValueStringPointer(),
		URL:         m.URL.ValueString(),
		AuthToken:   m.AuthToken.ValueStringPointer(),
		Secret:      wo.SecretWO.ValueStringPointer(),
	}
	if known(m.SignatureScheme) {
		req.SignatureScheme = m.SignatureScheme.ValueStringPointer()
	}
	if configured(wo.AuthTokenWO) {
		req.AuthToken = wo.AuthTokenWO.ValueStringPointer()
	}
	diags.Append(m.Events.ElementsAs(ctx, &req.Events, false)...)
	if !m.Active.IsNull() && !m.Active.IsUnknown() {
		req.Active = m.Active.ValueBoolPointer()
	}
	if !m.Headers.IsNull() && !m.Headers.IsUnknown() {
		diags.Append(m.Headers.ElementsAs(ctx, &req.Headers, false)...)
	}
	return req, diags
}

// updateRequest is the merge patch that turns state into plan; changed is
// false when no API field differs (only Terraform-side settings changed).
// wo and sends bring the write-only token: sent when sends.AuthToken, and
// never removed while configured.
func updateRequest(ctx context.Context, plan, state webhookModel, wo writeOnlyConfig, sends writeOnlySends) (req client.UpdateWebhookRequest, changed bool, diags diag.Diagnostics) {
	if !plan.Name.Equal(state.Name) {
		req.Name, changed = nullable(plan.Name), true
	}
	if !plan.Description.Equal(state.Description) {
		req.Description, changed = nullable(plan.Description), true
	}
	if !plan.URL.Equal(state.URL) {
		req.URL, changed = plan.URL.ValueStringPointer(), true
	}
	if !plan.Events.Equal(state.Events) {
		diags.Append(plan.Events.ElementsAs(ctx, &req.Events, false)...)
		changed = true
	}
	if !plan.Active.IsUnknown() && !plan.Active.Equal(state.Active) {
		req.Active, changed = plan.Active.ValueBoolPointer(), true
	}
	if known(plan.SignatureScheme) && !plan.SignatureScheme.Equal(state.SignatureScheme) {
		req.SignatureScheme, changed = plan.SignatureScheme.ValueStringPointer(), true
	}
	if !plan.Headers.Equal(state.Headers) {
		var want, have map[string]string
		if !plan.Headers.IsNull() {
			diags.Append(plan.Headers.ElementsAs(ctx, &want, false)...)
		}
		if !state.Headers.IsNull() {
			diags.Append(state.Headers.ElementsAs(ctx, &have, false)...)
		}
		if patch := headersPatch(have, want); len(patch) > 0 {
			req.Headers, changed = client.Set(patch), true
		}
	}
	// A token the server has but state does not know (set outside Terraform,
	// or imported) is removed when the configuration has none.
	switch {
	case sends.AuthToken:
		req.AuthToken, changed = nullable(wo.AuthTokenWO), true
	case configured(wo.AuthTokenWO):
		// The write-only token stays as the server has it.
	case !plan.AuthToken.Equal(state.AuthToken) || (plan.AuthToken.IsNull() && state.AuthTokenSet.ValueBool()):
		req.AuthToken, changed = nullable(plan.AuthToken), true
	}
	// Any PATCH carries the configured token, unchanged or not: a plan made
	// before the token was removed outside Terraform (a saved plan, or
	// -refresh=false) still ends with the token the plan promises.
	if changed && req.AuthToken == nil && !plan.AuthToken.IsNull() && !plan.AuthToken.IsUnknown() {
		req.AuthToken = nullable(plan.AuthToken)
	}
	return req, changed, diags
}

// headersPatch is the merge patch from have to want: every wanted header,
// and a removal (nil) for each current name no longer wanted. Names compare
// case-insensitively, as HTTP does; a name whose case changed is sent once
// with its new spelling, which replaces the old one.
func headersPatch(have, want map[string]string) map[string]*string {
	patch := map[string]*string{}
	for name, value := range want {
		if old, ok := have[name]; ok && old == value {
			continue
		}
		patch[name] = &value
	}
	for name := range have {
		if !containsFold(want, name) {
			patch[name] = nil
		}
	}
	return patch
}

func containsFold(m map[string]string, name string) bool {
	for k := range m {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func nullable(v types.String) *client.Nullable[string] {
	if v.IsNull() {
		return client.Null[string]()
	}
	return client.Set(v.ValueString())
}

// rotation returns the planned secret_rotation, or nil when not set.
func (m webhookModel) rotation(ctx context.Context) (*secretRotationModel, diag.Diagnostics) {
	if m.SecretRotation.IsNull() || m.SecretRotation.IsUnknown() {
		return nil, nil
	}
	var r secretRotationModel
	diags := m.SecretRotation.As(ctx, &r, basetypes.ObjectAsOptions{})
	return &r, diags
}

// rotationRequested reports whether plan asks for a new secret: its trigger
// is set and differs from the one in state. A trigger not known yet (at
// plan time) may well differ: it counts as a rotation.
func rotationRequested(ctx context.Context, plan, state webhookModel) (bool, *secretRotationModel, diag.Diagnostics) {
	p, diags := plan.rotation(ctx)
	if p == nil || p.Trigger.IsNull() {
		return false, p, diags
	}
	if p.Trigger.IsUnknown() {
		return true, p, diags
	}
	s, d := state.rotation(ctx)
	diags.Append(d...)
	if s != nil && s.Trigger.Equal(p.Trigger) {
		return false, p, diags
	}
	return true, p, diags
}

// webhookUpdate is what Update does to turn state into plan: the calls it
// makes and what they send. ModifyPlan plans from the same decision, so the
// plan shows unknown exactly where apply will change something.
type webhookUpdate struct {
	// Patch is the merge patch; PatchChanged is false when there is none to send.
	Patch        client.UpdateWebhookRequest
	PatchChanged bool
	// Rotate is a rotation asked by secret_rotation.trigger; Rotation is
	// the planned secret_rotation (nil when not set).
	Rotate   bool
	Rotation *secretRotationModel
	// Sends are the write-only values to send.
	Sends writeOnlySends
}

// rotates is true when the signing secret changes: a rotation by trigger,
// or secret_wo installed.
func (u webhookUpdate) rotates() bool { return u.Rotate || u.Sends.Secret }

// decideUpdate is the update of a webhook from state to plan, given the
// write-only values of the configuration and the fingerprints Terraform
// sent last.
func decideUpdate(ctx context.Context, plan, state webhookModel, wo writeOnlyConfig, sent sentFingerprints) (webhookUpdate, diag.Diagnostics) {
	var u webhookUpdate
	u.Sends = planWriteOnly(wo, plan, state, sent)
	var diags, d diag.Diagnostics
	u.Patch, u.PatchChanged, diags = updateRequest(ctx, plan, state, wo, u.Sends)
	u.Rotate, u.Rotation, d = rotationRequested(ctx, plan, state)
	diags.Append(d...)
	return u, diags
}

// rotateRequest is the body of the rotation u asks for: secret_wo with its
// grace period, or a server-made secret with secret_rotation's.
func (u webhookUpdate) rotateRequest(plan webhookModel, wo writeOnlyConfig) client.RotateSecretRequest {
	var body client.RotateSecretRequest
	grace := types.Int64Null()
	if u.Sends.Secret {
		body.Secret = wo.SecretWO.ValueStringPointer()
		grace = plan.SecretWOGracePeriod
	} else if u.Rotation != nil {
		grace = u.Rotation.GracePeriodHours
	}
	if known(grace) {
		hours := int(grace.ValueInt64())
		body.GracePeriodHours = &hours
	}
	return body
}

// plannedAuthTokenFingerprint is auth_token_fingerprint as u leaves it:
// unchanged without a token in the patch, null when the patch removes it,
// the fingerprint of auth_token when it sends that (known at plan time),
// and unknown when it sends auth_token_wo (an ephemeral value may differ
// between plan and apply).
func (u webhookUpdate) plannedAuthTokenFingerprint(plan, state webhookModel) types.String {
	switch {
	case u.Patch.AuthToken == nil:
		return state.AuthTokenFingerprint
	case u.Patch.AuthToken.Null:
		return types.StringNull()
	case !u.Sends.AuthToken && known(plan.AuthToken):
		return types.StringValue(rules.Fingerprint(plan.AuthToken.ValueString()))
	}
	return types.StringUnknown()
}
