package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// durationValidator accepts Go duration strings greater than zero.
type durationValidator struct{}

var _ validator.String = durationValidator{}

func (durationValidator) Description(context.Context) string {
	return "must be a duration such as 30s, 2m or 1h30m"
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%q is not a positive duration: use a number with a unit, such as 30s, 2m or 1h30m.", req.ConfigValue.ValueString()))
	}
}

// signingSecretValidator checks a supplied signing secret with the API's
// own rule (rules.ParseSigningSecret), at plan time.
type signingSecretValidator struct{}

var _ validator.String = signingSecretValidator{}

func (signingSecretValidator) Description(context.Context) string {
	return fmt.Sprintf("must be whsec_ followed by the standard base64 of %d to %d bytes", rules.MinSecretBytes, rules.MaxSecretBytes)
}

func (v signingSecretValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (signingSecretValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := rules.ParseSigningSecret(req.ConfigValue.ValueString()); err != nil {
		// The value is secret: the message never quotes it.
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid signing secret",
			fmt.Sprintf("%s: %v. ephemeral.hookd_signing_secret makes a valid one.", req.Path, err))
	}
}

// eventTypeValidator checks, without a catalog, that a value is one event
// type and not a pattern (rules.CheckEventTypeShape); the catalog's check
// (rules.EventNames.ValidateType) needs the configured provider.
type eventTypeValidator struct{}

var _ validator.String = eventTypeValidator{}

func (eventTypeValidator) Description(context.Context) string {
	return "must be one event type such as transfer.created, not a pattern"
}

func (v eventTypeValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (eventTypeValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := rules.CheckEventTypeShape(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid event type", fmt.Sprintf("%s: %v.", req.Path, err))
	}
}

// textValidator checks a text argument with the API's own rule and message
// (rules.TextProblem, rules.RequiredTextProblem): lengths counted in
// characters, never bytes, and the characters text of its kind may hold, so
// that what passes the plan passes the API and the other way round.
type textValidator struct {
	limit    int
	kind     rules.TextKind
	required bool // a required argument: empty is wrong, null is not offered
}

var _ validator.String = textValidator{}

func optionalText(limit int, kind rules.TextKind) validator.String {
	return textValidator{limit: limit, kind: kind}
}

func requiredText(limit int, kind rules.TextKind) validator.String {
	return textValidator{limit: limit, kind: kind, required: true}
}

func (v textValidator) Description(context.Context) string {
	if v.kind == rules.AnyText {
		return fmt.Sprintf("1 to %d characters", v.limit)
	}
	return fmt.Sprintf("1 to %d characters of %s", v.limit, v.kind.Describe())
}

func (v textValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v textValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	problem := rules.TextProblem(req.ConfigValue.ValueString(), v.limit, v.kind)
	if v.required {
		problem = rules.RequiredTextProblem(req.ConfigValue.ValueString(), v.limit, v.kind)
	}
	if problem != "" {
		// The message names the character, never the value: auth_token
		// is secret.
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(), fmt.Sprintf("%s %s.", req.Path, problem))
	}
}
