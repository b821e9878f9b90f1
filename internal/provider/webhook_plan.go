package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// authTokenSetFromConfig plans auth_token_set as "auth_token is configured".
// The token itself is never read back, so this is what shows a token set or
// removed outside Terraform as a diff.
type authTokenSetFromConfig struct{}

var _ planmodifier.Bool = authTokenSetFromConfig{}

func (authTokenSetFromConfig) Description(context.Context) string {
	return "True when auth_token is configured, false when it is not."
}

func (m authTokenSetFromConfig) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (authTokenSetFromConfig) PlanModifyBool(ctx context.Context, req planmodifier.BoolRequest, resp *planmodifier.BoolResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var token types.String
	if d := req.Config.GetAttribute(ctx, path.Root("auth_token"), &token); d.HasError() {
		resp.Diagnostics.Append(d...)
		return
	}
	if token.IsUnknown() {
		resp.PlanValue = types.BoolUnknown() // may still turn out null
		return
	}
	resp.PlanValue = types.BoolValue(!token.IsNull())
}

// unknownOnRotation keeps a secret-related value from state, unless the
// plan rotates the secret (see rotationRequested): then it is unknown until
// the rotate call answers.
type unknownOnRotation struct{}

var (
	_ planmodifier.String = unknownOnRotation{}
	_ planmodifier.Int64  = unknownOnRotation{}
)

func (unknownOnRotation) Description(context.Context) string {
	return "Kept from state unless secret_rotation.trigger changes."
}

func (m unknownOnRotation) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

// rotates reads secret_rotation.trigger from plan and state.
func rotates(ctx context.Context, plan tfsdk.Plan, state tfsdk.State) bool {
	var planTrigger, stateTrigger types.String
	p := path.Root("secret_rotation").AtName("trigger")
	if d := plan.GetAttribute(ctx, p, &planTrigger); d.HasError() {
		return false
	}
	if d := state.GetAttribute(ctx, p, &stateTrigger); d.HasError() {
		stateTrigger = types.StringNull()
	}
	if planTrigger.IsUnknown() {
		return true
	}
	return !planTrigger.IsNull() && !planTrigger.Equal(stateTrigger)
}

func (unknownOnRotation) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	// Create (no state) and destroy (no plan) keep the framework's answer.
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || !req.PlanValue.IsUnknown() {
		return
	}
	if !rotates(ctx, req.Plan, req.State) {
		resp.PlanValue = req.StateValue
	}
}

func (unknownOnRotation) PlanModifyInt64(ctx context.Context, req planmodifier.Int64Request, resp *planmodifier.Int64Response) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || !req.PlanValue.IsUnknown() {
		return
	}
	if !rotates(ctx, req.Plan, req.State) {
		resp.PlanValue = req.StateValue
	}
}

// stateUnlessActiveChanges keeps status and disabled_reason from state
// unless `active` changes, which changes them.
type stateUnlessActiveChanges struct{}

var _ planmodifier.String = stateUnlessActiveChanges{}

func (stateUnlessActiveChanges) Description(context.Context) string {
	return "Kept from state unless active changes."
}

func (m stateUnlessActiveChanges) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (stateUnlessActiveChanges) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || !req.PlanValue.IsUnknown() {
		return
	}
	var planActive, stateActive types.Bool
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("active"), &planActive)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("active"), &stateActive)...)
	if resp.Diagnostics.HasError() || planActive.IsUnknown() || !planActive.Equal(stateActive) {
		return
	}
	resp.PlanValue = req.StateValue
}

// reservedHeaders are set by hookd on every delivery; the API rejects them
// as custom headers, and so does the plan.
var reservedHeaders = []string{"authorization", "connection", "content-length", "content-type", "host",
	"keep-alive", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "user-agent"}

func reservedHeader(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "webhook-") || strings.HasPrefix(n, "hookd-") {
		return true
	}
	i := sort.SearchStrings(reservedHeaders, n)
	return i < len(reservedHeaders) && reservedHeaders[i] == n
}

// headersValidator rejects reserved names and names that differ only in
// case, at plan time, with the same rules as the API.
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
	names := make([]string, 0, len(req.ConfigValue.Elements()))
	for name := range req.ConfigValue.Elements() {
		names = append(names, name)
	}
	sort.Strings(names)
	seen := map[string]string{}
	for _, name := range names {
		p := req.Path.AtMapKey(name)
		if other, dup := seen[strings.ToLower(name)]; dup {
			resp.Diagnostics.AddAttributeError(p, "Duplicate header name",
				fmt.Sprintf("%q and %q name the same header: HTTP header names are case-insensitive. Keep one.", other, name))
			continue
		}
		seen[strings.ToLower(name)] = name
		if reservedHeader(name) {
			resp.Diagnostics.AddAttributeError(p, "Reserved header name",
				fmt.Sprintf("%q is reserved: hookd sets it on every delivery (reserved: Authorization, Content-Type, Content-Length, Host, User-Agent, Connection, Transfer-Encoding and every Webhook-* and Hookd-* name). Use auth_token to send an Authorization header.", name))
		}
	}
}
