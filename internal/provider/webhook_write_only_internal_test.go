package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

func TestPlanWriteOnly(t *testing.T) {
	secret, token := types.StringValue("whsec_x"), types.StringValue("tok")
	fp := func(s string) types.String { return types.StringValue(rules.Fingerprint(s)) }
	state := webhookModel{
		SecretWOVersion: types.Int64Value(1), SecretFingerprint: fp("whsec_x"),
		AuthTokenWOVersion: types.Int64Value(1), AuthTokenFingerprint: fp("tok"), AuthTokenSet: types.BoolValue(true),
	}
	sent := sentFingerprints{Secret: rules.Fingerprint("whsec_x"), AuthToken: rules.Fingerprint("tok")}
	both := writeOnlyConfig{SecretWO: secret, AuthTokenWO: token}
	bump := func(m webhookModel) webhookModel {
		m.SecretWOVersion, m.AuthTokenWOVersion = types.Int64Value(2), types.Int64Value(2)
		return m
	}
	drifted := state
	drifted.SecretFingerprint, drifted.AuthTokenFingerprint = fp("whsec_other"), fp("other")
	removed := state
	removed.AuthTokenSet, removed.AuthTokenFingerprint = types.BoolValue(false), types.StringNull()
	imported := state
	imported.SecretWOVersion, imported.AuthTokenWOVersion = types.Int64Null(), types.Int64Null()

	for name, c := range map[string]struct {
		cfg         writeOnlyConfig
		plan, state webhookModel
		sent        sentFingerprints
		want        writeOnlySends
	}{
		"nothing changed":                 {both, state, state, sent, writeOnlySends{}},
		"versions bumped":                 {both, bump(state), state, sent, writeOnlySends{Secret: true, AuthToken: true}},
		"not configured":                  {writeOnlyConfig{SecretWO: types.StringNull(), AuthTokenWO: types.StringNull()}, bump(state), state, sent, writeOnlySends{}},
		"changed outside Terraform":       {both, drifted, drifted, sent, writeOnlySends{Secret: true, AuthToken: true}},
		"nothing sent yet: no drift":      {both, drifted, drifted, sentFingerprints{}, writeOnlySends{}},
		"token removed outside Terraform": {both, removed, removed, sentFingerprints{}, writeOnlySends{AuthToken: true}},
		"after import":                    {both, state, imported, sentFingerprints{}, writeOnlySends{Secret: true, AuthToken: true}},
		"value not known at plan time":    {writeOnlyConfig{SecretWO: types.StringUnknown(), AuthTokenWO: types.StringNull()}, bump(state), state, sent, writeOnlySends{Secret: true}},
	} {
		if got := planWriteOnly(c.cfg, c.plan, c.state, c.sent); got != c.want {
			t.Errorf("%s: %+v, want %+v", name, got, c.want)
		}
	}
}

func TestWriteOnlyDrift(t *testing.T) {
	fp := rules.Fingerprint("tok")
	api := &client.Webhook{SecretFingerprint: rules.Fingerprint("whsec_x"), AuthTokenFingerprint: &fp}
	same := sentFingerprints{Secret: rules.Fingerprint("whsec_x"), AuthToken: fp}
	if s, tok := writeOnlyDrift(api, same); s || tok {
		t.Errorf("same values: %v %v", s, tok)
	}
	if s, tok := writeOnlyDrift(api, sentFingerprints{}); s || tok {
		t.Errorf("nothing sent: %v %v", s, tok)
	}
	api.SecretFingerprint, api.AuthTokenFingerprint = rules.Fingerprint("whsec_y"), nil
	if s, tok := writeOnlyDrift(api, same); !s || !tok {
		t.Errorf("rotated and token removed: %v %v", s, tok)
	}
}

