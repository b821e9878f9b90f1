package provider

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The resources' models to and from Terraform's values, in place of the
// framework's Get and Set on their hot paths (every Read, plan, create,
// update and delete of a webhook or a group). The framework reflects over
// the model's struct tags on every call, and checks each tag with a
// regular expression it compiles anew each time (internal/reflect's
// isValidFieldName): at 500 webhooks that was 6 to 20 % of the provider's
// CPU per command (make bench's profile at ef8b1d5). Here the struct is read once per
// model type; each call converts the attributes with their own types'
// ValueFromTerraform and ToTerraformValue, as the framework does for
// models made of attr.Value fields, which are the only ones allowed here.

// modelField is one attribute's field in a model struct.
type modelField struct {
	name  string // the tfsdk tag: the attribute's name
	index []int  // the field, through embedded structs
}

// modelFields are the attributes of a model type, by name.
type modelFields struct {
	fields []modelField
	err    error
}

var (
	modelFieldsMu    sync.RWMutex
	modelFieldsCache = map[reflect.Type]*modelFields{}
	attrValueType    = reflect.TypeFor[attr.Value]()
)

// fieldsOf reads a model struct type's attributes: every field tagged
// tfsdk:"name", and those of the structs embedded without a tag (the
// webhook resources' models embed their shared part). Each must be an
// attr.Value (types.String, types.Set, timeouts.Value...).
func fieldsOf(t reflect.Type) *modelFields {
	modelFieldsMu.RLock()
	mf, ok := modelFieldsCache[t]
	modelFieldsMu.RUnlock()
	if ok {
		return mf
	}
	modelFieldsMu.Lock()
	defer modelFieldsMu.Unlock()
	if mf, ok := modelFieldsCache[t]; ok {
		return mf
	}
	mf = &modelFields{}
	mf.err = collectFields(t, nil, &mf.fields)
	if mf.err == nil {
		seen := map[string]bool{}
		for _, f := range mf.fields {
			if seen[f.name] {
				mf.err = fmt.Errorf("%s: two fields are tagged tfsdk:%q", t, f.name)
				break
			}
			seen[f.name] = true
		}
	}
	modelFieldsCache[t] = mf
	return mf
}

// collectFields reads the attributes' fields as the framework's
// getStructTags does: unexported fields are left out (embedded structs
// apart, whose exported fields are promoted), tfsdk:"-" too; an embedded
// struct has no tag and is read in turn; every other field has a tag.
func collectFields(t reflect.Type, prefix []int, out *[]modelField) error {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		index := append(slices.Clone(prefix), i)
		tag, tagged := f.Tag.Lookup("tfsdk")
		switch {
		case tag == "-":
			continue
		case f.Anonymous && tagged:
			return fmt.Errorf("%s: the embedded struct %s cannot have a tfsdk tag", t, f.Name)
		case f.Anonymous && f.Type.Kind() != reflect.Struct:
			return fmt.Errorf("%s embeds %s by pointer or as a %s: embed structs by value", t, f.Name, f.Type.Kind())
		case f.Anonymous:
			if err := collectFields(f.Type, index, out); err != nil {
				return err
			}
			continue
		case !tagged:
			return fmt.Errorf("%s.%s has no tfsdk tag", t, f.Name)
		case !validAttrName.MatchString(tag):
			return fmt.Errorf("%s.%s: invalid tfsdk tag %q: lowercase letters, digits and underscores, a letter first", t, f.Name, tag)
		case !f.Type.Implements(attrValueType):
			return fmt.Errorf("%s.%s (tfsdk:%q) is a %s, not an attr.Value", t, f.Name, tag, f.Type)
		}
		*out = append(*out, modelField{name: tag, index: index})
	}
	return nil
}

