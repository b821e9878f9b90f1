package provider

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// codecCase is a model, as a value of a resource's schema.
type codecCase struct {
	name   string
	schema schema.Schema
	model  any                  // a pointer to a filled model
	empty  func() any           // a pointer to a zero model of the same type
	raw    func() tftypes.Value // what the framework's Set writes for model
}

// codecCases are models of both webhook scopes and of the group: as bench
// creates them, with everything set (headers, a token, v1a, a rotation,
// timeouts), and as a plan holds them (values unknown).
func codecCases(t *testing.T) []codecCase {
	t.Helper()
	ctx := context.Background()
	var out []codecCase
	for _, s := range []webhookScope{accountScope{}, groupScope{}} {
		r := &webhookResource{s: s}
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		tt := timeoutTypes(t, sr.Schema)
		for name, api := range benchAPIWebhooks() {
			m := benchWebhookState(t, api, tt)
			variants := map[string]webhookModel{"state": m}
			planned := m
			planned.Description, planned.Status, planned.UpdatedAt = types.StringValue("revision 2"), types.StringUnknown(), types.StringUnknown()
			planned.SecretVersion, planned.Events = types.Int64Unknown(), types.SetUnknown(types.StringType)
			planned.SecretRotation = types.ObjectValueMust(secretRotationAttrTypes, map[string]attr.Value{
				"trigger": types.StringValue("2026-12"), "grace_period_hours": types.Int64Value(24),
			})
			planned.Timeouts = timeouts.Value{Object: types.ObjectValueMust(tt, map[string]attr.Value{
				"create": types.StringValue("2m"), "read": types.StringNull(), "update": types.StringUnknown(), "delete": types.StringNull(),
			})}
			variants["plan"] = planned
			for vname, w := range variants {
				model := s.newModel()
				*model.common() = w
				if g := model.groupID(); g != nil {
					*g = types.StringValue("grp_0123456789abcdefghij")
				}
				st := stateOf(t, sr.Schema, model)
				out = append(out, codecCase{
					name: fmt.Sprintf("%s/%s/%s", s.typeName(), name, vname), schema: sr.Schema, model: model,
					empty: func() any { return s.newModel() }, raw: func() tftypes.Value { return st.Raw },
				})
			}
		}
	}

	r := &groupResource{}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	g := &groupResourceModel{groupModel: groupFromAPI(benchAPIGroup()), Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutTypes(t, sr.Schema))}}
	st := stateOf(t, sr.Schema, g)
	out = append(out, codecCase{
		name: "hookd_group", schema: sr.Schema, model: g,
		empty: func() any { return &groupResourceModel{} }, raw: func() tftypes.Value { return st.Raw },
	})
	return out
}

// The codec reads and writes exactly what the framework's Get and Set do.
func TestModelCodecMatchesTheFramework(t *testing.T) {
	ctx := context.Background()
	for _, c := range codecCases(t) {
		t.Run(c.name, func(t *testing.T) {
			raw := c.raw()
			st := tfsdk.State{Schema: c.schema, Raw: raw}

			ours, theirs := c.empty(), c.empty()
			if diags := getState(ctx, st, ours); diags.HasError() {
				t.Fatalf("getState: %v", diags)
			}
			if diags := st.Get(ctx, theirs); diags.HasError() {
				t.Fatalf("State.Get: %v", diags)
			}
			if !reflect.DeepEqual(ours, theirs) {
				t.Errorf("getState read\n%+v\nState.Get read\n%+v", ours, theirs)
			}
			if !reflect.DeepEqual(ours, c.model) {
				t.Errorf("getState read\n%+v\nfrom a state of\n%+v", ours, c.model)
			}

			written := tfsdk.State{Schema: c.schema, Raw: tftypes.NewValue(raw.Type(), nil)}
			if diags := setState(ctx, &written, c.model); diags.HasError() {
				t.Fatalf("setState: %v", diags)
			}
			if !written.Raw.Equal(raw) {
				t.Errorf("setState wrote\n%s\nState.Set writes\n%s", written.Raw, raw)
			}

			plan := tfsdk.Plan{Schema: c.schema, Raw: raw}
			fromPlan := c.empty()
			if diags := getPlan(ctx, plan, fromPlan); diags.HasError() || !reflect.DeepEqual(fromPlan, theirs) {
				t.Errorf("getPlan read %+v (%v)", fromPlan, diags)
			}
			plan.Raw = tftypes.NewValue(raw.Type(), nil)
			if diags := setPlan(ctx, &plan, c.model); diags.HasError() || !plan.Raw.Equal(raw) {
				t.Errorf("setPlan wrote %s (%v)", plan.Raw, diags)
			}
		})
	}
}

