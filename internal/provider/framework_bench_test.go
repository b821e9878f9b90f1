package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// What the benchmarks of ModifyPlan hand over, built from a resource's
// schema the way the framework builds them from Terraform's request.

// stateOf is model as a state of s (what State.Set writes after a Read).
func stateOf(tb testing.TB, s schema.Schema, model any) tfsdk.State {
	tb.Helper()
	ctx := context.Background()
	st := tfsdk.State{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(ctx), nil)}
	if diags := st.Set(ctx, model); diags.HasError() {
		tb.Fatalf("State.Set: %v", diags)
	}
	return st
}

// planFrom is a planned state holding the same values as st.
func planFrom(st tfsdk.State) tfsdk.Plan {
	return tfsdk.Plan{Schema: st.Schema, Raw: st.Raw.Copy()}
}

// configOf is st as a configuration: the computed-only attributes null,
// as no configuration can set them.
func configOf(st tfsdk.State) tfsdk.Config {
	s, ok := st.Schema.(schema.Schema)
	if !ok {
		panic(fmt.Sprintf("configOf: a %T, not a resource schema", st.Schema))
	}
	computedOnly := map[string]bool{}
	for name, a := range s.GetAttributes() {
		computedOnly[name] = a.IsComputed() && !a.IsOptional() && !a.IsRequired()
	}
	raw, err := tftypes.Transform(st.Raw.Copy(), func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if steps := p.Steps(); len(steps) == 1 {
			if name, ok := steps[0].(tftypes.AttributeName); ok && computedOnly[string(name)] {
				return tftypes.NewValue(v.Type(), nil), nil
			}
		}
		return v, nil
	})
	if err != nil {
		panic(err) // the transform returns no error
	}
	return tfsdk.Config{Schema: s, Raw: raw}
}

// timeoutTypes are the attribute types of the timeouts block of a resource
// schema.
func timeoutTypes(tb testing.TB, s schema.Schema) map[string]attr.Type {
	tb.Helper()
	t, ok := s.Blocks["timeouts"].Type().(timeouts.Type)
	if !ok {
		tb.Fatalf("the timeouts block is a %T", s.Blocks["timeouts"].Type())
	}
	return t.AttrTypes
}
