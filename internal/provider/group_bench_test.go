package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// Allocations per resource of the group's hot paths (issue 16): what a
// refresh, a create and an update map, and what a plan asks of ModifyPlan.
// go test -run '^$' -bench Group -benchmem ./internal/provider/

func benchAPIGroup() *client.Group {
	at := time.Date(2026, 11, 30, 12, 0, 0, 123456000, time.UTC)
	return &client.Group{ID: "grp_0123456789abcdefghij", Name: "payments", Description: new("Payment events"), CreatedAt: at, UpdatedAt: at}
}

func BenchmarkGroupFromAPI(b *testing.B) {
	api := benchAPIGroup()
	b.ReportAllocs()
	for b.Loop() {
		_ = groupFromAPI(api)
	}
}

func BenchmarkGroupRequests(b *testing.B) {
	state := groupFromAPI(benchAPIGroup())
	plan := state
	plan.Description = types.StringValue("Payment and refund events")
	b.Run("create", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = plan.createRequest()
		}
	})
	b.Run("update", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, changed := plan.updateRequest(state); !changed {
				b.Fatal("no change")
			}
		}
	})
}

// BenchmarkGroupModifyPlan is hookd_group's ModifyPlan on plans and states
// built from its schema, as the framework hands them over: a plan with no
// change (every group of a no-change plan, or of an apply that changes
// others), a rename (updated_at unknown, as the framework marks a computed
// attribute without a plan modifier), and a change of timeouts only.
func BenchmarkGroupModifyPlan(b *testing.B) {
	ctx := context.Background()
	r := &groupResource{}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	timeoutTypes := timeoutTypes(b, sr.Schema)

	prior := groupResourceModel{groupModel: groupFromAPI(benchAPIGroup()), Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutTypes)}}
	renamed := prior
	renamed.Name, renamed.UpdatedAt = types.StringValue("payments-eu"), types.StringUnknown()
	slower := prior
	slower.Timeouts = timeouts.Value{Object: types.ObjectValueMust(timeoutTypes, map[string]attr.Value{
		"create": types.StringNull(), "read": types.StringNull(), "update": types.StringValue("5m"), "delete": types.StringNull(),
	})}
	slower.UpdatedAt = types.StringUnknown()

	state := stateOf(b, sr.Schema, &prior)
	for _, c := range []struct {
		name      string
		plan      *groupResourceModel
		updatedAt types.String // as ModifyPlan leaves it
	}{
		{"no change", &prior, prior.UpdatedAt},
		{"rename", &renamed, types.StringUnknown()},
		{"timeouts only", &slower, prior.UpdatedAt},
	} {
		planned := stateOf(b, sr.Schema, c.plan)
		req := resource.ModifyPlanRequest{
			Config: configOf(planned), State: state, Plan: planFrom(planned),
		}
		run := func() *resource.ModifyPlanResponse {
			resp := &resource.ModifyPlanResponse{Plan: req.Plan}
			r.ModifyPlan(ctx, req, resp)
			return resp
		}
		resp := run()
		var got types.String
		resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("updated_at"), &got)...)
		if resp.Diagnostics.HasError() || !got.Equal(c.updatedAt) {
			b.Fatalf("%s: updated_at planned %v, want %v (%v)", c.name, got, c.updatedAt, resp.Diagnostics)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				run()
			}
		})
	}
}
