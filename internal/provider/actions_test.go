package provider_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/provider"
)

// Through the provider server, as Terraform talks to it: the five actions
// are in the schema, a malformed id fails validation, and an action invoked
// on an unconfigured provider fails with a diagnostic instead of a panic.
func TestActions_protocol(t *testing.T) {
	ctx := context.Background()
	ps := provider.Server("test")()
	actions, ok := ps.(tfprotov6.ActionServer)
	if !ok {
		t.Fatalf("%T serves no actions", ps)
	}
	schema, err := ps.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schema.Diagnostics) > 0 {
		t.Fatalf("%v %v", err, schema.Diagnostics)
	}
	for _, name := range []string{"hookd_webhook_test", "hookd_webhook_rotate_secret", "hookd_delivery_retry", "hookd_delivery_replay", "hookd_webhook_recover"} {
		if _, ok := schema.ActionSchemas[name]; !ok {
			t.Errorf("no action %s in the provider schema", name)
		}
	}

	objType := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"delivery_id": tftypes.String}}
	config, err := tfprotov6.NewDynamicValue(objType, tftypes.NewValue(objType, map[string]tftypes.Value{
		"delivery_id": tftypes.NewValue(tftypes.String, "wh_0123456789abcdefghij"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	v, err := actions.ValidateActionConfig(ctx, &tfprotov6.ValidateActionConfigRequest{ActionType: "hookd_delivery_retry", Config: &config})
	if err != nil || len(v.Diagnostics) != 1 || !strings.Contains(v.Diagnostics[0].Detail, `delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "wh_0123456789abcdefghij"`) {
		t.Fatalf("validate: %v %+v", err, v)
	}

	good, _ := tfprotov6.NewDynamicValue(objType, tftypes.NewValue(objType, map[string]tftypes.Value{
		"delivery_id": tftypes.NewValue(tftypes.String, "dlv_0123456789abcdefghij"),
	}))
	stream, err := actions.InvokeAction(ctx, &tfprotov6.InvokeActionRequest{ActionType: "hookd_delivery_retry", Config: &good})
	if err != nil {
		t.Fatal(err)
	}
	var diags []*tfprotov6.Diagnostic
	for ev := range stream.Events {
		if done, ok := ev.Type.(tfprotov6.CompletedInvokeActionEventType); ok {
			diags = done.Diagnostics
		}
	}
	if len(diags) != 1 || diags[0].Summary != "Provider not configured" {
		t.Fatalf("invoke without configure: %+v", diags)
	}
}

// protocolServer is the provider as the framework's own tests serve it
// (providerserver.NewProtocol6WithError), with its schema read first, as
// Terraform does.
func protocolServer(t *testing.T) (tfprotov6.ProviderServer, tfprotov6.ActionServer, *tfprotov6.GetProviderSchemaResponse) {
	t.Helper()
	ps, err := providerserver.NewProtocol6WithError(provider.New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	actions, ok := ps.(tfprotov6.ActionServer)
	if !ok {
		t.Fatalf("%T serves no actions", ps)
	}
	schema, err := ps.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schema.Diagnostics) > 0 {
		t.Fatalf("%v %v", err, schema.Diagnostics)
	}
	return ps, actions, schema
}

// objectValue is an object of schema s holding values, every other
// attribute null, as Terraform sends a configuration.
func objectValue(t *testing.T, s *tfprotov6.Schema, values map[string]tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	typ, ok := s.ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("schema of type %s", s.ValueType())
	}
	all := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		all[name] = tftypes.NewValue(at, nil)
	}
	for name, v := range values {
		if _, ok := all[name]; !ok {
			t.Fatalf("no attribute %s in the schema", name)
		}
		all[name] = v
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, all))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func str(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

// Every action checks its configuration before anything runs: a valid one
// passes, and each bad value gets exactly one error, on its attribute, that
// says what is wrong and what would be right. Planning it (PlanAction)
// checks the same again, with the same diagnostic: Terraform validates an
// action before variables are known and never again, and a value from a
// variable reaches the provider first at plan.
func TestActions_validateConfig(t *testing.T) {
	_, actions, schema := protocolServer(t)
	const (
		webhook  = "wh_0123456789abcdefghij"
		delivery = "dlv_0123456789abcdefghij"
		since    = "2026-11-30T03:00:00Z"
	)
	for _, tc := range []struct {
		name   string
		action string
		good   map[string]tftypes.Value
		bad    map[string]tftypes.Value
		// attribute, summary and detail of the one diagnostic.
		attribute, summary, detail string
	}{
		{
			name:      "webhook_test/webhook_id_of_a_group",
			action:    "hookd_webhook_test",
			good:      map[string]tftypes.Value{"webhook_id": str(webhook)},
			bad:       map[string]tftypes.Value{"webhook_id": str("grp_0123456789abcdefghij")},
			attribute: "webhook_id", summary: "Invalid webhook id",
			detail: `webhook_id must be a webhook id such as wh_0123456789abcdefghij, got "grp_0123456789abcdefghij".`,
		},
		{
			name:      "rotate_secret/grace_period_over_a_week",
			action:    "hookd_webhook_rotate_secret",
			good:      map[string]tftypes.Value{"webhook_id": str(webhook), "grace_period_hours": tftypes.NewValue(tftypes.Number, 168)},
			bad:       map[string]tftypes.Value{"webhook_id": str(webhook), "grace_period_hours": tftypes.NewValue(tftypes.Number, 500)},
			attribute: "grace_period_hours", summary: "Invalid grace_period_hours",
			detail: "grace_period_hours must be from 0 to 168 hours, got 500; 0 stops the previous secret verifying at once; leave it out for the default, 24.",
		},
		{
			name:      "delivery_retry/webhook_id_as_delivery_id",
			action:    "hookd_delivery_retry",
			good:      map[string]tftypes.Value{"delivery_id": str(delivery)},
			bad:       map[string]tftypes.Value{"delivery_id": str(webhook)},
			attribute: "delivery_id", summary: "Invalid delivery id",
			detail: `delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "wh_0123456789abcdefghij".`,
		},
		{
			name:      "delivery_replay/event_id_as_delivery_id",
			action:    "hookd_delivery_replay",
			good:      map[string]tftypes.Value{"delivery_id": str(delivery)},
			bad:       map[string]tftypes.Value{"delivery_id": str("evt_0123456789abcdefghij")},
			attribute: "delivery_id", summary: "Invalid delivery id",
			detail: `delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "evt_0123456789abcdefghij".`,
		},
		{
			name:      "recover/until_before_since",
			action:    "hookd_webhook_recover",
			good:      map[string]tftypes.Value{"webhook_id": str(webhook), "since": str(since), "until": str("2026-11-30T04:00:00Z"), "status": str("canceled")},
			bad:       map[string]tftypes.Value{"webhook_id": str(webhook), "since": str(since), "until": str("2026-11-30T02:00:00Z")},
			attribute: "until", summary: "Empty time range",
			detail: "until (2026-11-30T02:00:00Z) must be after since (2026-11-30T03:00:00Z).",
		},
		{
			name:      "recover/until_not_a_time",
			action:    "hookd_webhook_recover",
			good:      map[string]tftypes.Value{"webhook_id": str(webhook), "since": str("2026-11-30T03:00:00.5+02:00")},
			bad:       map[string]tftypes.Value{"webhook_id": str(webhook), "since": str(since), "until": str("yesterday")},
			attribute: "until", summary: "Invalid RFC 3339 time",
			detail: `until: "yesterday" is not an RFC 3339 time: write a date, a time and a zone, such as 2026-01-02T15:04:05Z or 2026-01-02T17:04:05+02:00 (timeadd(timestamp(), "-24h") gives one).`,
		},
		{
			name:      "recover/status_not_replayable",
			action:    "hookd_webhook_recover",
			good:      map[string]tftypes.Value{"webhook_id": str(webhook), "since": str(since), "status": str("succeeded")},
			bad:       map[string]tftypes.Value{"webhook_id": str(webhook), "since": str(since), "status": str("retrying")},
			attribute: "status", summary: "Invalid status",
			detail: `status must be one of "dead_lettered", "succeeded" or "canceled", got "retrying"; leave it out to replay the "dead_lettered" ones; hookd_delivery_retry retries a "retrying" delivery now.`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := schema.ActionSchemas[tc.action]
			if !ok {
				t.Fatalf("no action %s in the provider schema", tc.action)
			}
			validate := func(values map[string]tftypes.Value) []*tfprotov6.Diagnostic {
				resp, err := actions.ValidateActionConfig(context.Background(), &tfprotov6.ValidateActionConfigRequest{
					ActionType: tc.action, Config: objectValue(t, s.Schema, values),
				})
				if err != nil {
					t.Fatal(err)
				}
				return resp.Diagnostics
			}
			plan := func(values map[string]tftypes.Value) []*tfprotov6.Diagnostic {
				resp, err := actions.PlanAction(context.Background(), &tfprotov6.PlanActionRequest{
					ActionType: tc.action, Config: objectValue(t, s.Schema, values),
				})
				if err != nil {
					t.Fatal(err)
				}
				return resp.Diagnostics
			}
			for _, step := range []struct {
				name  string
				check func(map[string]tftypes.Value) []*tfprotov6.Diagnostic
			}{{"validate", validate}, {"plan", plan}} {
				if diags := step.check(tc.good); len(diags) > 0 {
					t.Errorf("%s: a valid configuration: %s", step.name, diagnosticsText(diags))
				}
				diags := step.check(tc.bad)
				if len(diags) != 1 {
					t.Errorf("%s: %d diagnostics, want 1: %s", step.name, len(diags), diagnosticsText(diags))
					continue
				}
				d := diags[0]
				want := tftypes.NewAttributePath().WithAttributeName(tc.attribute)
				if d.Severity != tfprotov6.DiagnosticSeverityError || d.Summary != tc.summary || d.Detail != tc.detail || !want.Equal(d.Attribute) {
					t.Errorf("%s: got %s\nwant error at %s: %s: %s", step.name, diagnosticsText(diags), want, tc.summary, tc.detail)
				}
			}
		})
	}
}

// diagnosticsText tells diagnostics for a test failure.
func diagnosticsText(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "\n  %s at %v: %s: %s", d.Severity, d.Attribute, d.Summary, d.Detail)
	}
	return b.String()
}

