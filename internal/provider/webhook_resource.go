package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// webhookScope is what differs between account and group webhooks.
type webhookScope interface {
	typeName() string
	scope() client.Scope
	newModel() webhookState
	// create makes the POST for the scope.
	create(ctx context.Context, c *client.Client, m webhookState, req client.CreateWebhookRequest) (*client.WebhookWithSecret, error)
	// fromAPI sets the scope's own attributes from the API.
	fromAPI(m webhookState, api *client.Webhook)
	// description is the resource's schema description.
	description() string
	// attributes are the scope's own attributes (group_id), next to the
	// shared ones of webhookSchema.
	attributes() map[string]schema.Attribute
	// listAttributes are the scope's own filters of its list resource
	// (group_id), next to the shared ones.
	listAttributes() map[string]listschema.Attribute
	// listGroupID reads the group filter of a list block: null where the
	// scope has none.
	listGroupID(ctx context.Context, config tfsdk.Config) (types.String, diag.Diagnostics)
}

// webhookResource implements both hookd_account_webhook and
// hookd_group_webhook: one implementation, two schemas.
type webhookResource struct {
	s    webhookScope
	data *providerData
}

var (
	_ resource.ResourceWithConfigure   = (*webhookResource)(nil)
	_ resource.ResourceWithImportState = (*webhookResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*webhookResource)(nil)
	_ resource.ResourceWithIdentity    = (*webhookResource)(nil)
)

func (r *webhookResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.s.typeName()
}

func (r *webhookResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = webhookSchema(ctx, r.s.description(), r.s.attributes())
}

func (r *webhookResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("webhook", "`wh_0123456789abcdefghij`")
}

func (r *webhookResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	data := providerDataFrom(req.ProviderData, &resp.Diagnostics)
	if data == nil {
		return
	}
	r.data = data
}

// ModifyPlan checks event types against the live catalog, so a typo fails
// the plan with a suggestion instead of the apply, and plans what the
// server sets on an update (see planUpdate).
func (r *webhookResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	if !req.State.Raw.IsNull() {
		// The common case, a webhook that does not change (every one of a
		// no-change plan), decodes nothing: with nothing planned, there is
		// nothing to decide (planUpdate) and no event changed (checkEvents).
		// A write-only value configured still goes the whole way, since
		// planWriteOnly may plan to send it again when the refreshed
		// fingerprint is not the one in private state.
		if sameValue(req.Plan.Raw, req.State.Raw) && !writeOnlyConfigured(req.Config) {
			return
		}
		r.planUpdate(ctx, req, resp)
	}
	if r.data != nil {
		r.checkEvents(ctx, req, resp)
	}
}

