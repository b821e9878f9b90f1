package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// Allocations per resource of the webhooks' hot paths (issue 16): what a
// refresh, a create and an update map, and what a plan asks of ModifyPlan,
// at both scopes. go test -run '^$' -bench Webhook -benchmem ./internal/provider/

// benchAPIWebhooks are two webhooks as the API returns them: one as make
// bench creates them (a name, a description, one event, no headers, no
// token, v1) and one with everything (headers, a token, v1a).
func benchAPIWebhooks() map[string]*client.Webhook {
	at := time.Date(2026, 11, 30, 12, 0, 0, 123456000, time.UTC)
	plain := &client.Webhook{
		ID: "wh_0123456789abcdefghij", Scope: client.ScopeAccount, Name: new("bench-0042"), Description: new("make bench, revision 1"),
		URL: "http://127.0.0.1:40000/hooks/0042", Events: []string{"transfer.created"}, Active: true, Status: "active",
		SecretVersion: 1, SecretFingerprint: "0123456789abcdef", SignatureScheme: client.SchemeV1, CreatedAt: at, UpdatedAt: at,
	}
	full := apiWebhook()
	full.ID, full.Description = "wh_abcdefghij0123456789", new("everything set")
	full.Headers = map[string]string{"X-Team": "payments", "X-Env": "prod", "X-Region": "eu-west-1"}
	return map[string]*client.Webhook{"plain": plain, "full": full}
}

// benchWebhookState is what state holds of api after a Read: the mapping
// of api over a prior with every attribute null (typed where a null needs
// its type), and the secret the create returned.
func benchWebhookState(tb testing.TB, api *client.Webhook, timeoutTypes map[string]attr.Type) webhookModel {
	tb.Helper()
	prior := webhookModel{
		Events: types.SetNull(types.StringType), Headers: types.MapNull(types.StringType),
		SecretRotation: types.ObjectNull(secretRotationAttrTypes), Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutTypes)},
		Secret: types.StringValue("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), SecretVersion: types.Int64Value(api.SecretVersion),
	}
	if api.AuthTokenSet {
		prior.AuthToken = types.StringValue("tok")
	}
	m, _, diags := webhookFromAPI(context.Background(), api, prior)
	if diags.HasError() {
		tb.Fatal(diags)
	}
	return m
}

func webhookTimeoutTypes(ctx context.Context, tb testing.TB, r resource.Resource) map[string]attr.Type {
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	return timeoutTypes(tb, sr.Schema)
}

// BenchmarkWebhookFromAPI maps a webhook the API returned, as Read does
// for every webhook on every refresh (webhookFromAPI, then the scope's own
// attributes).
func BenchmarkWebhookFromAPI(b *testing.B) {
	ctx := context.Background()
	tt := webhookTimeoutTypes(ctx, b, NewAccountWebhookResource())
	for name, api := range benchAPIWebhooks() {
		for _, s := range []webhookScope{accountScope{}, groupScope{}} {
			api := *api
			if s.scope() == client.ScopeGroup {
				api.Scope, api.GroupID = client.ScopeGroup, new("grp_0123456789abcdefghij")
			}
			prior := benchWebhookState(b, &api, tt)
			b.Run(fmt.Sprintf("%s/%s", s.typeName(), name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m := s.newModel()
					next, _, diags := webhookFromAPI(ctx, &api, prior)
					if diags.HasError() {
						b.Fatal(diags)
					}
					*m.common() = next
					s.fromAPI(m, &api)
				}
			})
		}
	}
}

// BenchmarkWebhookRequests builds the create body and the update patch
// (decideUpdate, as Update and ModifyPlan decide it) of a webhook whose
// description changes.
func BenchmarkWebhookRequests(b *testing.B) {
	ctx := context.Background()
	tt := webhookTimeoutTypes(ctx, b, NewAccountWebhookResource())
	noWO := writeOnlyConfig{SecretWO: types.StringNull(), AuthTokenWO: types.StringNull()}
	for name, api := range benchAPIWebhooks() {
		state := benchWebhookState(b, api, tt)
		plan := state
		plan.Description = types.StringValue("make bench, revision 2")
		b.Run("create/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, diags := plan.createRequest(ctx, noWO); diags.HasError() {
					b.Fatal(diags)
				}
			}
		})
		b.Run("update/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				u, diags := decideUpdate(ctx, plan, state, noWO, sentFingerprints{})
				if diags.HasError() || !u.PatchChanged || u.rotates() {
					b.Fatalf("%+v %v", u, diags)
				}
			}
		})
	}
}

// BenchmarkWebhookModifyPlan is the webhook resources' ModifyPlan on plans
// and states built from their schemas, as the framework hands them over:
// a plan with no change (every webhook of a no-change plan) and a new
// description (the computed attributes without a plan modifier unknown,
// as the framework marks them). The provider is configured, so the event
// check runs (the events do not change: the catalog is not read).
func BenchmarkWebhookModifyPlan(b *testing.B) {
	ctx := context.Background()
	api := benchAPIWebhooks()["plain"]
	for _, s := range []webhookScope{accountScope{}, groupScope{}} {
		r := &webhookResource{s: s, data: &providerData{}}
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		tt := timeoutTypes(b, sr.Schema)

		prior := benchWebhookState(b, api, tt)
		changed := prior
		changed.Description = types.StringValue("make bench, revision 2")
		changed.AuthTokenFingerprint, changed.Secret, changed.SecretFingerprint = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
		changed.SecretVersion, changed.PreviousSecretExpiresAt = types.Int64Unknown(), types.StringUnknown()
		changed.Status, changed.DisabledReason, changed.UpdatedAt = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
		model := func(w webhookModel) any {
			m := s.newModel()
			*m.common() = w
			if g := m.groupID(); g != nil {
				*g = types.StringValue("grp_0123456789abcdefghij")
			}
			return m
		}

		state := stateOf(b, sr.Schema, model(prior))
		for _, c := range []struct {
			name      string
			plan      webhookModel
			updatedAt types.String // as ModifyPlan leaves it
		}{
			{"no change", prior, prior.UpdatedAt},
			{"description", changed, types.StringUnknown()},
		} {
			planned := stateOf(b, sr.Schema, model(c.plan))
			req := resource.ModifyPlanRequest{Config: configOf(planned), State: state, Plan: planFrom(planned)}
			run := func() *resource.ModifyPlanResponse {
				resp := &resource.ModifyPlanResponse{Plan: req.Plan}
				r.ModifyPlan(ctx, req, resp)
				return resp
			}
			resp := run()
			var updatedAt, secret types.String
			resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("updated_at"), &updatedAt)...)
			resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("secret"), &secret)...)
			if resp.Diagnostics.HasError() || !updatedAt.Equal(c.updatedAt) || !secret.Equal(prior.Secret) {
				b.Fatalf("%s %s: updated_at planned %v, want %v; secret kept: %v (%v)", s.typeName(), c.name, updatedAt, c.updatedAt, secret.Equal(prior.Secret), resp.Diagnostics)
			}
			b.Run(s.typeName()+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					run()
				}
			})
		}
	}
}
