package acctest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// ResourceArguments finds resource "TYPE" "NAME" for address TYPE.NAME in
// Terraform configuration, such as the file terraform plan
// -generate-config-out writes, and returns its arguments as plain Go
// values: string, bool, float64, []any (lists, sets, tuples), map[string]any
// (maps, objects) and nil for null. A nested block appears under its type
// as a []any of such maps. Arguments must be literals; anything that needs
// evaluation (a reference, a function call) is an error, except the
// provider meta-argument (provider = hookd, which terraform query writes),
// which is left out.
func ResourceArguments(src, address string) (map[string]any, error) {
	typ, name, ok := strings.Cut(address, ".")
	if !ok {
		return nil, fmt.Errorf("%q is not a resource address TYPE.NAME", address)
	}
	f, diags := hclsyntax.ParseConfig([]byte(src), "generated.tf", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, fmt.Errorf("not native Terraform syntax: %T", f.Body)
	}
	var found *hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == typ && b.Labels[1] == name {
			if found != nil {
				return nil, fmt.Errorf("resource %s is declared twice", address)
			}
			found = b
		}
	}
	if found == nil {
		return nil, fmt.Errorf("no resource %s in:\n%s", address, src)
	}
	return bodyArguments(found.Body)
}

func bodyArguments(body *hclsyntax.Body) (map[string]any, error) {
	args := map[string]any{}
	for name, attr := range body.Attributes {
		if _, ref := attr.Expr.(*hclsyntax.ScopeTraversalExpr); ref && name == "provider" {
			continue
		}
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: %w", name, diags)
		}
		goValue, err := plainValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		args[name] = goValue
	}
	for _, b := range body.Blocks {
		nested, err := bodyArguments(b.Body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.Type, err)
		}
		list, _ := args[b.Type].([]any)
		args[b.Type] = append(list, nested)
	}
	return args, nil
}

func plainValue(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}