// hookd_webhook_recover invoked through the provider server, configured
// against an in-process hookd, as Terraform would after a plan: it streams
// its progress (what it lists, how many, then N of M with each replay's id,
// oldest first) and completes without a diagnostic; each dead-lettered
// delivery then has a replay, delivered.
func TestActions_invokeRecoverProgress(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Now())
	f := newActionFixture(t, hookdtest.WithClock(clock))
	env, c := f.env, f.env.Client

	// The receiver is gone (410): each event is dead-lettered at once and
	// the webhook auto-disabled; it is re-enabled, as an operator would.
	rcv := acctest.NewReceiver(t, http.StatusGone)
	wh, err := c.CreateAccountWebhook(ctx, client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"transfer.created"}})
	if err != nil {
		t.Fatal(err)
	}
	rcv.Trust(wh.Secret)
	rcv.VerifyWhenDone(t)
	since := clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	var dead []string
	for range 2 {
		clock.Advance(time.Second) // one created_at each: the order is known
		publish(t, env)
		d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "dead_lettered" && !slices.Contains(dead, d.ID) })
		dead = append(dead, d.ID)
		active := "active"
		if _, err := c.UpdateWebhook(ctx, wh.ID, client.UpdateWebhookRequest{Status: &active}); err != nil {
			t.Fatal(err)
		}
	}
	rcv.SetStatus(http.StatusOK)

	progress, diags := f.invoke(t, "hookd_webhook_recover", map[string]tftypes.Value{"webhook_id": str(wh.ID), "since": str(since)})
	if len(diags) > 0 {
		t.Errorf("the action completed with diagnostics:%s", diagnosticsText(diags))
	}

	// The server: a replay of each dead letter, delivered.
	replays := make([]client.Delivery, len(dead))
	for i, id := range dead {
		replays[i] = waitDelivery(t, env, wh.ID, func(d client.Delivery) bool {
			return d.ReplayOf != nil && *d.ReplayOf == id && d.Status == "succeeded"
		})
	}
	what := "dead_lettered deliveries since " + since + " of webhook " + wh.ID
	want := []string{
		"Listing the " + what,
		"Replaying 2 " + what,
		fmt.Sprintf("1 of 2 replayed: %s as %s", dead[0], replays[0].ID),
		fmt.Sprintf("2 of 2 replayed: %s as %s", dead[1], replays[1].ID),
	}
	if !slices.Equal(progress, want) {
		t.Errorf("progress events:\n  %s\nwant:\n  %s", strings.Join(progress, "\n  "), strings.Join(want, "\n  "))
	}

	// One more dead letter, recovered alone: one delivery, said so.
	rcv.SetStatus(http.StatusGone)
	clock.Advance(time.Second)
	publish(t, env)
	third := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "dead_lettered" && !slices.Contains(dead, d.ID) })
	active := "active"
	if _, err := c.UpdateWebhook(ctx, wh.ID, client.UpdateWebhookRequest{Status: &active}); err != nil {
		t.Fatal(err)
	}
	rcv.SetStatus(http.StatusOK)
	progress, diags = f.invoke(t, "hookd_webhook_recover", map[string]tftypes.Value{"webhook_id": str(wh.ID), "since": str(since)})
	if len(diags) > 0 {
		t.Errorf("the action completed with diagnostics:%s", diagnosticsText(diags))
	}
	replay := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.ReplayOf != nil && *d.ReplayOf == third.ID })
	want = []string{
		"Listing the " + what,
		"Replaying 1 dead_lettered delivery since " + since + " of webhook " + wh.ID,
		fmt.Sprintf("1 of 1 replayed: %s as %s", third.ID, replay.ID),
	}
	if !slices.Equal(progress, want) {
		t.Errorf("progress events, one delivery:\n  %s\nwant:\n  %s", strings.Join(progress, "\n  "), strings.Join(want, "\n  "))
	}
}