// validAttrName is the framework's rule for a tfsdk tag, checked once per
// model type here.
var validAttrName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// getModel is data.Get(ctx, target) for a state, plan or config: target
// is a pointer to a model struct.
func getModel(ctx context.Context, typ attr.Type, raw tftypes.Value, target any) diag.Diagnostics {
	var diags diag.Diagnostics
	rv := reflect.ValueOf(target)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return conversionError(diags, fmt.Errorf("the target is a %T, not a pointer to a struct", target))
	}
	rv = rv.Elem()
	attrTypes, err := objectAttrTypes(typ)
	if err != nil {
		return conversionError(diags, err)
	}
	mf := fieldsOf(rv.Type())
	if mf.err != nil {
		return conversionError(diags, mf.err)
	}
	if err := sameAttributes(mf.fields, attrTypes); err != nil {
		return conversionError(diags, err)
	}
	if raw.IsNull() || !raw.IsKnown() {
		return conversionError(diags, fmt.Errorf("cannot read a null or unknown object into %s", rv.Type()))
	}
	var vals map[string]tftypes.Value
	if err := raw.As(&vals); err != nil {
		return conversionError(diags, err)
	}
	if len(vals) != len(mf.fields) {
		return conversionError(diags, fmt.Errorf("the value has %d attributes, the model %d", len(vals), len(mf.fields)))
	}
	// Filled apart and set only once every field converted, as the
	// framework does: a failed Get leaves the target as it was, and a
	// tfsdk:"-" field is zero after a Get.
	fresh := reflect.New(rv.Type()).Elem()
	for _, f := range mf.fields {
		tv, ok := vals[f.name]
		if !ok {
			return attrConversionError(diags, f.name, fmt.Errorf("the value has no attribute %q", f.name))
		}
		at := attrTypes[f.name]
		v, err := at.ValueFromTerraform(ctx, tv)
		if err != nil {
			return attrConversionError(diags, f.name, err)
		}
		diags.Append(validateValue(ctx, at, v, tv, f.name)...)
		if diags.HasError() {
			return diags
		}
		field := fresh.FieldByIndex(f.index)
		val := reflect.ValueOf(v)
		if val.Type() != field.Type() {
			return attrConversionError(diags, f.name, fmt.Errorf("the attribute's type gives a %s, the field is a %s", val.Type(), field.Type()))
		}
		field.Set(val)
	}
	rv.Set(fresh)
	return diags
}

// modelValue is the value of a model struct (or a pointer to one) as an
// object of typ: what data.Set(ctx, model) writes to data.Raw.
func modelValue(ctx context.Context, typ attr.Type, model any) (tftypes.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	rv := reflect.Indirect(reflect.ValueOf(model))
	if rv.Kind() != reflect.Struct {
		return tftypes.Value{}, conversionError(diags, fmt.Errorf("the model is a %T, not a struct", model))
	}
	attrTypes, err := objectAttrTypes(typ)
	if err != nil {
		return tftypes.Value{}, conversionError(diags, err)
	}
	mf := fieldsOf(rv.Type())
	if mf.err != nil {
		return tftypes.Value{}, conversionError(diags, mf.err)
	}
	if err := sameAttributes(mf.fields, attrTypes); err != nil {
		return tftypes.Value{}, conversionError(diags, err)
	}
	vals := make(map[string]tftypes.Value, len(mf.fields))
	for _, f := range mf.fields {
		v, ok := rv.FieldByIndex(f.index).Interface().(attr.Value)
		if !ok { // fieldsOf checked the field's type: cannot happen
			return tftypes.Value{}, attrConversionError(diags, f.name, fmt.Errorf("the field is not an attr.Value"))
		}
		at := attrTypes[f.name]
		// The framework's own check (reflect.FromAttributeValue): a value of
		// another type would otherwise make tftypes panic.
		if want, got := at.TerraformType(ctx), v.Type(ctx).TerraformType(ctx); !want.Equal(got) {
			return tftypes.Value{}, attrConversionError(diags, f.name, fmt.Errorf("the field holds a %s, the attribute is a %s", got, want))
		}
		tv, err := v.ToTerraformValue(ctx)
		if err != nil {
			return tftypes.Value{}, attrConversionError(diags, f.name, err)
		}
		diags.Append(validateValue(ctx, at, v, tv, f.name)...)
		if diags.HasError() {
			return tftypes.Value{}, diags
		}
		vals[f.name] = tv
	}
	return newObject(typ.TerraformType(ctx), vals, diags)
}

