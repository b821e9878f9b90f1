package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// idIdentityModel is the resource identity of hookd_group and of both
// webhook resources (Terraform 1.12+): the server's id, which is all it
// takes to find the object again.
type idIdentityModel struct {
	ID types.String `tfsdk:"id"`
}

// idIdentitySchema describes that identity; example is an id such as
// "wh_0123456789abcdefghij".
func idIdentitySchema(what, example string) identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       fmt.Sprintf("The %s id, such as %s.", what, example),
			},
		},
	}
}

// setIdentity records id as the resource's identity. identity is nil when
// Terraform is older than 1.12 (no identity in the protocol): nothing to do.
// Create, Read and Update all call it: a Read that leaves identity unset
// fails apply on Terraform 1.12+.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id string, diags *diag.Diagnostics) {
	if identity == nil || id == "" {
		return
	}
	diags.Append(identity.Set(ctx, idIdentityModel{ID: types.StringValue(id)})...)
}

// importID is the id an import names, by the import id (terraform import,
// an import block's id) or by identity (an import block's identity), once
// checked to be an id of kind: anything else is refused before any API
// call, in the words of the way it was given, and with hint (what to
// import by instead: "Import takes the webhook's id, not ..."). ok is false
// when it was refused.
func importID(ctx context.Context, req resource.ImportStateRequest, kind idKind, hint string, diags *diag.Diagnostics) (id string, ok bool) {
	summary, given := "Invalid "+kind.What+" import id", "The import id"
	if req.ID != "" || req.Identity == nil {
		id = req.ID
	} else {
		var v types.String
		if diags.Append(req.Identity.GetAttribute(ctx, path.Root("id"), &v)...); diags.HasError() {
			return "", false
		}
		id = v.ValueString()
		summary, given = "Invalid "+kind.What+" identity", "The identity's id (identity = { id = ... } in the import block)"
	}
	if problem := kind.Problem(id); problem != "" {
		diags.AddError(summary, fmt.Sprintf("%s %s. %s", given, problem, hint))
		return "", false
	}
	return id, true
}