// actionFixture is an in-process hookd and the provider server configured
// against it, as Terraform configures it before invoking an action.
type actionFixture struct {
	env     *acctest.Env
	actions tfprotov6.ActionServer
	schema  *tfprotov6.GetProviderSchemaResponse
}

func newActionFixture(t *testing.T, opts ...hookdtest.Option) *actionFixture {
	t.Helper()
	hookd := hookdtest.Start(t, opts...)
	t.Cleanup(client.CloseIdleConnections)
	c, err := client.New(hookd.URL, hookd.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	ps, actions, schema := protocolServer(t)
	configured, err := ps.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{
		TerraformVersion: "1.16.4",
		Config: objectValue(t, schema.Provider, map[string]tftypes.Value{
			"endpoint": str(hookd.URL), "api_key": str(hookd.APIKey), "max_retries": tftypes.NewValue(tftypes.Number, 1),
		}),
	})
	if err != nil || len(configured.Diagnostics) > 0 {
		t.Fatalf("configure: %v%s", err, diagnosticsText(configured.Diagnostics))
	}
	return &actionFixture{
		env:     &acctest.Env{Endpoint: hookd.URL, APIKey: hookd.APIKey, Client: c, Server: hookd},
		actions: actions, schema: schema,
	}
}

// config is the configuration of action holding values.
func (f *actionFixture) config(t *testing.T, action string, values map[string]tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	s, ok := f.schema.ActionSchemas[action]
	if !ok {
		t.Fatalf("no action %s in the provider schema", action)
	}
	return objectValue(t, s.Schema, values)
}

