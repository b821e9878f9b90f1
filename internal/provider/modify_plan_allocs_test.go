package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The no-change fast paths of ModifyPlan, held in allocations: a plan
// equal to state skips decoding the whole plan and state
// (groupResource.ModifyPlan, webhookResource.ModifyPlan). Every resource
// of a no-change plan, and every resource an apply leaves alone, goes
// through it, so the benchmarks (BenchmarkGroupModifyPlan,
// BenchmarkWebhookModifyPlan, not run in CI) are not enough. The requests
// are built as the benchmarks build them.
//
// Measured (go1.26, the same with -race):
//
//	                 fast path   without it (the full decode)
//	hookd_group             62   128
//	account_webhook         36   771
//	group_webhook           38   788
//
// The webhook's fast path compares plan and state with sameValue and
// looks up the write-only attributes in the configuration's raw object:
// it converts no value and walks no attribute path. Before (tftypes'
// Equal, readWriteOnly and checkEvents' reads on every resource) it took
// 487 and 497. The limits leave room for a framework upgrade, not for
// any of those to come back; one that moves the fast path past them is
// worth re-measuring (go test -run '^$' -bench ModifyPlan -benchmem
// ./internal/provider/) before raising them.
func TestModifyPlanNoChangeAllocs(t *testing.T) {
	ctx := context.Background()
	noChange := func(t *testing.T, r resource.ResourceWithModifyPlan, state func(resource.SchemaResponse) resource.ModifyPlanRequest, limit float64) {
		t.Helper()
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		req := state(sr)
		var resp *resource.ModifyPlanResponse
		got := testing.AllocsPerRun(100, func() {
			resp = &resource.ModifyPlanResponse{Plan: req.Plan}
			r.ModifyPlan(ctx, req, resp)
		})
		if resp.Diagnostics.HasError() || !resp.Plan.Raw.Equal(req.State.Raw) {
			t.Fatalf("a no-change plan changed: %v", resp.Diagnostics)
		}
		if got > limit {
			t.Errorf("ModifyPlan of a no-change plan: %.0f allocations, want at most %.0f: is the fast path gone? (see the figures above the test)", got, limit)
		}
	}

	t.Run("hookd_group", func(t *testing.T) {
		noChange(t, &groupResource{}, func(sr resource.SchemaResponse) resource.ModifyPlanRequest {
			prior := groupResourceModel{groupModel: groupFromAPI(benchAPIGroup()), Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutTypes(t, sr.Schema))}}
			state := stateOf(t, sr.Schema, &prior)
			return resource.ModifyPlanRequest{Config: configOf(state), State: state, Plan: planFrom(state)}
		}, 95)
	})

	api := benchAPIWebhooks()["plain"]
	for _, s := range []webhookScope{accountScope{}, groupScope{}} {
		t.Run("hookd_"+s.typeName(), func(t *testing.T) {
			// Configured, so that the event check runs too (the events do
			// not change: the catalog is not read).
			r := &webhookResource{s: s, data: &providerData{}}
			noChange(t, r, func(sr resource.SchemaResponse) resource.ModifyPlanRequest {
				m := s.newModel()
				*m.common() = benchWebhookState(t, api, timeoutTypes(t, sr.Schema))
				if g := m.groupID(); g != nil {
					*g = types.StringValue("grp_0123456789abcdefghij")
				}
				state := stateOf(t, sr.Schema, m)
				return resource.ModifyPlanRequest{Config: configOf(state), State: state, Plan: planFrom(state)}
			}, 60)
		})
	}
}

// A write-only value configured takes ModifyPlan's whole way even when
// plan and state are the same: whether it is sent again depends on the
// configuration, the prior state and the fingerprints in private state
// (planWriteOnly), not on a difference between plan and state. Here
// auth_token_wo is configured and the server has no token: the update
// sends it, so the plan cannot stay as it was.
func TestModifyPlanNoChangeWithWriteOnly(t *testing.T) {
	ctx := context.Background()
	api := benchAPIWebhooks()["plain"]
	if api.AuthTokenSet {
		t.Fatal("the plain webhook has a token: the case needs one without")
	}
	for _, s := range []webhookScope{accountScope{}, groupScope{}} {
		t.Run("hookd_"+s.typeName(), func(t *testing.T) {
			r := &webhookResource{s: s, data: &providerData{}}
			var sr resource.SchemaResponse
			r.Schema(ctx, resource.SchemaRequest{}, &sr)
			m := s.newModel()
			*m.common() = benchWebhookState(t, api, timeoutTypes(t, sr.Schema))
			if g := m.groupID(); g != nil {
				*g = types.StringValue("grp_0123456789abcdefghij")
			}
			state := stateOf(t, sr.Schema, m)
			config := configOf(state)
			if writeOnlyConfigured(config) {
				t.Fatal("the configuration has a write-only value before the test sets one")
			}
			raw, err := tftypes.Transform(config.Raw, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
				if p.Equal(tftypes.NewAttributePath().WithAttributeName("auth_token_wo")) {
					return tftypes.NewValue(tftypes.String, "tok-write-only"), nil
				}
				return v, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			config.Raw = raw
			if !writeOnlyConfigured(config) {
				t.Fatal("auth_token_wo set, and not seen as configured")
			}
			req := resource.ModifyPlanRequest{Config: config, State: state, Plan: planFrom(state)}
			resp := &resource.ModifyPlanResponse{Plan: req.Plan}
			r.ModifyPlan(ctx, req, resp)
			var updatedAt, fingerprint types.String
			resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("updated_at"), &updatedAt)...)
			resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("auth_token_fingerprint"), &fingerprint)...)
			if resp.Diagnostics.HasError() {
				t.Fatal(resp.Diagnostics)
			}
			if !updatedAt.IsUnknown() || !fingerprint.IsUnknown() {
				t.Errorf("auth_token_wo to send: updated_at planned %v, auth_token_fingerprint %v; want both unknown (the PATCH that sends it)", updatedAt, fingerprint)
			}
		})
	}
}