// Models that do not fit their schema are refused with the framework's
// summary and a reason, never a panic, and Set leaves the data as it was.
func TestModelCodecRefusesWhatDoesNotFit(t *testing.T) {
	ctx := context.Background()
	r := &groupResource{}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	good := &groupResourceModel{groupModel: groupFromAPI(benchAPIGroup()), Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutTypes(t, sr.Schema))}}
	raw := stateOf(t, sr.Schema, good).Raw

	type missing struct {
		ID types.String `tfsdk:"id"`
	}
	type untagged struct {
		groupResourceModel
		Extra types.String
	}
	type notAValue struct {
		groupModel
		Timeouts string `tfsdk:"timeouts"`
	}
	type wrongType struct {
		ID          types.Int64    `tfsdk:"id"`
		Name        types.String   `tfsdk:"name"`
		Description types.String   `tfsdk:"description"`
		CreatedAt   types.String   `tfsdk:"created_at"`
		UpdatedAt   types.String   `tfsdk:"updated_at"`
		Timeouts    timeouts.Value `tfsdk:"timeouts"`
	}
	wrong := &wrongType{ID: types.Int64Value(1), Name: good.Name, Description: good.Description, CreatedAt: good.CreatedAt, UpdatedAt: good.UpdatedAt, Timeouts: good.Timeouts}

	for _, c := range []struct {
		name   string
		target any
		raw    tftypes.Value
		want   string // in the error's detail
		attr   string // the error's attribute, if any
	}{
		{"a field missing", &missing{}, raw, "the schema has attributes the model lacks: created_at, description, name, timeouts, updated_at", ""},
		{"a field without a tag", &untagged{}, raw, "Extra has no tfsdk tag", ""},
		{"a field of no attr.Value", &notAValue{}, raw, `(tfsdk:"timeouts") is a string, not an attr.Value`, ""},
		{"a field of another type", wrong, raw, "", "id"},
		{"a null object", &groupResourceModel{}, tftypes.NewValue(raw.Type(), nil), "cannot read a null or unknown object", ""},
		{"an unknown object", &groupResourceModel{}, tftypes.NewValue(raw.Type(), tftypes.UnknownValue), "cannot read a null or unknown object", ""},
		{"not a pointer", groupResourceModel{}, raw, "not a pointer to a struct", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			check := func(op string, diags diag.Diagnostics) {
				t.Helper()
				if !diags.HasError() {
					t.Fatalf("%s: no error", op)
				}
				d := diags.Errors()[0]
				if d.Summary() != conversionSummary || !strings.Contains(d.Detail(), c.want) {
					t.Errorf("%s: %q: %s, want %q in it", op, d.Summary(), d.Detail(), c.want)
				}
				if c.attr != "" {
					withPath, ok := d.(diag.DiagnosticWithPath)
					if !ok || !withPath.Path().Equal(path.Root(c.attr)) {
						t.Errorf("%s: the error is not on %s: %v", op, c.attr, d)
					}
				}
			}
			if c.name != "a field of another type" {
				check("getState", getState(ctx, tfsdk.State{Schema: sr.Schema, Raw: c.raw}, c.target))
			}
			if c.name == "a null object" || c.name == "an unknown object" || c.name == "not a pointer" {
				return
			}
			st := tfsdk.State{Schema: sr.Schema, Raw: raw}
			check("setState", setState(ctx, &st, c.target))
			if !st.Raw.Equal(raw) {
				t.Error("setState changed the state although it failed")
			}
		})
	}
}