// newObject is tftypes.NewValue, whose panic on a value of the wrong type
// (which the check above rules out) becomes an error. tftypes.ValidateValue
// would check the whole object a second time.
func newObject(tt tftypes.Type, vals map[string]tftypes.Value, in diag.Diagnostics) (v tftypes.Value, diags diag.Diagnostics) {
	defer func() {
		if r := recover(); r != nil {
			v, diags = tftypes.Value{}, conversionError(in, fmt.Errorf("%v", r))
		}
	}()
	return tftypes.NewValue(tt, vals), in
}

// validateValue runs the validation a value or its type carries, as the
// framework's Get and Set do (types.SetType refuses duplicate elements,
// types.Int64Type a number out of range); tv is v as Terraform's value.
func validateValue(ctx context.Context, typ attr.Type, v attr.Value, tv tftypes.Value, name string) diag.Diagnostics {
	if va, ok := v.(xattr.ValidateableAttribute); ok {
		var resp xattr.ValidateAttributeResponse
		va.ValidateAttribute(ctx, xattr.ValidateAttributeRequest{Path: path.Root(name)}, &resp)
		return resp.Diagnostics
	}
	//nolint:staticcheck // deprecated, and still honoured by the framework's Get and Set
	if tw, ok := typ.(xattr.TypeWithValidate); ok {
		return tw.Validate(ctx, tv, path.Root(name))
	}
	return nil
}

func objectAttrTypes(typ attr.Type) (map[string]attr.Type, error) {
	ot, ok := typ.(attr.TypeWithAttributeTypes)
	if !ok {
		return nil, fmt.Errorf("the schema's type is a %T, not an object", typ)
	}
	return ot.AttributeTypes(), nil
}

// sameAttributes: the model has a field for every attribute and no other,
// as the framework requires.
func sameAttributes(fields []modelField, attrTypes map[string]attr.Type) error {
	var extra, missing []string
	names := make(map[string]bool, len(fields))
	for _, f := range fields {
		names[f.name] = true
		if _, ok := attrTypes[f.name]; !ok {
			extra = append(extra, f.name)
		}
	}
	for name := range attrTypes {
		if !names[name] {
			missing = append(missing, name)
		}
	}
	if len(extra) == 0 && len(missing) == 0 {
		return nil
	}
	slices.Sort(extra)
	slices.Sort(missing)
	var parts []string
	if len(extra) > 0 {
		parts = append(parts, "the model has fields for no attribute: "+strings.Join(extra, ", "))
	}
	if len(missing) > 0 {
		parts = append(parts, "the schema has attributes the model lacks: "+strings.Join(missing, ", "))
	}
	return fmt.Errorf("mismatch between model and schema: %s", strings.Join(parts, "; "))
}

const conversionSummary = "Value Conversion Error"

func conversionError(diags diag.Diagnostics, err error) diag.Diagnostics {
	diags.AddError(conversionSummary,
		"An unexpected error was encountered converting between the provider's model and Terraform's value. This is always an error in the provider; please report it:\n\n"+err.Error())
	return diags
}

func attrConversionError(diags diag.Diagnostics, name string, err error) diag.Diagnostics {
	diags.AddAttributeError(path.Root(name), conversionSummary,
		"An unexpected error was encountered converting between the provider's model and Terraform's value. This is always an error in the provider; please report it:\n\n"+err.Error())
	return diags
}

// The framework's data, read and written through the codec.

func getState(ctx context.Context, s tfsdk.State, target any) diag.Diagnostics {
	return getModel(ctx, schemaType(s.Schema), s.Raw, target)
}

func getPlan(ctx context.Context, p tfsdk.Plan, target any) diag.Diagnostics {
	return getModel(ctx, schemaType(p.Schema), p.Raw, target)
}

func setState(ctx context.Context, s *tfsdk.State, model any) diag.Diagnostics {
	raw, diags := modelValue(ctx, schemaType(s.Schema), model)
	if !diags.HasError() {
		s.Raw = raw
	}
	return diags
}