// planUpdate plans the values the server sets, from what Update will do
// (decideUpdate): updated_at is unknown when Update calls the API, the
// prior value otherwise (only timeouts or test_on_apply changed); the
// secret's version, fingerprint and grace window are unknown when the
// secret changes (by trigger, or secret_wo installed), and so is the
// token's fingerprint when a token is sent. The framework cannot tell on
// its own: it keeps prior values when only a plan modifier or private
// state calls for an update (auth_token_set, a write-only value changed
// outside Terraform), and drops them when only Terraform-side settings
// changed; status and disabled_reason are unknown when a PATCH will
// answer with them. The group resource plans updated_at the same way.
func (r *webhookResource) planUpdate(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	wo, d := readWriteOnly(ctx, req.Config)
	resp.Diagnostics.Append(d...)
	pm, sm := r.s.newModel(), r.s.newModel()
	resp.Diagnostics.Append(getPlan(ctx, resp.Plan, pm)...)
	resp.Diagnostics.Append(getState(ctx, req.State, sm)...)
	sent, d := readSent(ctx, req.Private)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan, state := pm.common(), sm.common()
	if summary, detail, ok := tokenRemoval(*state, *plan); ok {
		resp.Diagnostics.AddWarning(summary, detail)
	}
	u, d := decideUpdate(ctx, *plan, *state, wo, sent)
	// A value still unknown cannot be compared: it may well change.
	calls := u.PatchChanged || d.HasError() || u.rotates()

	plan.Secret, plan.SecretVersion, plan.SecretFingerprint = state.Secret, state.SecretVersion, state.SecretFingerprint
	plan.PreviousSecretExpiresAt, plan.PreviousSecretFingerprint = state.PreviousSecretExpiresAt, state.PreviousSecretFingerprint
	plan.Status, plan.DisabledReason = state.Status, state.DisabledReason
	// What the server sets on its own may have moved by the time a saved
	// (or -refresh=false) plan is applied: a grace window that ended, a
	// webhook the engine auto-disabled. Whatever the API will answer with
	// is unknown, not the stale value.
	if calls && !state.PreviousSecretExpiresAt.IsNull() {
		plan.PreviousSecretExpiresAt = types.StringUnknown()
	}
	if calls && !state.PreviousSecretFingerprint.IsNull() {
		plan.PreviousSecretFingerprint = types.StringUnknown()
	}
	if u.PatchChanged {
		plan.Status, plan.DisabledReason = types.StringUnknown(), types.StringUnknown()
	}
	if u.rotates() {
		plan.Secret = types.StringUnknown()
		if u.Sends.Secret {
			plan.Secret = types.StringNull() // secret_wo is never kept
		}
		plan.SecretVersion, plan.SecretFingerprint = types.Int64Unknown(), types.StringUnknown()
		plan.PreviousSecretExpiresAt, plan.PreviousSecretFingerprint = types.StringUnknown(), types.StringUnknown()
		if !plan.SignatureScheme.Equal(types.StringValue(client.SchemeV1)) {
			plan.PublicKey = types.StringUnknown() // a v1a rotation replaces the key pair
		}
	}
	plan.AuthTokenFingerprint = u.plannedAuthTokenFingerprint(*plan, *state)
	plan.UpdatedAt = state.UpdatedAt
	if calls {
		plan.UpdatedAt = types.StringUnknown()
	}
	resp.Diagnostics.Append(setPlan(ctx, &resp.Plan, pm)...)
}

// checkEvents checks planned event types against the live catalog, only
// when they change: an unchanged subscription was checked when it was
// planned, and the catalog is then not even fetched.
func (r *webhookResource) checkEvents(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var events, prior types.Set
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("events"), &events)...)
	if resp.Diagnostics.HasError() || events.IsUnknown() || events.IsNull() {
		return
	}
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("events"), &prior)...)
		if resp.Diagnostics.HasError() || events.Equal(prior) {
			return
		}
	}
	names := r.data.catalog.eventNames(ctx, &resp.Diagnostics)
	if names == nil {
		return
	}
	for _, e := range events.Elements() {
		s, ok := e.(basetypes.StringValue)
		if !ok || s.IsUnknown() || s.IsNull() {
			continue
		}
		if err := names.ValidatePattern(s.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("events"), "Unknown event type",
				"events: "+err.Error()+". data.hookd_event_catalog lists the event types of this server.")
		}
	}
}

func (r *webhookResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	m := r.s.newModel()
	resp.Diagnostics.Append(getPlan(ctx, req.Plan, m)...)
	wo, d := readWriteOnly(ctx, req.Config)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan := m.common()
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Create, &resp.Diagnostics)
	defer cancel()
	body, d := plan.createRequest(ctx, wo)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}

	created, err := r.s.create(ctx, r.data.client, m, body)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to create the "+r.kind(), err)
		return
	}
	tflog.Info(ctx, "created webhook", map[string]any{"id": created.ID, "scope": string(created.Scope)})
	// The POST response is the state: no read-after-write.
	next, _, d := webhookFromAPI(ctx, &created.Webhook, *plan)
	resp.Diagnostics.Append(d...)
	var sent sentFingerprints
	next.Secret = types.StringValue(created.Secret)
	if configured(wo.SecretWO) {
		next.Secret, sent.Secret = types.StringNull(), created.SecretFingerprint
	}
	if configured(wo.AuthTokenWO) && created.AuthTokenFingerprint != nil {
		sent.AuthToken = *created.AuthTokenFingerprint
	}
	*plan = next
	r.s.fromAPI(m, &created.Webhook)
	resp.Diagnostics.Append(setState(ctx, &resp.State, m)...)
	resp.Diagnostics.Append(writeSent(ctx, resp.Private, sent)...)
	setIdentity(ctx, resp.Identity, created.ID, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	r.testOnApply(ctx, plan, &resp.Diagnostics)
}