// The framework's reflection compiles a regular expression per field per
// call; the codec reads the struct once:
//
//	go test -run '^$' -bench ModelCodec -benchmem ./internal/provider/
func BenchmarkModelCodec(b *testing.B) {
	ctx := context.Background()
	s := accountScope{}
	r := &webhookResource{s: s}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	model := s.newModel()
	*model.common() = benchWebhookState(b, benchAPIWebhooks()["plain"], timeoutTypes(b, sr.Schema))
	st := stateOf(b, sr.Schema, model)
	for _, impl := range []struct {
		name string
		get  func(tfsdk.State, any) diag.Diagnostics
		set  func(*tfsdk.State, any) diag.Diagnostics
	}{
		{"codec", func(st tfsdk.State, m any) diag.Diagnostics { return getState(ctx, st, m) }, func(st *tfsdk.State, m any) diag.Diagnostics { return setState(ctx, st, m) }},
		{"framework", func(st tfsdk.State, m any) diag.Diagnostics { return st.Get(ctx, m) }, func(st *tfsdk.State, m any) diag.Diagnostics { return st.Set(ctx, m) }},
	} {
		b.Run("get/"+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if diags := impl.get(st, s.newModel()); diags.HasError() {
					b.Fatal(diags)
				}
			}
		})
		b.Run("set/"+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			out := st
			for b.Loop() {
				if diags := impl.set(&out, model); diags.HasError() {
					b.Fatal(diags)
				}
			}
		})
	}
}

// lyingString says it is a string and turns into a number: only a broken
// custom type does that, and Set must refuse it, not write a value of the
// wrong type.
type lyingString struct{ types.String }

func (lyingString) ToTerraformValue(context.Context) (tftypes.Value, error) {
	return tftypes.NewValue(tftypes.Number, 1), nil
}