// invoke invokes action as Terraform does after a plan and returns the
// progress messages it streamed, in order, and the diagnostics it
// completed with; it fails the test unless exactly one completed event
// ends the stream.
func (f *actionFixture) invoke(t *testing.T, action string, values map[string]tftypes.Value) (progress []string, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	stream, err := f.actions.InvokeAction(context.Background(), &tfprotov6.InvokeActionRequest{ActionType: action, Config: f.config(t, action, values)})
	if err != nil {
		t.Fatal(err)
	}
	completed := 0
	for ev := range stream.Events {
		switch e := ev.Type.(type) {
		case tfprotov6.ProgressInvokeActionEventType:
			if completed > 0 {
				t.Errorf("progress %q after the completed event", e.Message)
			}
			progress = append(progress, e.Message)
		case tfprotov6.CompletedInvokeActionEventType:
			completed++
			diags = e.Diagnostics
		default:
			t.Errorf("unexpected event %T", e)
		}
	}
	if completed != 1 {
		t.Fatalf("%d completed events, want 1", completed)
	}
	return progress, diags
}

// matchLines checks got line by line against the patterns of want (regular
// expressions, matched whole).
func matchLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = regexp.MustCompile("^" + want[i] + "$").MatchString(got[i])
	}
	if !ok {
		t.Errorf("%s:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// oneDiagnostic checks that diags is one diagnostic of severity, summary,
// and a detail matching the pattern detail (whole).
func oneDiagnostic(t *testing.T, diags []*tfprotov6.Diagnostic, severity tfprotov6.DiagnosticSeverity, summary, detail string) {
	t.Helper()
	if len(diags) != 1 || diags[0].Severity != severity || diags[0].Summary != summary ||
		!regexp.MustCompile("^"+detail+"$").MatchString(diags[0].Detail) {
		t.Errorf("diagnostics:%s\nwant one %s: %s: %s", diagnosticsText(diags), severity, summary, detail)
	}
}

const (
	msPattern       = `\d+ ms`
	deliveryPattern = `dlv_[0-9a-z]+`
)

// hookd_webhook_test through the provider server: it says what it sends,
// then the receiver's answer; a 2xx completes clean, anything else
// completes with an error giving the status code, the error and the
// duration. hookd records one test delivery each time.
func TestActions_invokeWebhookTest(t *testing.T) {
	f := newActionFixture(t)
	for _, tc := range []struct {
		name     string
		status   int
		body     string // the receiver's answer; "": the status text
		progress []string
		// summary and detail (a pattern) of the one error; none when "".
		summary, detail string
	}{
		{
			name: "2xx", status: http.StatusNoContent,
			progress: []string{`The test event to webhook %[1]s got HTTP 204 after ` + msPattern + ` \(delivery ` + deliveryPattern + `\)\.`},
		},
		{
			name: "non_2xx", status: http.StatusInternalServerError, body: "receiver says 500\nretry later",
			summary: "Test delivery failed",
			detail: `The test event to webhook %[1]s got HTTP 500 \([^)]+\) after ` + msPattern + ` \(delivery ` + deliveryPattern + `\)\. ` +
				regexp.QuoteMeta(`The receiver answered: "receiver says 500\nretry later".`) + ` Fix the receiver and run the action again\.`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := acctest.NewReceiver(t, tc.status)
			if tc.body != "" {
				rcv.SetBody(tc.body)
			}
			wh, err := f.env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"transfer.created"}})
			if err != nil {
				t.Fatal(err)
			}
			rcv.Trust(wh.Secret)
			rcv.VerifyWhenDone(t)
			progress, diags := f.invoke(t, "hookd_webhook_test", map[string]tftypes.Value{"webhook_id": str(wh.ID)})
			want := []string{"Sending a test event to webhook " + wh.ID}
			for _, p := range tc.progress {
				want = append(want, fmt.Sprintf(p, wh.ID))
			}
			matchLines(t, "progress events", progress, want...)
			if tc.summary == "" {
				if len(diags) > 0 {
					t.Errorf("diagnostics:%s", diagnosticsText(diags))
				}
			} else {
				oneDiagnostic(t, diags, tfprotov6.DiagnosticSeverityError, tc.summary, fmt.Sprintf(tc.detail, wh.ID))
			}
			if n, err := testDeliveries(f.env, wh.ID); err != nil || n != 1 {
				t.Errorf("%d test deliveries (%v), want 1", n, err)
			}
			if n := len(rcv.RequestsWith("Hookd-Test-Delivery", "true")); n != 1 {
				t.Errorf("the receiver got %d test deliveries, want 1", n)
			}
		})
	}
}