// Plan and apply decide the update alike; the rotate body carries
// secret_wo with its grace period, or secret_rotation's.
func TestDecideUpdate(t *testing.T) {
	ctx := context.Background()
	events := types.SetValueMust(types.StringType, []attr.Value{types.StringValue("*")})
	state := webhookModel{
		URL: types.StringValue("https://x"), Events: events, Active: types.BoolValue(true), Headers: types.MapNull(types.StringType),
		AuthToken: types.StringNull(), AuthTokenSet: types.BoolValue(true), AuthTokenFingerprint: types.StringValue(rules.Fingerprint("tok")),
		SecretWOVersion: types.Int64Value(1), AuthTokenWOVersion: types.Int64Value(1), SecretRotation: types.ObjectNull(secretRotationAttrTypes),
	}
	wo := writeOnlyConfig{SecretWO: types.StringValue("whsec_new"), AuthTokenWO: types.StringValue("tok2")}
	plan := state
	plan.SecretWOVersion, plan.SecretWOGracePeriod = types.Int64Value(2), types.Int64Value(3)
	u, diags := decideUpdate(ctx, plan, state, wo, sentFingerprints{})
	if diags.HasError() || !u.rotates() || u.Rotate || u.PatchChanged || u.Sends.AuthToken {
		t.Fatalf("%+v %v", u, diags)
	}
	body := u.rotateRequest(plan, wo)
	if body.Secret == nil || *body.Secret != "whsec_new" || body.GracePeriodHours == nil || *body.GracePeriodHours != 3 {
		t.Fatalf("rotate body %+v", body)
	}
	if fp := u.plannedAuthTokenFingerprint(state, state); !fp.Equal(state.AuthTokenFingerprint) {
		t.Errorf("token fingerprint planned %v", fp)
	}

	// A configured write-only token is never removed for lack of auth_token.
	u, _ = decideUpdate(ctx, state, state, wo, sentFingerprints{})
	if u.PatchChanged || u.Patch.AuthToken != nil {
		t.Fatalf("write-only token removed: %+v", u.Patch)
	}
	// A new token version sends it in the PATCH.
	plan = state
	plan.AuthTokenWOVersion = types.Int64Value(2)
	u, _ = decideUpdate(ctx, plan, state, wo, sentFingerprints{})
	if !u.PatchChanged || u.Patch.AuthToken == nil || u.Patch.AuthToken.Value != "tok2" || !u.plannedAuthTokenFingerprint(state, state).IsUnknown() {
		t.Fatalf("token version bump: %+v", u.Patch)
	}
	// Without any token configured it goes.
	none := writeOnlyConfig{SecretWO: types.StringNull(), AuthTokenWO: types.StringNull()}
	u, _ = decideUpdate(ctx, state, state, none, sentFingerprints{})
	if !u.PatchChanged || u.Patch.AuthToken == nil || !u.Patch.AuthToken.Null || !u.plannedAuthTokenFingerprint(state, state).IsNull() {
		t.Fatalf("token removal: %+v", u.Patch)
	}
	// A plain auth_token's fingerprint is known at plan time.
	plan = state
	plan.AuthToken = types.StringValue("plain")
	u, _ = decideUpdate(ctx, plan, state, none, sentFingerprints{})
	if fp := u.plannedAuthTokenFingerprint(plan, state); fp.ValueString() != rules.Fingerprint("plain") {
		t.Fatalf("plain token fingerprint planned %v", fp)
	}
}

// Private state round-trips, and unreadable private state is no error.
func TestSentFingerprintsPrivateState(t *testing.T) {
	ctx := context.Background()
	p := &fakePrivate{m: map[string][]byte{}}
	want := sentFingerprints{Secret: "0123456789abcdef"}
	if d := writeSent(ctx, p, want); d.HasError() {
		t.Fatal(d)
	}
	got, d := readSent(ctx, p)
	if d.HasError() || got != want {
		t.Fatalf("%+v %v", got, d)
	}
	p.m[privateSentKey] = []byte(`"garbage"`)
	if got, d := readSent(ctx, p); d.HasError() || got != (sentFingerprints{}) {
		t.Fatalf("garbage: %+v %v", got, d)
	}
	if got, d := readSent(ctx, nil); d.HasError() || got != (sentFingerprints{}) {
		t.Fatalf("nil: %+v %v", got, d)
	}
}

type fakePrivate struct{ m map[string][]byte }

func (f *fakePrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return f.m[key], nil
}

func (f *fakePrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	f.m[key] = value
	return nil
}