// The framework's rules for struct shapes the resources do not use today:
// the codec follows them, or refuses with an error, never a panic.
func TestModelCodecStructShapes(t *testing.T) {
	ctx := context.Background()
	s := schema.Schema{Attributes: map[string]schema.Attribute{
		"id":   schema.StringAttribute{Optional: true},
		"tags": schema.SetAttribute{Optional: true, ElementType: types.StringType},
	}}
	objType := s.Type().TerraformType(ctx)
	tagsType := tftypes.Set{ElementType: tftypes.String}
	raw := func(tags ...string) tftypes.Value {
		elems := make([]tftypes.Value, len(tags))
		for i, tag := range tags {
			elems[i] = tftypes.NewValue(tftypes.String, tag)
		}
		return tftypes.NewValue(objType, map[string]tftypes.Value{
			"id": tftypes.NewValue(tftypes.String, "x"), "tags": tftypes.NewValue(tagsType, elems),
		})
	}

	type withSkipped struct {
		ID     types.String `tfsdk:"id"`
		Tags   types.Set    `tfsdk:"tags"`
		Extra  types.String `tfsdk:"-"`
		hidden types.String `tfsdk:"hidden"` //nolint:unused // skipped, as the framework skips unexported fields
	}
	t.Run("unexported and tfsdk:\"-\" fields", func(t *testing.T) {
		ours, theirs := &withSkipped{Extra: types.StringValue("kept?")}, &withSkipped{Extra: types.StringValue("kept?")}
		st := tfsdk.State{Schema: s, Raw: raw("a")}
		if diags := getState(ctx, st, ours); diags.HasError() {
			t.Fatal(diags)
		}
		if diags := st.Get(ctx, theirs); diags.HasError() {
			t.Fatal(diags)
		}
		if !reflect.DeepEqual(ours, theirs) || !ours.Extra.IsNull() { // the framework zeroes a tfsdk:"-" field
			t.Errorf("getState read %+v, State.Get %+v", ours, theirs)
		}
		out := tfsdk.State{Schema: s, Raw: tftypes.NewValue(objType, nil)}
		if diags := setState(ctx, &out, ours); diags.HasError() || !out.Raw.Equal(raw("a")) {
			t.Errorf("setState wrote %s (%v)", out.Raw, diags)
		}
	})

	t.Run("a value its type refuses", func(t *testing.T) {
		// A set holding one element twice: types.SetType's validation
		// refuses it on Get, as the framework's does, and the target
		// keeps what it held.
		type model struct {
			ID   types.String `tfsdk:"id"`
			Tags types.Set    `tfsdk:"tags"`
		}
		before := model{ID: types.StringValue("before"), Tags: types.SetNull(types.StringType)}
		ours, theirs := before, before
		st := tfsdk.State{Schema: s, Raw: raw("a", "a")}
		if diags := st.Get(ctx, &theirs); !diags.HasError() {
			t.Fatal("State.Get took a set with a duplicate: the test no longer tests anything")
		}
		if diags := getState(ctx, st, &ours); !diags.HasError() {
			t.Error("getState took a set with a duplicate")
		}
		if !reflect.DeepEqual(ours, before) {
			t.Errorf("a failed getState changed the target: %+v", ours)
		}
	})

	t.Run("a type that lies", func(t *testing.T) {
		type model struct {
			ID   lyingString `tfsdk:"id"`
			Tags types.Set   `tfsdk:"tags"`
		}
		st := tfsdk.State{Schema: s, Raw: raw("a")}
		diags := setState(ctx, &st, &model{ID: lyingString{types.StringValue("x")}, Tags: types.SetNull(types.StringType)})
		if !diags.HasError() || diags.Errors()[0].Summary() != conversionSummary {
			t.Errorf("setState of a lying type: %v", diags)
		}
		if !st.Raw.Equal(raw("a")) {
			t.Errorf("a failed setState wrote %s", st.Raw)
		}
	})

	type inner struct {
		ID types.String `tfsdk:"id"`
	}
	type byPointer struct {
		*inner
		Tags types.Set `tfsdk:"tags"`
	}
	type taggedEmbed struct {
		inner `tfsdk:"inner"`
		Tags  types.Set `tfsdk:"tags"`
	}
	type badTag struct {
		ID   types.String `tfsdk:"ID"`
		Tags types.Set    `tfsdk:"tags"`
	}
	type twice struct {
		inner
		ID   types.String `tfsdk:"id"`
		Tags types.Set    `tfsdk:"tags"`
	}
	for _, c := range []struct {
		name   string
		target any
		want   string
	}{
		{"embedded by pointer", &byPointer{}, "embed structs by value"},
		{"an embedded struct with a tag", &taggedEmbed{}, "cannot have a tfsdk tag"},
		{"a tag of the wrong shape", &badTag{}, `invalid tfsdk tag "ID"`},
		{"a tag twice", &twice{}, `two fields are tagged tfsdk:"id"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			for op, diags := range map[string]diag.Diagnostics{
				"getState": getState(ctx, tfsdk.State{Schema: s, Raw: raw("a")}, c.target),
				"setState": setState(ctx, &tfsdk.State{Schema: s, Raw: raw("a")}, c.target),
			} {
				if !diags.HasError() || !strings.Contains(diags.Errors()[0].Detail(), c.want) {
					t.Errorf("%s: %v, want an error saying %q", op, diags, c.want)
				}
			}
		})
	}
}

// sameValue (ModifyPlan's no-change test) may miss an equality, never
// invent one: over the codec's models, each value is the same as its copy,
// any pair it calls the same is Equal, and changing any single value in
// it, at any depth (a string, a number, a bool, null to unknown), makes it
// not the same.
func TestSameValueNeverInventsEquality(t *testing.T) {
	cases := codecCases(t)
	for _, a := range cases {
		ra := a.raw()
		if !sameValue(ra, ra.Copy()) {
			t.Errorf("%s: not the same as its copy", a.name)
		}
		for _, b := range cases {
			if rb := b.raw(); sameValue(ra, rb) && !ra.Equal(rb) {
				t.Errorf("%s and %s: the same to sameValue, not Equal", a.name, b.name)
			}
		}
		var paths []*tftypes.AttributePath
		if err := tftypes.Walk(ra, func(p *tftypes.AttributePath, _ tftypes.Value) (bool, error) {
			paths = append(paths, p)
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, at := range paths[1:] { // the first is the object itself
			changed, err := tftypes.Transform(ra.Copy(), func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
				if !p.Equal(at) {
					return v, nil
				}
				return otherValue(t, v), nil
			})
			if err != nil {
				t.Fatalf("%s at %s: %v", a.name, at, err)
			}
			if changed.Equal(ra) {
				t.Fatalf("%s at %s: the change changed nothing", a.name, at)
			}
			if sameValue(ra, changed) || sameValue(changed, ra) {
				t.Errorf("%s: a change at %s is not seen", a.name, at)
			}
		}
	}

	// Unsure is "not the same": a set in another order.
	set := func(elems ...string) tftypes.Value {
		var vs []tftypes.Value
		for _, e := range elems {
			vs = append(vs, tftypes.NewValue(tftypes.String, e))
		}
		return tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, vs)
	}
	if ab, ba := set("a", "b"), set("b", "a"); sameValue(ab, ba) || !ab.Equal(ba) {
		t.Errorf("a set in another order: sameValue %v, Equal %v; want false, true", sameValue(ab, ba), ab.Equal(ba))
	}
	if sameValue(tftypes.NewValue(tftypes.String, "a"), tftypes.NewValue(tftypes.DynamicPseudoType, tftypes.UnknownValue)) {
		t.Error("values of two types are the same")
	}
}

// otherValue is v changed: a known value to another of its type, null to
// unknown, unknown to null.
func otherValue(t *testing.T, v tftypes.Value) tftypes.Value {
	t.Helper()
	switch {
	case !v.IsKnown():
		return tftypes.NewValue(v.Type(), nil)
	case v.IsNull():
		return tftypes.NewValue(v.Type(), tftypes.UnknownValue)
	case v.Type().Is(tftypes.String):
		var s string
		_ = v.As(&s)
		return tftypes.NewValue(tftypes.String, s+"x")
	case v.Type().Is(tftypes.Bool):
		var b bool
		_ = v.As(&b)
		return tftypes.NewValue(tftypes.Bool, !b)
	case v.Type().Is(tftypes.Number):
		var n big.Float
		_ = v.As(&n)
		return tftypes.NewValue(tftypes.Number, new(big.Float).Add(&n, big.NewFloat(1)))
	}
	// A collection or an object: null (its elements are changed apart).
	return tftypes.NewValue(v.Type(), nil)
}

// schemaType is the schema's Type(), for each resource even when asked
// from many goroutines at once (as Terraform's parallel requests do), and
// made once per schema: a second call allocates nothing.
func TestSchemaTypeCached(t *testing.T) {
	ctx := context.Background()
	var schemas []resource.SchemaResponse
	for _, r := range []resource.Resource{&webhookResource{s: accountScope{}}, &webhookResource{s: groupScope{}}, &groupResource{}} {
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		schemas = append(schemas, sr)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(schemas))
	for range 8 {
		for i, sr := range schemas {
			wg.Go(func() {
				st := tfsdk.State{Schema: sr.Schema}
				if got, want := schemaType(st.Schema), sr.Schema.Type(); !got.Equal(want) {
					errs <- fmt.Sprintf("schema %d: schemaType %s, want %s", i, got, want)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for i, sr := range schemas {
		st := tfsdk.State{Schema: sr.Schema}
		if n := testing.AllocsPerRun(10, func() { schemaType(st.Schema) }); n != 0 {
			t.Errorf("schema %d: %.0f allocations once made, want 0", i, n)
		}
	}
	// Another schema value with other maps is another type.
	other := schemas[0].Schema
	other.Attributes = map[string]schema.Attribute{"id": schema.StringAttribute{Computed: true}}
	other.Blocks = nil
	if got := schemaType(other); !got.Equal(other.Type()) {
		t.Errorf("a schema of one attribute: schemaType %s", got)
	}
}