// hookd_webhook_rotate_secret through the provider server: progress with
// the new version and fingerprint, the grace period's end and, for v1a,
// the new public key; a warning that a managed webhook's secret in state
// is now stale. The server's webhook is at the version reported.
func TestActions_invokeRotateSecret(t *testing.T) {
	f := newActionFixture(t)
	for _, scheme := range []string{client.SchemeV1, client.SchemeV1a} {
		t.Run(scheme, func(t *testing.T) {
			wh, err := f.env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{
				URL: "https://example.com/hooks", Events: []string{"*"}, SignatureScheme: ptr(scheme),
			})
			if err != nil {
				t.Fatal(err)
			}
			progress, diags := f.invoke(t, "hookd_webhook_rotate_secret", map[string]tftypes.Value{
				"webhook_id": str(wh.ID), "grace_period_hours": tftypes.NewValue(tftypes.Number, 2),
			})
			after, err := f.env.Client.GetWebhook(context.Background(), wh.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.SecretVersion != 2 || after.SecretFingerprint == wh.SecretFingerprint || after.PreviousSecretExpiresAt == nil {
				t.Fatalf("the webhook after the action: secret_version %d, fingerprint %s (was %s), previous secret until %v",
					after.SecretVersion, after.SecretFingerprint, wh.SecretFingerprint, after.PreviousSecretExpiresAt)
			}
			if d := after.PreviousSecretExpiresAt.Sub(after.UpdatedAt); d < 119*time.Minute || d > 121*time.Minute {
				t.Errorf("the previous secret verifies for %s, want grace_period_hours = 2", d)
			}
			want := []string{
				"Rotating the signing secret of webhook " + wh.ID,
				regexp.QuoteMeta(fmt.Sprintf("Webhook %s is at secret_version 2 (secret_fingerprint %s); the previous secret verifies until %s",
					wh.ID, after.SecretFingerprint, after.PreviousSecretExpiresAt.UTC().Format(time.RFC3339))),
			}
			if scheme == client.SchemeV1a {
				if after.PublicKey == nil || wh.PublicKey == nil || *after.PublicKey == *wh.PublicKey {
					t.Fatalf("a v1a webhook's public key %v, was %v: no new key pair", after.PublicKey, wh.PublicKey)
				}
				want = append(want, regexp.QuoteMeta(fmt.Sprintf("Webhook %s signs with a new Ed25519 key: public_key %s", wh.ID, *after.PublicKey)))
			}
			matchLines(t, "progress events", progress, want...)
			oneDiagnostic(t, diags, tfprotov6.DiagnosticSeverityWarning, "Signing secret rotated by an action", regexp.QuoteMeta(fmt.Sprintf(
				"Webhook %s now signs with a secret Terraform does not hold (secret_version 2, fingerprint %s). If a hookd_account_webhook or hookd_group_webhook manages it, the secret in its state is stale: the next refresh shows secret_version change and sets secret to null. Set secret_rotation.trigger (or change it, if it is set) to rotate through the resource and keep the secret in state; with secret_wo, the next apply installs your secret again.",
				wh.ID, after.SecretFingerprint)))
		})
	}
}