// A secret rotated outside Terraform: the warning says until when the
// secret Terraform held verifies, when it is the previous one, and how to
// have one in state again.
func TestDriftWarningSecretRotated(t *testing.T) {
	expires := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	held := rules.Fingerprint("whsec_held")
	api := &client.Webhook{ID: "wh_aaaaaaaaaaaaaaaaaaaa", SecretVersion: 3, PreviousSecretExpiresAt: &expires, PreviousSecretFingerprint: &held}
	prior := webhookModel{SecretVersion: types.Int64Value(2), Secret: types.StringValue("whsec_held")}
	var diags diag.Diagnostics
	addDriftWarnings(&diags, api, prior, webhookDrift{SecretRotated: true}, sentFingerprints{})
	want := "Webhook wh_aaaaaaaaaaaaaaaaaaaa is at secret_version 3, but Terraform holds the secret of version 2. The secret in state is now null, since the API never returns it. " +
		"The secret Terraform held keeps verifying until 2026-12-03T10:00:00Z (previous_secret_expires_at). " +
		"To have a secret in state again, set secret_rotation.trigger (or change it, if it is set): the next apply rotates and stores the new secret. " +
		"Or manage the secret with secret_wo instead, which is never kept in state."
	if len(diags) != 1 || diags[0].Summary() != "Signing secret rotated outside Terraform" || diags[0].Detail() != want {
		t.Errorf("diagnostics %v\nwant one warning: %s", diags, want)
	}
	// Rotated twice: the previous secret is not Terraform's.
	other := rules.Fingerprint("whsec_between")
	api.SecretVersion, api.PreviousSecretFingerprint = 4, &other
	diags = nil
	addDriftWarnings(&diags, api, prior, webhookDrift{SecretRotated: true}, sentFingerprints{})
	if len(diags) != 1 || strings.Contains(diags[0].Detail(), "keeps verifying") {
		t.Errorf("rotated twice: %v", diags)
	}
	api.PreviousSecretExpiresAt, api.PreviousSecretFingerprint = nil, nil // rotated with no grace period
	diags = nil
	addDriftWarnings(&diags, api, prior, webhookDrift{SecretRotated: true}, sentFingerprints{})
	if len(diags) != 1 || strings.Contains(diags[0].Detail(), "keeps verifying") {
		t.Errorf("no grace period: %v", diags)
	}
}

// A webhook hookd auto-disabled: every refresh says so, and how to
// re-enable it (reenableHow, as the status attribute's description); an
// active one, or one its owner made inactive, gets no such warning.
func TestDriftWarningAutoDisabled(t *testing.T) {
	reason := "the endpoint answered 410 Gone"
	api := &client.Webhook{ID: "wh_aaaaaaaaaaaaaaaaaaaa", Active: true, Status: webhookAutoDisabled, DisabledReason: &reason}
	var diags diag.Diagnostics
	addDriftWarnings(&diags, api, webhookModel{}, webhookDrift{}, sentFingerprints{})
	want := "Webhook wh_aaaaaaaaaaaaaaaaaaaa gets no deliveries, retries or replays: hookd disabled it (the endpoint answered 410 Gone). " + reenableHow
	if len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning || diags[0].Summary() != "Webhook auto-disabled by hookd" || diags[0].Detail() != want ||
		!strings.Contains(want, "hookd_webhook_recover") {
		t.Errorf("diagnostics %v\nwant one warning: %s", diags, want)
	}
	api.Active = false
	diags = nil
	if addDriftWarnings(&diags, api, webhookModel{}, webhookDrift{}, sentFingerprints{}); len(diags) != 0 {
		t.Errorf("an inactive webhook: %v", diags)
	}
	api.Active, api.Status, api.DisabledReason = true, "active", nil
	diags = nil
	if addDriftWarnings(&diags, api, webhookModel{}, webhookDrift{}, sentFingerprints{}); len(diags) != 0 {
		t.Errorf("an active webhook: %v", diags)
	}
}

// A plan that drops the token the server has warns; one that keeps or
// sends a token, or a webhook with none, does not.
func TestTokenRemoval(t *testing.T) {
	state := webhookModel{ID: types.StringValue("wh_aaaaaaaaaaaaaaaaaaaa"), AuthTokenSet: types.BoolValue(true)}
	summary, detail, ok := tokenRemoval(state, webhookModel{AuthTokenSet: types.BoolValue(false)})
	if !ok || summary != "Auth token removed by this plan" ||
		!strings.HasPrefix(detail, "Webhook wh_aaaaaaaaaaaaaaaaaaaa sends an auth token, and the configuration sets neither auth_token nor auth_token_wo") ||
		!strings.HasSuffix(detail, "set auth_token or auth_token_wo and auth_token_wo_version before applying.") {
		t.Errorf("removal: %v %q %q", ok, summary, detail)
	}
	for name, tc := range map[string]struct{ state, plan types.Bool }{
		"kept":           {types.BoolValue(true), types.BoolValue(true)},
		"not known yet":  {types.BoolValue(true), types.BoolUnknown()},
		"none to begin":  {types.BoolValue(false), types.BoolValue(false)},
		"imported, null": {types.BoolNull(), types.BoolValue(false)},
	} {
		state.AuthTokenSet = tc.state
		if _, _, ok := tokenRemoval(state, webhookModel{AuthTokenSet: tc.plan}); ok {
			t.Errorf("%s: a warning", name)
		}
	}
}
