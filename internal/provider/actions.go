package provider

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// What the actions share: their configured client, id arguments checked
// at plan time, and how a delivery's answer is told.

// actionBase is embedded by every action: Configure and the client.
type actionBase struct {
	data *providerData
}

func (a *actionBase) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ready reports an error when the provider was not configured (an action
// invoked with an unknown provider configuration).
func (a *actionBase) ready(resp *action.InvokeResponse) bool {
	if a.data == nil {
		resp.Diagnostics.AddError("Provider not configured",
			"The hookd provider was not configured when the action ran. This is a bug in the provider or in Terraform; please report it.")
		return false
	}
	return true
}

// progress sends a progress event, when Terraform listens for them.
func progress(resp *action.InvokeResponse, format string, args ...any) {
	if resp.SendProgress != nil {
		resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf(format, args...)})
	}
}

// validateAtPlan runs, from an action's ModifyPlan, the checks of its
// configuration that Terraform's validate pass ran: the validators of each
// attribute and the action's ValidateConfig. Terraform validates an action
// once, before variables and other objects' values are known (a validator
// passes an unknown value), and does not ask again once they are: without
// this, a delivery_id = var.id holding an event id would plan fine and fail
// only at apply, with hookd's message. The checks are the very validators,
// so the messages and attribute paths are the same; a value that was known
// at validate passed them then and passes them again.
func validateAtPlan(ctx context.Context, a action.Action, config tfsdk.Config, diags *diag.Diagnostics) {
	attrs := config.Schema.GetAttributes()
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names) // one order of diagnostics, whatever the map's
	for _, name := range names {
		p := path.Root(name)
		switch at := attrs[name].(type) {
		case interface{ StringValidators() []validator.String }:
			var v types.String
			if diags.Append(config.GetAttribute(ctx, p, &v)...); diags.HasError() {
				return
			}
			req := validator.StringRequest{Path: p, PathExpression: p.Expression(), Config: config, ConfigValue: v}
			for _, check := range at.StringValidators() {
				resp := validator.StringResponse{}
				check.ValidateString(ctx, req, &resp)
				diags.Append(resp.Diagnostics...)
			}
		case interface{ Int64Validators() []validator.Int64 }:
			var v types.Int64
			if diags.Append(config.GetAttribute(ctx, p, &v)...); diags.HasError() {
				return
			}
			req := validator.Int64Request{Path: p, PathExpression: p.Expression(), Config: config, ConfigValue: v}
			for _, check := range at.Int64Validators() {
				resp := validator.Int64Response{}
				check.ValidateInt64(ctx, req, &resp)
				diags.Append(resp.Diagnostics...)
			}
		}
	}
	if diags.HasError() {
		return // ValidateConfig's cross-field checks assume valid fields
	}
	if v, ok := a.(action.ActionWithValidateConfig); ok {
		resp := action.ValidateConfigResponse{}
		v.ValidateConfig(ctx, action.ValidateConfigRequest{Config: config}, &resp)
		diags.Append(resp.Diagnostics...)
	}
}

// idKind is a kind of hookd id, with the shape and message the server
// applies (rules.IDKind). Every check of an id's shape uses one of these.
type idKind struct{ rules.IDKind }

var (
	groupID    = idKind{rules.GroupID}
	webhookID  = idKind{rules.WebhookID}
	deliveryID = idKind{rules.DeliveryID}
)

// attribute is a required argument holding such an id, checked at plan time.
func (k idKind) attribute(description string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: description,
		Required:            true,
		Validators:          []validator.String{k.validator()},
	}
}

func (k idKind) validator() validator.String {
	return idValidator{kind: k}
}

// idValidator rejects a value that is not an id of its kind, with an
// example of one; hint, when set, says what to do instead.
type idValidator struct {
	kind idKind
	hint string
}

func (v idValidator) Description(context.Context) string {
	return fmt.Sprintf("must be a %s id, %s followed by letters and digits", v.kind.What, v.kind.Prefix)
}

func (v idValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v idValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := v.kind.Problem(req.ConfigValue.ValueString()); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+v.kind.What+" id",
			fmt.Sprintf("%s %s.%s", req.Path, problem, v.hint))
	}
}

// answer tells what a receiver answered: "HTTP 500 (the error)" or "no
// HTTP answer (the error)".
func answer(status *int64, errText *string) string {
	a := "no HTTP answer"
	if status != nil {
		a = fmt.Sprintf("HTTP %d", *status)
	}
	if errText != nil && *errText != "" {
		a += " (" + *errText + ")"
	}
	return a
}

// excerptChars is how much of a receiver's answer a diagnostic quotes
// (hookd keeps its first 4 KiB): enough for "upstream down: retry in 30s"
// or the start of a JSON error, not a page of HTML.
const excerptChars = 300

// receiverSaid quotes the start of what a receiver answered (status, as
// the attempt recorded it), for a failed attempt's diagnostic:
// ` The receiver answered: "..."` on one line (line breaks, control and
// invisible characters escaped), saying so when it is cut; "" when the
// answer had no body. An attempt without an HTTP answer has no answer to
// quote, but hookd may record why in its place (a refused destination:
// which address, and how to allow it): that is hookd's own text, quoted
// whole as what hookd recorded.
func receiverSaid(status *int64, body string) string {
	body = strings.TrimSpace(body)
	if body == "" {
		return ""
	}
	who, limit := "The receiver answered", excerptChars
	if status == nil {
		who, limit = "hookd recorded", 4<<10
	}
	// A receiver that echoes its request would quote the webhook's token.
	r := []rune(rules.RedactSecrets(body)) // bytes that are not UTF-8 become U+FFFD
	cut := ""
	if len(r) > limit {
		r, cut = r[:limit], fmt.Sprintf(" (truncated to its first %d characters)", limit)
	}
	return fmt.Sprintf(" %s: %s%s.", who, strconv.Quote(string(r)), cut)
}

// testOutcome tells a test delivery's outcome, with the start of the
// receiver's answer (body, as testBody reads it) when it failed; failed is
// true unless the receiver answered 2xx. test_on_apply and
// hookd_webhook_test say the same.
func testOutcome(target string, res *client.TestResult, body string) (msg string, failed bool) {
	if res.Succeeded {
		return fmt.Sprintf("The test event to %s got %s after %d ms (delivery %s).",
			target, answer(res.ResponseStatusCode, nil), res.DurationMS, res.DeliveryID), false
	}
	return fmt.Sprintf("The test event to %s got %s after %d ms (delivery %s).",
		target, answer(res.ResponseStatusCode, res.Error), res.DurationMS, res.DeliveryID) + receiverSaid(res.ResponseStatusCode, body), true
}

// testBody is what the receiver answered a test delivery that failed, as
// hookd recorded it; the test's own answer does not carry it. "" when it
// succeeded, answered nothing, or cannot be read (the diagnostic then goes
// without it).
func testBody(ctx context.Context, c *client.Client, res *client.TestResult) string {
	if res.Succeeded {
		return ""
	}
	d, err := c.GetDelivery(ctx, res.DeliveryID)
	if err != nil || len(d.Attempts) == 0 {
		return ""
	}
	return d.Attempts[len(d.Attempts)-1].ResponseBody
}

// pollInterval and pollFor are how often, and how long, an action polls
// for an attempt that runs in the background (a retry, a replay's first).
const (
	pollInterval = 100 * time.Millisecond
	pollFor      = 30 * time.Second
)