// hookd_delivery_retry and hookd_delivery_replay through the provider
// server, on a hookd whose clock stands still (only the actions make
// attempts): each says what it asked for, what it waits for, then the
// attempt's answer; a 2xx completes clean, anything else with an error
// giving the attempt's status, duration and the start of the receiver's
// answer, and what hookd does next with the delivery. The server's
// deliveries are as reported.
func TestActions_invokeDeliveryRetryReplay(t *testing.T) {
	f := newActionFixture(t, hookdtest.WithClock(clockwork.NewFakeClockAt(time.Now())))
	env := f.env
	rcv := acctest.NewReceiver(t, http.StatusBadGateway)
	wh, err := env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"transfer.created"}})
	if err != nil {
		t.Fatal(err)
	}
	rcv.Trust(wh.Secret)
	rcv.VerifyWhenDone(t)
	publish(t, env)
	d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "retrying" })
	rcv.SetStatus(http.StatusOK)

	progress, diags := f.invoke(t, "hookd_delivery_retry", map[string]tftypes.Value{"delivery_id": str(d.ID)})
	if len(diags) > 0 {
		t.Errorf("retry: diagnostics:%s", diagnosticsText(diags))
	}
	matchLines(t, "retry: progress events", progress,
		"Asking hookd to retry delivery "+d.ID,
		"Attempt 2 of delivery "+d.ID+" queued; waiting for it",
		"Attempt 2 of delivery "+d.ID+" got HTTP 200 after "+msPattern+`\.`)
	if got, err := env.Client.GetDelivery(context.Background(), d.ID); err != nil || got.Status != "succeeded" || len(got.Attempts) != 2 {
		t.Fatalf("after the retry: %v %+v", err, got)
	}

	replay := func(status int) (string, []string, []*tfprotov6.Diagnostic) {
		t.Helper()
		rcv.SetStatus(status)
		progress, diags := f.invoke(t, "hookd_delivery_replay", map[string]tftypes.Value{"delivery_id": str(d.ID)})
		r := waitDelivery(t, env, wh.ID, func(r client.Delivery) bool {
			return r.ReplayOf != nil && *r.ReplayOf == d.ID && r.AttemptCount == 1 && len(progress) > 1 && strings.HasPrefix(progress[1], "Delivery "+r.ID+" ")
		})
		return r.ID, progress, diags
	}
	r, progress, diags := replay(http.StatusOK)
	if len(diags) > 0 {
		t.Errorf("replay: diagnostics:%s", diagnosticsText(diags))
	}
	matchLines(t, "replay: progress events", progress,
		"Asking hookd to replay delivery "+d.ID,
		"Delivery "+r+" replays "+d.ID+"; waiting for its first attempt",
		"Attempt 1 of delivery "+r+" got HTTP 200 after "+msPattern+`\.`)

	r, progress, diags = replay(http.StatusServiceUnavailable)
	matchLines(t, "failed replay: progress events", progress,
		"Asking hookd to replay delivery "+d.ID,
		"Delivery "+r+" replays "+d.ID+"; waiting for its first attempt")
	oneDiagnostic(t, diags, tfprotov6.DiagnosticSeverityError, "Delivery replay failed",
		"Attempt 1 of delivery "+r+" got HTTP 503 \\([^)]+\\) after "+msPattern+`\. The receiver answered: "Service Unavailable"\. `+
			"hookd retries delivery "+r+` on its schedule \(next attempt at [0-9T:-]+Z\) until it succeeds or is dead-lettered: fix the receiver, and run hookd_delivery_retry on it for an attempt now\.`)
	if n := len(rcv.RequestsWith("Webhook-Id", d.EventID)); n != 4 {
		t.Errorf("the receiver got %d requests of event %s, want 4 (the first attempt, the retry, two replays)", n, d.EventID)
	}
}

// hookd_webhook_test's plan checks event_type against the server's catalog
// (ModifyPlan; validation alone has no provider configuration): a typo
// fails the plan with the type it was probably meant to be, on the
// attribute; a catalog type passes.
func TestActions_planWebhookTestEventType(t *testing.T) {
	f := newActionFixture(t)
	plan := func(eventType string) []*tfprotov6.Diagnostic {
		t.Helper()
		config := f.config(t, "hookd_webhook_test", map[string]tftypes.Value{"webhook_id": str("wh_0123456789abcdefghij"), "event_type": str(eventType)})
		v, err := f.actions.ValidateActionConfig(context.Background(), &tfprotov6.ValidateActionConfigRequest{ActionType: "hookd_webhook_test", Config: config})
		if err != nil || len(v.Diagnostics) > 0 {
			t.Fatalf("validate %q: %v%s", eventType, err, diagnosticsText(v.Diagnostics))
		}
		resp, err := f.actions.PlanAction(context.Background(), &tfprotov6.PlanActionRequest{ActionType: "hookd_webhook_test", Config: config})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Diagnostics
	}
	if diags := plan("transfer.created"); len(diags) > 0 {
		t.Errorf("a catalog type: %s", diagnosticsText(diags))
	}
	diags := plan("transfer.craeted")
	oneDiagnostic(t, diags, tfprotov6.DiagnosticSeverityError, "Invalid event type",
		regexp.QuoteMeta(`event_type: unknown event type "transfer.craeted" (did you mean "transfer.created"?). data.hookd_event_catalog lists the event types of this server.`))
	if want := tftypes.NewAttributePath().WithAttributeName("event_type"); len(diags) == 1 && !want.Equal(diags[0].Attribute) {
		t.Errorf("the error is at %v, want %v", diags[0].Attribute, want)
	}
}