func setPlan(ctx context.Context, p *tfsdk.Plan, model any) diag.Diagnostics {
	raw, diags := modelValue(ctx, schemaType(p.Schema), model)
	if !diags.HasError() {
		p.Raw = raw
	}
	return diags
}

// schemaType is s.Type(), made once per resource schema rather than on
// every Get and Set: the schema builds the object type of all its
// attributes and blocks anew on each call. A resource schema's type
// depends on its Attributes and Blocks only, and the framework hands every
// request of a resource type the same schema value, which it made once
// (fwserver.Server.ResourceSchema), so the two maps identify it. Another
// kind of schema is not cached.
func schemaType(s interface{ Type() attr.Type }) attr.Type {
	rs, ok := s.(schema.Schema)
	if !ok {
		return s.Type()
	}
	key := schemaKey{
		attributes: reflect.ValueOf(rs.Attributes).UnsafePointer(),
		blocks:     reflect.ValueOf(rs.Blocks).UnsafePointer(),
	}
	schemaTypesMu.RLock()
	e, ok := schemaTypes[key]
	schemaTypesMu.RUnlock()
	if ok {
		return e.typ
	}
	typ := rs.Type()
	schemaTypesMu.Lock()
	defer schemaTypesMu.Unlock()
	if len(schemaTypes) >= maxSchemaTypes {
		// Only tests make schemas by the hundred (a provider has a handful):
		// start over rather than grow.
		clear(schemaTypes)
	}
	schemaTypes[key] = schemaTypeEntry{schema: rs, typ: typ}
	return typ
}

// schemaKey is a resource schema by the identity of its two maps.
type schemaKey struct{ attributes, blocks unsafe.Pointer }

// schemaTypeEntry keeps the schema with its type: its maps stay alive as
// long as the entry, so their addresses cannot be taken by other maps.
type schemaTypeEntry struct {
	schema schema.Schema
	typ    attr.Type
}

const maxSchemaTypes = 256

var (
	schemaTypesMu sync.RWMutex
	schemaTypes   = map[schemaKey]schemaTypeEntry{}
)

// sameValue is a.Equal(b) for the no-change paths of ModifyPlan, without
// its cost: tftypes' Equal walks both values by attribute path, building a
// path for every attribute (over 300 allocations for a webhook, more than
// the rest of a no-change ModifyPlan). Here the values are compared as
// they are held, allocating only for numbers. It may answer false where
// Equal answers true, never the reverse: a set's elements are compared in
// order, so the same set in another order is "not the same" (Terraform
// hands over plan and state in the same order; the caller then only takes
// its longer path, which decides correctly).
func sameValue(a, b tftypes.Value) bool {
	if a.Type() == nil || b.Type() == nil || !a.Type().Equal(b.Type()) {
		return false
	}
	switch {
	case a.IsKnown() != b.IsKnown():
		return false
	case !a.IsKnown():
		return true
	case a.IsNull() != b.IsNull():
		return false
	case a.IsNull():
		return true
	}
	switch t := a.Type(); t.(type) {
	case tftypes.Object, tftypes.Map:
		var x, y map[string]tftypes.Value
		if a.As(&x) != nil || b.As(&y) != nil || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !sameValue(xv, yv) {
				return false
			}
		}
		return true
	case tftypes.List, tftypes.Set, tftypes.Tuple:
		var x, y []tftypes.Value
		if a.As(&x) != nil || b.As(&y) != nil || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		switch {
		case t.Equal(tfString):
			var x, y string
			return a.As(&x) == nil && b.As(&y) == nil && x == y
		case t.Equal(tfBool):
			var x, y bool
			return a.As(&x) == nil && b.As(&y) == nil && x == y
		case t.Equal(tfNumber):
			var x, y big.Float
			return a.As(&x) == nil && b.As(&y) == nil && x.Cmp(&y) == 0
		}
	}
	return false // a type this does not know: not sure, so not the same
}

// The primitive types as interface values, made once: comparing with
// tftypes.String itself would box it anew on every call.
var (
	tfString tftypes.Type = tftypes.String
	tfBool   tftypes.Type = tftypes.Bool
	tfNumber tftypes.Type = tftypes.Number
)
