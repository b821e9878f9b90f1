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
)

// webhookModel holds the attributes both webhook resources share; the
// scope-specific models embed it.
type webhookModel struct {
	ID                      types.String   `tfsdk:"id"`
	Scope                   types.String   `tfsdk:"scope"`
	Name                    types.String   `tfsdk:"name"`
	Description             types.String   `tfsdk:"description"`
	URL                     types.String   `tfsdk:"url"`
	Events                  types.Set      `tfsdk:"events"`
	Active                  types.Bool     `tfsdk:"active"`
	Headers                 types.Map      `tfsdk:"headers"`
	AuthToken               types.String   `tfsdk:"auth_token"`
	AuthTokenSet            types.Bool     `tfsdk:"auth_token_set"`
	Secret                  types.String   `tfsdk:"secret"`
	SecretVersion           types.Int64    `tfsdk:"secret_version"`
	SecretRotation          types.Object   `tfsdk:"secret_rotation"`
	PreviousSecretExpiresAt types.String   `tfsdk:"previous_secret_expires_at"`
	TestOnApply             types.Bool     `tfsdk:"test_on_apply"`
	Status                  types.String   `tfsdk:"status"`
	DisabledReason          types.String   `tfsdk:"disabled_reason"`
	CreatedAt               types.String   `tfsdk:"created_at"`
	UpdatedAt               types.String   `tfsdk:"updated_at"`
	Timeouts                timeouts.Value `tfsdk:"timeouts"`
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

// webhookFromAPI maps what the API returned onto the model. What the API
// never returns is carried over from prior (plan or state): the secret,
// the auth token, secret_rotation, test_on_apply and timeouts.
//
// Two things are reconciled with the API rather than copied:
//   - auth_token becomes null when the API says none is set (removed outside
//     Terraform), so the plan shows the drift; its value is never compared.
//     auth_token_set is what the API says, so a token set outside Terraform
//     shows too (see authTokenSetFromConfig).
//   - secret becomes null when the API's secret_version differs from the
//     prior one (rotated outside Terraform); rotated reports that case.
func webhookFromAPI(ctx context.Context, api *client.Webhook, prior webhookModel) (m webhookModel, rotated bool, diags diag.Diagnostics) {
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
	if !api.AuthTokenSet {
		m.AuthToken = types.StringNull()
	}
	if !prior.SecretVersion.IsNull() && !prior.SecretVersion.IsUnknown() && prior.SecretVersion.ValueInt64() != api.SecretVersion {
		m.Secret, rotated = types.StringNull(), true
	}
	if m.Secret.IsUnknown() {
		m.Secret = types.StringNull()
	}
	m.SecretVersion = types.Int64Value(api.SecretVersion)
	m.PreviousSecretExpiresAt = timestampPtr(api.PreviousSecretExpiresAt)
	m.Status = types.StringValue(api.Status)
	m.DisabledReason = types.StringPointerValue(api.DisabledReason)
	m.CreatedAt = timestamp(api.CreatedAt)
	m.UpdatedAt = timestamp(api.UpdatedAt)
	return m, rotated, diags
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

// createRequest is the POST body for the planned webhook.
func (m webhookModel) createRequest(ctx context.Context) (client.CreateWebhookRequest, diag.Diagnostics) {
	var diags diag.Diagnostics
	req := client.CreateWebhookRequest{
		Name:        m.Name.ValueStringPointer(),
		Description: m.Description.ValueStringPointer(),
		URL:         m.URL.ValueString(),
		AuthToken:   m.AuthToken.ValueStringPointer(),
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
func updateRequest(ctx context.Context, plan, state webhookModel) (req client.UpdateWebhookRequest, changed bool, diags diag.Diagnostics) {
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
	if !plan.AuthToken.Equal(state.AuthToken) || (plan.AuthToken.IsNull() && state.AuthTokenSet.ValueBool()) {
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
// is set and differs from the one in state.
func rotationRequested(ctx context.Context, plan, state webhookModel) (bool, *secretRotationModel, diag.Diagnostics) {
	p, diags := plan.rotation(ctx)
	if p == nil || p.Trigger.IsNull() || p.Trigger.IsUnknown() {
		return false, p, diags
	}
	s, d := state.rotation(ctx)
	diags.Append(d...)
	if s != nil && s.Trigger.Equal(p.Trigger) {
		return false, p, diags
	}
	return true, p, diags
}