// A dead-lettered test delivery replayed through the provider server: the
// replay is a test delivery too, attempted once and never retried, and
// the action says so (not that hookd will retry it), quoting the start of
// the receiver's answer, cut at 300 characters.
func TestActions_invokeReplayTestDelivery(t *testing.T) {
	f := newActionFixture(t, hookdtest.WithClock(clockwork.NewFakeClockAt(time.Now())))
	ctx := context.Background()
	rcv := acctest.NewReceiver(t, http.StatusServiceUnavailable)
	rcv.SetBody(strings.Repeat("down ", 100))
	wh, err := f.env.Client.CreateAccountWebhook(ctx, client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"transfer.created"}})
	if err != nil {
		t.Fatal(err)
	}
	rcv.Trust(wh.Secret)
	rcv.VerifyWhenDone(t)
	test, err := f.env.Client.TestWebhook(ctx, wh.ID, "")
	if err != nil || test.Succeeded {
		t.Fatalf("the test delivery: %v %+v", err, test)
	}
	progress, diags := f.invoke(t, "hookd_delivery_replay", map[string]tftypes.Value{"delivery_id": str(test.DeliveryID)})
	r := waitDelivery(t, f.env, wh.ID, func(r client.Delivery) bool {
		return r.ReplayOf != nil && *r.ReplayOf == test.DeliveryID && r.AttemptCount == 1
	})
	matchLines(t, "progress events", progress,
		"Asking hookd to replay delivery "+test.DeliveryID,
		"Delivery "+r.ID+" replays "+test.DeliveryID+"; waiting for its first attempt")
	said := strings.TrimSpace(strings.Repeat("down ", 60))
	oneDiagnostic(t, diags, tfprotov6.DiagnosticSeverityError, "Delivery replay failed",
		"Attempt 1 of delivery "+r.ID+" got HTTP 503 \\([^)]+\\) after "+msPattern+`\. `+
			regexp.QuoteMeta(`The receiver answered: "`+said+` " (truncated to its first 300 characters). `)+
			"Delivery "+r.ID+` is a test delivery, which hookd attempts once and never retries: fix the receiver and run the action again\.`)
	if !r.IsTest || r.Status != "dead_lettered" {
		t.Errorf("the replay is test=%v %s, want a dead-lettered test delivery", r.IsTest, r.Status)
	}
}

// A retry or replay refused because the webhook is auto-disabled says, after
// hookd's reason, how to re-enable it: from Terraform (hookd_webhook_recover
// with reenable = true) or the console; so does hookd_webhook_recover
// without reenable, in one error. hookd_webhook_recover on an inactive
// webhook fails with one error, whatever reenable says, and
// replays nothing: active is the user's switch.
func TestActions_invokeAutoDisabled(t *testing.T) {
	f := newActionFixture(t, hookdtest.WithClock(clockwork.NewFakeClockAt(time.Now())))
	ctx := context.Background()
	rcv := acctest.NewReceiver(t, http.StatusGone)
	wh, err := f.env.Client.CreateAccountWebhook(ctx, client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"transfer.created"}})
	if err != nil {
		t.Fatal(err)
	}
	rcv.Trust(wh.Secret)
	rcv.VerifyWhenDone(t)
	since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	publish(t, f.env)
	d := waitDelivery(t, f.env, wh.ID, func(d client.Delivery) bool { return d.Status == "dead_lettered" })
	for action, verb := range map[string]string{"hookd_delivery_retry": "retry", "hookd_delivery_replay": "replay"} {
		_, diags := f.invoke(t, action, map[string]tftypes.Value{"delivery_id": str(d.ID)})
		oneDiagnostic(t, diags, tfprotov6.DiagnosticSeverityError, fmt.Sprintf("Unable to %s delivery %s", verb, d.ID),
			`.*webhook `+wh.ID+` is auto_disabled; re-enable it first with PATCH \{"status": "active"\}\. `+
				regexp.QuoteMeta("From Terraform, once the receiver of webhook "+wh.ID+" is fixed: run the action hookd_webhook_recover with reenable = true over the time of the outage "+
					"(it re-enables the webhook, then replays what was dead-lettered, this delivery too if it falls in the range); "+
					"or press Re-enable on the console's Webhooks page, then run this action again.")+` \(hookd request id req_[0-9a-z]+\)`)
	}

	wh2, err := f.env.Client.GetWebhook(ctx, wh.ID)
	if err != nil || wh2.DisabledReason == nil {
		t.Fatalf("%v %+v", err, wh2)
	}
	progress, diags := f.invoke(t, "hookd_webhook_recover", map[string]tftypes.Value{"webhook_id": str(wh.ID), "since": str(since)})
	if len(progress) > 0 {
		t.Errorf("progress %q on an auto-disabled webhook", progress)
	}
	oneDiagnostic(t, diags, tfprotov6.DiagnosticSeverityError, "Webhook auto-disabled", regexp.QuoteMeta(
		"hookd auto-disabled webhook "+wh.ID+" ("+*wh2.DisabledReason+") and replays nothing to it until it is re-enabled: nothing was replayed. "+
			"Once its receiver is fixed, set reenable = true in this action's config to re-enable the webhook and replay in one run; "+
			"or re-enable it first (the Re-enable button on the console's Webhooks page, or PATCH /v1/webhooks/"+wh.ID+` with {"status": "active"}) and run the action again.`))

	// Auto-disabled and switched off by its owner: reenable = true must
	// not re-enable it (nor reset its run of dead letters) for a recover
	// that cannot replay anything.
	active, off := "active", false
	if _, err := f.env.Client.UpdateWebhook(ctx, wh.ID, client.UpdateWebhookRequest{Active: &off}); err != nil {
		t.Fatal(err)
	}
	_, diags = f.invoke(t, "hookd_webhook_recover", map[string]tftypes.Value{
		"webhook_id": str(wh.ID), "since": str(since), "reenable": tftypes.NewValue(tftypes.Bool, true),
	})
	oneDiagnostic(t, diags, tfprotov6.DiagnosticSeverityError, "Webhook inactive", ".*nothing was replayed.*")
	if got, err := f.env.Client.GetWebhook(ctx, wh.ID); err != nil || got.Status != "auto_disabled" {
		t.Fatalf("an inactive, auto-disabled webhook after recover with reenable = true: %v, %+v; want it left auto_disabled", err, got)
	}

	// Re-enabled, then switched off by its owner: inactive.
	if _, err := f.env.Client.UpdateWebhook(ctx, wh.ID, client.UpdateWebhookRequest{Status: &active, Active: &off}); err != nil {
		t.Fatal(err)
	}
	for _, reenable := range []bool{false, true} {
		progress, diags := f.invoke(t, "hookd_webhook_recover", map[string]tftypes.Value{
			"webhook_id": str(wh.ID), "since": str(since), "reenable": tftypes.NewValue(tftypes.Bool, reenable),
		})
		if len(progress) > 0 {
			t.Errorf("reenable = %v: progress %q on an inactive webhook", reenable, progress)
		}
		oneDiagnostic(t, diags, tfprotov6.DiagnosticSeverityError, "Webhook inactive", regexp.QuoteMeta(
			"Webhook "+wh.ID+" is inactive (active = false), and hookd replays nothing to an inactive webhook: nothing was replayed. "+
				"Set active = true on its hookd_account_webhook or hookd_group_webhook resource (or PATCH /v1/webhooks/"+wh.ID+` with {"active": true}) and run the action again; `+
				"reenable does not change active, which is yours."))
	}
	if replays, err := replaysOf(f.env, wh.ID, d.ID); err != nil || len(replays) != 0 {
		t.Errorf("%s has %d replays (%v), want none", d.ID, len(replays), err)
	}
}

