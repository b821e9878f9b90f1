package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// authTokenSetFromConfig plans auth_token_set as "auth_token or
// auth_token_wo is configured". The token itself is never read back, so
// this is what shows a token set or removed outside Terraform as a diff.
type authTokenSetFromConfig struct{}

var _ planmodifier.Bool = authTokenSetFromConfig{}

func (authTokenSetFromConfig) Description(context.Context) string {
	return "True when auth_token or auth_token_wo is configured, false when neither is."
}

func (m authTokenSetFromConfig) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (authTokenSetFromConfig) PlanModifyBool(ctx context.Context, req planmodifier.BoolRequest, resp *planmodifier.BoolResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var token, tokenWO types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("auth_token"), &token)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("auth_token_wo"), &tokenWO)...)
	if resp.Diagnostics.HasError() {
		return
	}
	switch {
	case known(token), known(tokenWO):
		resp.PlanValue = types.BoolValue(true)
	case token.IsUnknown(), tokenWO.IsUnknown():
		resp.PlanValue = types.BoolUnknown() // may still turn out null
	default:
		resp.PlanValue = types.BoolValue(false)
	}
}

// headersValidator checks the headers at plan time with the API's own
// rule and messages (rules.CheckHeaders): reserved names, names that
// differ only in case, and the limits.
type headersValidator struct{}

var _ validator.Map = headersValidator{}

func (headersValidator) Description(context.Context) string {
	return "header names must be unique ignoring case and not reserved by hookd"
}

func (v headersValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (headersValidator) ValidateMap(ctx context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	headers := make(map[string]string, len(req.ConfigValue.Elements()))
	for name, v := range req.ConfigValue.Elements() {
		// A value not known yet is checked by the API at apply time.
		if s, ok := v.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			headers[name] = s.ValueString()
		} else {
			headers[name] = ""
		}
	}
	for _, p := range rules.CheckHeaders(headers) {
		at := req.Path
		if p.Name != "" {
			at = at.AtMapKey(p.Name)
		}
		resp.Diagnostics.AddAttributeError(at, p.Kind.String(), p.Detail+".")
	}
}