func (r *webhookResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	m := r.s.newModel()
	resp.Diagnostics.Append(getState(ctx, req.State, m)...)
	sent, d := readSent(ctx, req.Private)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	state := m.common()
	ctx, cancel := withTimeout(ctx, state.Timeouts.Read, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	// Identity first: the framework wants one after every Read that does
	// not fail, a removal included, and state written before identity
	// existed (Terraform < 1.12, an older provider) has none.
	setIdentity(ctx, resp.Identity, state.ID.ValueString(), &resp.Diagnostics)
	api, err := r.data.client.GetWebhook(ctx, state.ID.ValueString())
	if errors.Is(err, client.ErrNotFound) && state.CreatedAt.IsNull() {
		importNotFound(&resp.Diagnostics, "webhook", state.ID.ValueString(), "data.hookd_webhooks lists the webhooks with their ids; so does terraform query (Terraform 1.14 and later).", err)
		return
	}
	if errors.Is(err, client.ErrNotFound) {
		tflog.Warn(ctx, "webhook deleted outside Terraform; removing it from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to read "+r.kind()+" "+state.ID.ValueString(), err)
		return
	}
	if api.Scope != r.s.scope() {
		resp.Diagnostics.AddError("Wrong webhook scope",
			fmt.Sprintf("Webhook %s has scope %q; manage it with hookd_%s_webhook instead of hookd_%s.", api.ID, api.Scope, api.Scope, r.s.typeName()))
		return
	}
	next, drift, d := webhookFromAPI(ctx, api, *state)
	resp.Diagnostics.Append(d...)
	addDriftWarnings(&resp.Diagnostics, api, *state, drift, sent)
	*state = next
	r.s.fromAPI(m, api)
	resp.Diagnostics.Append(setState(ctx, &resp.State, m)...)
}

func (r *webhookResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	pm, sm := r.s.newModel(), r.s.newModel()
	resp.Diagnostics.Append(getPlan(ctx, req.Plan, pm)...)
	resp.Diagnostics.Append(getState(ctx, req.State, sm)...)
	wo, d := readWriteOnly(ctx, req.Config)
	resp.Diagnostics.Append(d...)
	sent, d := readSent(ctx, req.Private)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan, state := pm.common(), sm.common()
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Update, &resp.Diagnostics)
	defer cancel()
	u, d := decideUpdate(ctx, *plan, *state, wo, sent)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	// Write-only values no longer configured are no longer watched.
	if !configured(wo.SecretWO) {
		sent.Secret = ""
	}
	if !configured(wo.AuthTokenWO) {
		sent.AuthToken = ""
	}

	next := *plan
	if u.PatchChanged {
		api, err := r.data.client.UpdateWebhook(ctx, id, u.Patch)
		if err != nil {
			addAPIError(&resp.Diagnostics, "Unable to update "+r.kind()+" "+id, err)
			return
		}
		prior := *plan
		prior.SecretVersion, prior.Secret = state.SecretVersion, state.Secret
		next, _, d = webhookFromAPI(ctx, api, prior)
		resp.Diagnostics.Append(d...)
		r.s.fromAPI(pm, api)
		if u.Sends.AuthToken && api.AuthTokenFingerprint != nil {
			sent.AuthToken = *api.AuthTokenFingerprint
		}
	} else {
		// Only Terraform-side settings changed: the server's values stand.
		next.Secret, next.SecretVersion, next.PreviousSecretExpiresAt = state.Secret, state.SecretVersion, state.PreviousSecretExpiresAt
		next.SecretFingerprint, next.AuthTokenFingerprint = state.SecretFingerprint, state.AuthTokenFingerprint
		next.PreviousSecretFingerprint = state.PreviousSecretFingerprint
		next.Status, next.DisabledReason, next.UpdatedAt = state.Status, state.DisabledReason, state.UpdatedAt
		next.SignatureScheme, next.PublicKey = state.SignatureScheme, state.PublicKey
	}
	if u.rotates() {
		rot, err := r.data.client.RotateSecret(ctx, id, u.rotateRequest(*plan, wo))
		if err != nil {
			// Save what the PATCH changed; the rotation runs again next
			// apply (the trigger or version in state stays the old one).
			next.SecretRotation, next.SecretWOVersion = state.SecretRotation, state.SecretWOVersion
			*plan = next
			resp.Diagnostics.Append(setState(ctx, &resp.State, pm)...)
			resp.Diagnostics.Append(writeSent(ctx, resp.Private, sent)...)
			addAPIError(&resp.Diagnostics, "Unable to rotate the signing secret of "+r.kind()+" "+id, err)
			return
		}
		tflog.Info(ctx, "rotated webhook secret", map[string]any{"id": id, "secret_version": rot.SecretVersion, "supplied": u.Sends.Secret})
		next.Secret = types.StringValue(rot.Secret)
		if u.Sends.Secret {
			next.Secret, sent.Secret = types.StringNull(), rot.SecretFingerprint
		}
		next.SecretVersion = types.Int64Value(rot.SecretVersion)
		next.SecretFingerprint = types.StringValue(rot.SecretFingerprint)
		next.PreviousSecretExpiresAt = timestampPtr(rot.PreviousSecretExpiresAt)
		next.PreviousSecretFingerprint = types.StringPointerValue(rot.PreviousSecretFingerprint)
		next.PublicKey = types.StringPointerValue(rot.PublicKey)
		// The rotation is the last change the server made.
		next.UpdatedAt = timestamp(rot.SecretRotatedAt)
	}
	*plan = next
	resp.Diagnostics.Append(setState(ctx, &resp.State, pm)...)
	resp.Diagnostics.Append(writeSent(ctx, resp.Private, sent)...)
	setIdentity(ctx, resp.Identity, id, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	r.testOnApply(ctx, plan, &resp.Diagnostics)
}

func (r *webhookResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	m := r.s.newModel()
	resp.Diagnostics.Append(getState(ctx, req.State, m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state := m.common()
	ctx, cancel := withTimeout(ctx, state.Timeouts.Delete, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.data.client.DeleteWebhook(ctx, state.ID.ValueString())
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		addAPIError(&resp.Diagnostics, "Unable to delete "+r.kind()+" "+state.ID.ValueString(), err)
	}
}

// kind names the resource in messages: "account webhook", "group webhook".
func (r *webhookResource) kind() string { return strings.ReplaceAll(r.s.typeName(), "_", " ") }

// ImportState takes a webhook id, as the import id or as identity. It
// checks the id's shape first (the rule the server applies, rules.WebhookID),
// so a name or URL given by mistake gets a useful message instead of a 404.
func (r *webhookResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, ok := importID(ctx, req, webhookID,
		"Import takes the webhook's id, not its name or URL: data.hookd_webhooks lists the webhooks with their ids.", &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	setIdentity(ctx, resp.Identity, id, &resp.Diagnostics)
}

// testOnApply sends a test event when test_on_apply is set and fails the
// apply with the receiver's answer if it was not 2xx.
func (r *webhookResource) testOnApply(ctx context.Context, m *webhookModel, diags *diag.Diagnostics) {
	if !m.TestOnApply.ValueBool() {
		return
	}
	res, err := r.data.client.TestWebhook(ctx, m.ID.ValueString(), "")
	if err != nil {
		addAPIError(diags, "Unable to send the test event (test_on_apply)", err)
		return
	}
	msg, failed := testOutcome(m.URL.ValueString(), res, testBody(ctx, r.data.client, res))
	if !failed {
		tflog.Info(ctx, "test delivery succeeded", map[string]any{"id": m.ID.ValueString(), "delivery_id": res.DeliveryID})
		return
	}
	diags.AddAttributeError(path.Root("test_on_apply"), "Test delivery failed",
		msg+" Fix the receiver, or set test_on_apply = false, and apply again.")
}
