package provider

import (
	"context"
	"sort"

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

// publicKeyFromScheme plans public_key from signature_scheme: the key in
// state while the scheme stays the same (the server keeps the pair; a
// rotation, decided in planUpdate, makes it unknown there), null when the
// planned scheme is v1, unknown when switching to v1a (a new pair) or when
// the scheme is not known yet.
type publicKeyFromScheme struct{}

var _ planmodifier.String = publicKeyFromScheme{}

func (publicKeyFromScheme) Description(context.Context) string {
	return "The key in state while signature_scheme stays the same; null for v1; unknown when switching to v1a."
}

func (m publicKeyFromScheme) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (publicKeyFromScheme) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var planned, prior types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("signature_scheme"), &planned)...)
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("signature_scheme"), &prior)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	switch {
	case planned.IsUnknown():
		resp.PlanValue = types.StringUnknown()
	case planned.ValueString() == rules.SchemeV1:
		resp.PlanValue = types.StringNull()
	case !req.State.Raw.IsNull() && planned.Equal(prior):
		resp.PlanValue = req.StateValue
	default:
		resp.PlanValue = types.StringUnknown()
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
	var problems []rules.HeaderProblem
	for name, v := range req.ConfigValue.Elements() {
		s, ok := v.(types.String)
		switch {
		case ok && s.IsNull():
			// The API would store "" for it: say so instead.
			problems = append(problems, rules.NullHeader(name))
			headers[name] = ""
		case ok && !s.IsUnknown():
			headers[name] = s.ValueString()
		default:
			// A value not known yet is checked by the API at apply time.
			headers[name] = ""
		}
	}
	sort.Slice(problems, func(i, j int) bool { return problems[i].Name < problems[j].Name })
	for _, p := range append(problems, rules.CheckHeaders(headers)...) {
		at := req.Path
		if p.Name != "" {
			at = at.AtMapKey(p.Name)
		}
		resp.Diagnostics.AddAttributeError(at, p.Kind.String(), p.Detail+".")
	}
}