// An id of the right shape that names nothing: each action fails with
// hookd's 404 and says which argument to check and how to find a good one.
func TestActions_invokeUnknownIDs(t *testing.T) {
	f := newActionFixture(t)
	const webhook, dlv = "wh_aaaaaaaaaaaaaaaaaaaa", "dlv_aaaaaaaaaaaaaaaaaaaa"
	checkWebhook := regexp.QuoteMeta(" Check webhook_id: data.hookd_webhooks lists the webhooks (terraform query too, on Terraform 1.14 and later), and a webhook deleted since is gone.")
	checkDelivery := regexp.QuoteMeta(" Check delivery_id: data.hookd_webhook_deliveries lists a webhook's deliveries; hookd keeps them for its --retention (30 days by default), then deletes them.")
	requestID := ` \(hookd request id req_[0-9a-z]+\)`
	for _, tc := range []struct {
		action, summary, detail string
		values                  map[string]tftypes.Value
	}{
		{"hookd_webhook_test", "Unable to send a test event to webhook " + webhook, `.*not found\.` + checkWebhook + requestID,
			map[string]tftypes.Value{"webhook_id": str(webhook)}},
		{"hookd_webhook_rotate_secret", "Unable to rotate the signing secret of webhook " + webhook, `.*not found\.` + checkWebhook + requestID,
			map[string]tftypes.Value{"webhook_id": str(webhook)}},
		{"hookd_webhook_recover", "Unable to read webhook " + webhook, `.*not found\.` + checkWebhook + requestID,
			map[string]tftypes.Value{"webhook_id": str(webhook), "since": str("2026-01-01T00:00:00Z")}},
		{"hookd_delivery_retry", "Unable to retry delivery " + dlv, `.*not found\.` + checkDelivery + requestID,
			map[string]tftypes.Value{"delivery_id": str(dlv)}},
		{"hookd_delivery_replay", "Unable to replay delivery " + dlv, `.*not found\.` + checkDelivery + requestID,
			map[string]tftypes.Value{"delivery_id": str(dlv)}},
	} {
		t.Run(tc.action, func(t *testing.T) {
			progress, diags := f.invoke(t, tc.action, tc.values)
			if len(progress) > 1 {
				t.Errorf("progress %q", progress)
			}
			oneDiagnostic(t, diags, tfprotov6.DiagnosticSeverityError, tc.summary, tc.detail)
		})
	}
}
