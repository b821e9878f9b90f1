package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

func apiWebhook() *client.Webhook {
	name := "audit"
	tokenFingerprint := rules.Fingerprint("tok")
	at := time.Date(2026, 11, 24, 12, 0, 0, 123000, time.UTC)
	return &client.Webhook{
		ID: "wh_1", Scope: client.ScopeAccount, Name: &name, URL: "https://example.com/h",
		Events: []string{"transfer.*", "workspace.created"}, Active: true, Status: "active",
		Headers: map[string]string{"X-Team": "a"}, AuthTokenSet: true, SecretVersion: 2,
		SecretFingerprint: "0123456789abcdef", AuthTokenFingerprint: &tokenFingerprint,
		SignatureScheme: client.SchemeV1a, PublicKey: new("whpk_key"),
		CreatedAt: at, UpdatedAt: at,
	}
}

func TestWebhookFromAPI(t *testing.T) {
	ctx := context.Background()
	prior := webhookModel{
		Secret: types.StringValue("whsec_kept"), SecretVersion: types.Int64Value(2),
		AuthToken: types.StringValue("tok"), TestOnApply: types.BoolValue(true),
		Headers: types.MapNull(types.StringType),
	}
	m, drift, diags := webhookFromAPI(ctx, apiWebhook(), prior)
	if diags.HasError() || drift != (webhookDrift{}) {
		t.Fatalf("diags %v drift %+v", diags, drift)
	}
	checks := map[string][2]attr.Value{
		"id":          {m.ID, types.StringValue("wh_1")},
		"scope":       {m.Scope, types.StringValue("account")},
		"name":        {m.Name, types.StringValue("audit")},
		"description": {m.Description, types.StringNull()},
		"secret":      {m.Secret, types.StringValue("whsec_kept")},
		"auth_token":  {m.AuthToken, types.StringValue("tok")},
		"token_set":   {m.AuthTokenSet, types.BoolValue(true)},
		"test":        {m.TestOnApply, types.BoolValue(true)},
		"created_at":  {m.CreatedAt, types.StringValue("2026-11-24T12:00:00.000123Z")},
		"previous":    {m.PreviousSecretExpiresAt, types.StringNull()},
		"previous_fp": {m.PreviousSecretFingerprint, types.StringNull()},
		"reason":      {m.DisabledReason, types.StringNull()},
		"secret_fp":   {m.SecretFingerprint, types.StringValue("0123456789abcdef")},
		"token_fp":    {m.AuthTokenFingerprint, types.StringValue(rules.Fingerprint("tok"))},
		"scheme":      {m.SignatureScheme, types.StringValue("v1a")},
		"public_key":  {m.PublicKey, types.StringValue("whpk_key")},
		"headers": {m.Headers, types.MapValueMust(types.StringType, map[string]attr.Value{
			"X-Team": types.StringValue("a"),
		})},
		"events": {m.Events, types.SetValueMust(types.StringType, []attr.Value{
			types.StringValue("workspace.created"), types.StringValue("transfer.*"),
		})},
	}
	for name, c := range checks {
		if !c[0].Equal(c[1]) {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
}

// During a grace window the previous secret's fingerprint is the API's;
// once the window ends the API reports none, and neither does the model,
// whatever the prior held: it is never carried over.
func TestWebhookFromAPIPreviousSecretFingerprint(t *testing.T) {
	ctx := context.Background()
	api := apiWebhook()
	expires := api.UpdatedAt.Add(24 * time.Hour)
	api.PreviousSecretExpiresAt, api.PreviousSecretFingerprint = &expires, new("fedcba9876543210")
	m, _, _ := webhookFromAPI(ctx, api, webhookModel{PreviousSecretFingerprint: types.StringUnknown(), Headers: types.MapNull(types.StringType)})
	if want := types.StringValue("fedcba9876543210"); !m.PreviousSecretFingerprint.Equal(want) {
		t.Errorf("in the grace window: previous_secret_fingerprint = %v, want %v", m.PreviousSecretFingerprint, want)
	}
	if want := types.StringValue("2026-11-25T12:00:00.000123Z"); !m.PreviousSecretExpiresAt.Equal(want) {
		t.Errorf("in the grace window: previous_secret_expires_at = %v, want %v", m.PreviousSecretExpiresAt, want)
	}
	m, _, _ = webhookFromAPI(ctx, apiWebhook(), m)
	if !m.PreviousSecretFingerprint.IsNull() || !m.PreviousSecretExpiresAt.IsNull() {
		t.Errorf("after the grace window: previous_secret_fingerprint = %v, expires at %v, want null", m.PreviousSecretFingerprint, m.PreviousSecretExpiresAt)
	}
}

// A version other than the one in state means a rotation outside
// Terraform: the secret cannot be known any more. A token removed outside
// Terraform shows as null.
func TestWebhookFromAPIReconciles(t *testing.T) {
	ctx := context.Background()
	api := apiWebhook()
	api.SecretVersion, api.AuthTokenSet = 3, false
	prior := webhookModel{Secret: types.StringValue("whsec_old"), SecretVersion: types.Int64Value(2), AuthToken: types.StringValue("tok")}
	m, drift, _ := webhookFromAPI(ctx, api, prior)
	if !drift.SecretRotated || !m.Secret.IsNull() || m.SecretVersion.ValueInt64() != 3 || !m.AuthToken.IsNull() || m.AuthTokenSet.ValueBool() {
		t.Fatalf("drift %+v secret %v version %v token %v token set %v", drift, m.Secret, m.SecretVersion, m.AuthToken, m.AuthTokenSet)
	}
	// After import nothing is known: no warning, secret stays null.
	m, drift, _ = webhookFromAPI(ctx, api, webhookModel{SecretVersion: types.Int64Null(), Secret: types.StringNull()})
	if drift.SecretRotated || !m.Secret.IsNull() {
		t.Fatalf("import: drift %+v secret %v", drift, m.Secret)
	}
	// With secret_wo there is no secret in state to warn about.
	m, drift, _ = webhookFromAPI(ctx, api, webhookModel{SecretVersion: types.Int64Value(2), Secret: types.StringNull()})
	if drift.SecretRotated || !m.Secret.IsNull() || m.SecretVersion.ValueInt64() != 3 {
		t.Fatalf("secret_wo: drift %+v secret %v", drift, m.Secret)
	}
}

// A token replaced outside Terraform shows by its fingerprint: auth_token
// becomes null, so the plan sends the configured one again.
func TestWebhookFromAPIReplacedToken(t *testing.T) {
	ctx := context.Background()
	api := apiWebhook()
	other := rules.Fingerprint("other")
	api.AuthTokenFingerprint = &other
	m, drift, _ := webhookFromAPI(ctx, api, webhookModel{AuthToken: types.StringValue("tok"), Headers: types.MapNull(types.StringType)})
	if !drift.AuthTokenReplaced || !m.AuthToken.IsNull() || !m.AuthTokenSet.ValueBool() || m.AuthTokenFingerprint.ValueString() != other {
		t.Fatalf("drift %+v token %v set %v fingerprint %v", drift, m.AuthToken, m.AuthTokenSet, m.AuthTokenFingerprint)
	}
	// The same token: nothing to say.
	m, drift, _ = webhookFromAPI(ctx, apiWebhook(), webhookModel{AuthToken: types.StringValue("tok"), Headers: types.MapNull(types.StringType)})
	if drift.AuthTokenReplaced || m.AuthToken.ValueString() != "tok" {
		t.Fatalf("same token: drift %+v token %v", drift, m.AuthToken)
	}
}

func TestHeadersFromAPIKeepsEmptyness(t *testing.T) {
	ctx := context.Background()
	if m, _ := headersFromAPI(ctx, nil, types.MapNull(types.StringType)); !m.IsNull() {
		t.Errorf("null config: %v", m)
	}
	empty := types.MapValueMust(types.StringType, map[string]attr.Value{})
	if m, _ := headersFromAPI(ctx, map[string]string{}, empty); m.IsNull() || len(m.Elements()) != 0 {
		t.Errorf("{} config: %v", m)
	}
}

func TestHeadersPatch(t *testing.T) {
	got := headersPatch(
		map[string]string{"X-Team": "a", "X-Gone": "1", "X-Same": "s"},
		map[string]string{"x-team": "a", "X-Same": "s", "X-New": "n"},
	)
	if len(got) != 3 || got["x-team"] == nil || *got["x-team"] != "a" || got["X-New"] == nil || got["X-Gone"] != nil {
		t.Fatalf("patch %v", got)
	}
	if _, ok := got["X-Gone"]; !ok {
		t.Error("a removed header is not removed")
	}
	if _, ok := got["X-Team"]; ok {
		t.Error("a header whose case changed is removed as well as set")
	}
	if p := headersPatch(map[string]string{"A": "1"}, map[string]string{"A": "1"}); len(p) != 0 {
		t.Errorf("no change gave %v", p)
	}
}

func TestUpdateRequest(t *testing.T) {
	ctx := context.Background()
	events := types.SetValueMust(types.StringType, []attr.Value{types.StringValue("*")})
	state := webhookModel{
		Name: types.StringValue("a"), Description: types.StringValue("d"), URL: types.StringValue("https://x/1"),
		Events: events, Active: types.BoolValue(true), Headers: types.MapNull(types.StringType),
		AuthToken: types.StringValue("t"),
	}
	if _, changed, _ := updateRequest(ctx, state, state, writeOnlyConfig{}, writeOnlySends{}); changed {
		t.Fatal("no change reported as a change")
	}
	plan := state
	plan.Name, plan.Description, plan.AuthToken = types.StringValue("b"), types.StringNull(), types.StringNull()
	plan.Active = types.BoolValue(false)
	req, changed, diags := updateRequest(ctx, plan, state, writeOnlyConfig{}, writeOnlySends{})
	if diags.HasError() || !changed {
		t.Fatal(diags)
	}
	if req.Name == nil || req.Name.Value != "b" || req.Description == nil || !req.Description.Null ||
		req.AuthToken == nil || !req.AuthToken.Null || req.Active == nil || *req.Active || req.URL != nil || req.Events != nil {
		t.Fatalf("patch %+v", req)
	}
}

// A token the server has but state does not know (imported, or set outside
// Terraform) is removed when the configuration has none, and left alone
// when the server has none either.
func TestUpdateRequestUnknownToken(t *testing.T) {
	ctx := context.Background()
	state := webhookModel{
		URL: types.StringValue("https://x/1"), Events: types.SetValueMust(types.StringType, []attr.Value{types.StringValue("*")}),
		Headers: types.MapNull(types.StringType), AuthToken: types.StringNull(), AuthTokenSet: types.BoolValue(true),
	}
	plan := state
	plan.AuthTokenSet = types.BoolValue(false)
	req, changed, _ := updateRequest(ctx, plan, state, writeOnlyConfig{}, writeOnlySends{})
	if !changed || req.AuthToken == nil || !req.AuthToken.Null {
		t.Fatalf("changed %v patch %+v, want auth_token: null", changed, req)
	}
	state.AuthTokenSet = types.BoolValue(false)
	if req, changed, _ := updateRequest(ctx, state, state, writeOnlyConfig{}, writeOnlySends{}); changed || req.AuthToken != nil {
		t.Fatalf("changed %v patch %+v, want no change", changed, req)
	}
}

// Any PATCH carries the configured token, so that a stale plan (saved
// before the token was removed outside Terraform) still converges; a PATCH
// is not made for it alone.
func TestUpdateRequestCarriesToken(t *testing.T) {
	ctx := context.Background()
	state := webhookModel{
		Name: types.StringValue("a"), URL: types.StringValue("https://x/1"),
		Events:  types.SetValueMust(types.StringType, []attr.Value{types.StringValue("*")}),
		Headers: types.MapNull(types.StringType), AuthToken: types.StringValue("tok"), AuthTokenSet: types.BoolValue(true),
	}
	if req, changed, _ := updateRequest(ctx, state, state, writeOnlyConfig{}, writeOnlySends{}); changed || req.AuthToken != nil {
		t.Fatalf("changed %v patch %+v, want no change", changed, req)
	}
	plan := state
	plan.Name = types.StringValue("b")
	req, changed, _ := updateRequest(ctx, plan, state, writeOnlyConfig{}, writeOnlySends{})
	if !changed || req.AuthToken == nil || req.AuthToken.Null || req.AuthToken.Value != "tok" {
		t.Fatalf("changed %v patch %+v, want the name and auth_token tok", changed, req)
	}
}

// The scheme is sent when it changes, and only when known.
func TestUpdateRequestScheme(t *testing.T) {
	ctx := context.Background()
	state := webhookModel{
		URL: types.StringValue("https://x/1"), Events: types.SetValueMust(types.StringType, []attr.Value{types.StringValue("*")}),
		Headers: types.MapNull(types.StringType), AuthToken: types.StringNull(), SignatureScheme: types.StringValue("v1"),
	}
	plan := state
	plan.SignatureScheme = types.StringValue("v1a")
	req, changed, _ := updateRequest(ctx, plan, state, writeOnlyConfig{}, writeOnlySends{})
	if !changed || req.SignatureScheme == nil || *req.SignatureScheme != "v1a" {
		t.Fatalf("changed %v patch %+v, want signature_scheme v1a", changed, req)
	}
	plan.SignatureScheme = types.StringUnknown()
	if req, changed, _ := updateRequest(ctx, plan, state, writeOnlyConfig{}, writeOnlySends{}); changed || req.SignatureScheme != nil {
		t.Fatalf("changed %v patch %+v for an unknown scheme", changed, req)
	}
}

func TestCreateRequest(t *testing.T) {
	ctx := context.Background()
	m := webhookModel{
		Name: types.StringNull(), Description: types.StringValue("d"), URL: types.StringValue("https://x"),
		Events: types.SetValueMust(types.StringType, []attr.Value{types.StringValue("a.b")}),
		Active: types.BoolValue(true), Headers: types.MapValueMust(types.StringType, map[string]attr.Value{"H": types.StringValue("v")}),
		AuthToken: types.StringNull(), SignatureScheme: types.StringValue("v1a"),
	}
	req, diags := m.createRequest(ctx, writeOnlyConfig{})
	if diags.HasError() || req.Name != nil || *req.Description != "d" || req.URL != "https://x" || len(req.Events) != 1 ||
		!*req.Active || req.Headers["H"] != "v" || req.AuthToken != nil || req.SignatureScheme == nil || *req.SignatureScheme != "v1a" {
		t.Fatalf("%+v %v", req, diags)
	}
}

func TestRotationRequested(t *testing.T) {
	ctx := context.Background()
	rot := func(trigger string) types.Object {
		if trigger == "" {
			return types.ObjectNull(secretRotationAttrTypes)
		}
		return types.ObjectValueMust(secretRotationAttrTypes, map[string]attr.Value{
			"trigger": types.StringValue(trigger), "grace_period_hours": types.Int64Value(24),
		})
	}
	for _, c := range []struct {
		state, plan string
		want        bool
	}{
		{"", "", false}, {"", "1", true}, {"1", "1", false}, {"1", "2", true}, {"1", "", false}, {"1", "?", true},
	} {
		plan := rot(c.plan)
		if c.plan == "?" {
			plan = types.ObjectValueMust(secretRotationAttrTypes, map[string]attr.Value{
				"trigger": types.StringUnknown(), "grace_period_hours": types.Int64Value(24),
			})
		}
		got, _, diags := rotationRequested(ctx, webhookModel{SecretRotation: plan}, webhookModel{SecretRotation: rot(c.state)})
		if diags.HasError() || got != c.want {
			t.Errorf("state %q plan %q: %v %v", c.state, c.plan, got, diags)
		}
	}
}

func TestPointerPath(t *testing.T) {
	for ptr, want := range map[string]string{"/url": "url", "/events/0": "events", "/headers/X-A~1b": `headers["X-A/b"]`, "#/status": "status"} {
		p, ok := pointerPath(ptr)
		if !ok || p.String() != want {
			t.Errorf("%s: %v %v, want %s", ptr, p, ok, want)
		}
	}
	if _, ok := pointerPath(""); ok {
		t.Error("empty pointer maps to an attribute")
	}
}

func TestProviderSettings(t *testing.T) {
	env := map[string]string{EnvEndpoint: "http://env:1", EnvAPIKey: "env-key"}
	getenv := func(k string) string { return env[k] }
	s := providerSettings(providerModel{Endpoint: types.StringNull(), APIKey: types.StringNull(), MaxRetries: types.Int64Null(), RequestTimeout: types.StringNull()}, getenv)
	if s.endpoint != "http://env:1" || s.apiKey != "env-key" || s.maxRetries != defaultMaxRetries || s.timeout != 30*time.Second {
		t.Errorf("from env: %+v", s)
	}
	s = providerSettings(providerModel{Endpoint: types.StringValue("http://cfg:2"), APIKey: types.StringValue("cfg-key"), MaxRetries: types.Int64Value(0), RequestTimeout: types.StringValue("2m")}, getenv)
	if s.endpoint != "http://cfg:2" || s.apiKey != "cfg-key" || s.maxRetries != 0 || s.timeout != 2*time.Minute {
		t.Errorf("from config: %+v", s)
	}
	s = providerSettings(providerModel{Endpoint: types.StringNull(), APIKey: types.StringNull(), MaxRetries: types.Int64Null(), RequestTimeout: types.StringNull()}, func(string) string { return "" })
	if s.endpoint != defaultEndpoint || s.apiKey != "" {
		t.Errorf("defaults: %+v", s)
	}
	if ua := userAgent("1.2.3", "1.11.4"); ua != "terraform-provider-hookd/1.2.3 Terraform/1.11.4" {
		t.Errorf("user agent %q", ua)
	}
}
