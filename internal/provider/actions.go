package provider

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/hookd/terraform-provider-hookd/internal/client"
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

// idKind is a kind of hookd id: its prefix, what it names, and its shape
// (api/openapi.yaml: the prefix, then letters and digits). Every check of
// an id's shape uses one of these.
type idKind struct {
	prefix, what string
	pattern      *regexp.Regexp
}

func newIDKind(prefix, what string) idKind {
	return idKind{prefix: prefix, what: what, pattern: regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `[A-Za-z0-9]+$`)}
}

var (
	groupID    = newIDKind("grp_", "group")
	webhookID  = newIDKind("wh_", "webhook")
	deliveryID = newIDKind("dlv_", "delivery")
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
// example of one.
type idValidator struct {
	kind idKind
}

func (v idValidator) Description(context.Context) string {
	return fmt.Sprintf("must be a %s id, %s followed by letters and digits", v.kind.what, v.kind.prefix)
}

func (v idValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v idValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || v.kind.pattern.MatchString(req.ConfigValue.ValueString()) {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+v.kind.what+" id",
		fmt.Sprintf("%s must be a %s id such as %s0123456789abcdefghij, got %q.", req.Path, v.kind.what, v.kind.prefix, req.ConfigValue.ValueString()))
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

// testOutcome tells a test delivery's outcome; failed is true unless the
// receiver answered 2xx. test_on_apply and hookd_webhook_test say the same.
func testOutcome(target string, res *client.TestResult) (msg string, failed bool) {
	if res.Succeeded {
		return fmt.Sprintf("The test event to %s got %s after %d ms (delivery %s).",
			target, answer(res.ResponseStatusCode, nil), res.DurationMS, res.DeliveryID), false
	}
	return fmt.Sprintf("The test event to %s got %s after %d ms (delivery %s).",
		target, answer(res.ResponseStatusCode, res.Error), res.DurationMS, res.DeliveryID), true
}

// pollInterval and pollFor are how often, and how long, an action polls
// for an attempt that runs in the background (a retry, a replay's first).
const (
	pollInterval = 100 * time.Millisecond
	pollFor      = 30 * time.Second
)
