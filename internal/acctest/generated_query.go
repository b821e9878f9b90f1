package acctest

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// GeneratedImport is an import block by identity { id }, such as those
// terraform query -generate-config-out writes next to each resource.
type GeneratedImport struct {
	// To is the address the block imports to, such as hookd_group.all_0.
	To string
	// ID is the id of its identity.
	ID string
}

// GeneratedImports lists the import blocks of src (Terraform
// configuration) in order. A block that imports by id, or whose identity
// has no literal id, is an error: terraform query writes identities.
func GeneratedImports(src string) ([]GeneratedImport, error) {
	f, diags := hclsyntax.ParseConfig([]byte(src), "generated.tf", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, fmt.Errorf("not native Terraform syntax: %T", f.Body)
	}
	var out []GeneratedImport
	for _, b := range body.Blocks {
		if b.Type != "import" {
			continue
		}
		var imp GeneratedImport
		to, ok := b.Body.Attributes["to"]
		if !ok {
			return nil, fmt.Errorf("%s: import block without to", b.DefRange())
		}
		traversal, diags := hcl.AbsTraversalForExpr(to.Expr)
		if diags.HasErrors() || len(traversal) != 2 {
			return nil, fmt.Errorf("%s: to is not a resource address: %v", to.SrcRange, diags)
		}
		attr, ok := traversal[1].(hcl.TraverseAttr)
		if !ok {
			return nil, fmt.Errorf("%s: to is not a resource address", to.SrcRange)
		}
		imp.To = traversal.RootName() + "." + attr.Name
		identity, ok := b.Body.Attributes["identity"]
		if !ok {
			return nil, fmt.Errorf("%s: import block of %s without identity", b.DefRange(), imp.To)
		}
		v, diags := identity.Expr.Value(nil)
		if diags.HasErrors() || !v.Type().IsObjectType() || !v.Type().HasAttribute("id") {
			return nil, fmt.Errorf("%s: identity of %s is not { id = ... }: %v", identity.SrcRange, imp.To, diags)
		}
		imp.ID = v.GetAttr("id").AsString()
		out = append(out, imp)
	}
	return out, nil
}
