package provider

import (
	"context"
	"fmt"
	"strings"
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
	// empty, when set, says what to do instead of an empty value, for a
	// filter: the rule's "omit it, or set it to null to clear it" is
	// about a value that is stored.
	empty string
}

var _ validator.String = textValidator{}

func optionalText(limit int, kind rules.TextKind) validator.String {
	return textValidator{limit: limit, kind: kind}
}

func requiredText(limit int, kind rules.TextKind) validator.String {
	return textValidator{limit: limit, kind: kind, required: true}
}

// filterText is optionalText for a filter of a list or lookup, where
// leaving it out does what empty says ("leave it out to list every
// group").
func filterText(limit int, kind rules.TextKind, empty string) validator.String {
	return textValidator{limit: limit, kind: kind, empty: empty}
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
	switch {
	case v.required:
		problem = rules.RequiredTextProblem(req.ConfigValue.ValueString(), v.limit, v.kind)
	case v.empty != "" && req.ConfigValue.ValueString() == "":
		problem = "must not be empty; " + v.empty
	}
	if problem != "" {
		// The message names the character, never the value: auth_token
		// is secret.
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(), fmt.Sprintf("%s %s.", req.Path, problem))
	}
}

// The validators below replace the framework's OneOf, Between and
// SizeBetween, whose messages ("Attribute x value must be one of: [...]")
// do not say what to write instead. Each message names the argument, says
// what it must be, and ends with a hint: what leaving it out does, or what
// else to write. Where hookd applies the same rule, the message is the
// rule's own (rules.SchemeProblem, rules.GracePeriodProblem,
// rules.EventCountProblem), so both sides say the same.

// oneOfValidator accepts one of a few words, and otherwise lists them, with
// the closest for a near miss ("succeedd").
type oneOfValidator struct {
	values []string
	// problem, when set, is the shared rule's message for a value not in
	// values; otherwise the message lists them.
	problem func(string) string
	hint    string // follows the message, after "; "
}

var _ validator.String = oneOfValidator{}

// oneOf accepts one of values; hint says what to do instead, such as what
// leaving the argument out does.
func oneOf(hint string, values ...string) validator.String {
	return oneOfValidator{values: values, hint: hint}
}

// oneOfRule is oneOf with the message of a rule hookd applies too.
func oneOfRule(problem func(string) string, hint string, values ...string) validator.String {
	return oneOfValidator{values: values, problem: problem, hint: hint}
}

func (v oneOfValidator) Description(context.Context) string {
	return "must be " + wordList(v.values)
}

func (v oneOfValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v oneOfValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	got := req.ConfigValue.ValueString()
	for _, ok := range v.values {
		if got == ok {
			return
		}
	}
	var problem string
	if v.problem != nil {
		problem = v.problem(got)
	} else {
		problem = fmt.Sprintf("must be %s, got %q", wordList(v.values), got)
		if s := rules.Closest(got, v.values); s != "" {
			problem += fmt.Sprintf(" (did you mean %q?)", s)
		}
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(), withHint(req.Path.String()+" "+problem, v.hint))
}

// wordList is `"a" or "b"`, or `one of "a", "b" or "c"`.
func wordList(values []string) string {
	quoted := make([]string, len(values))
	for i, s := range values {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	switch len(quoted) {
	case 0:
		return "nothing"
	case 1:
		return quoted[0]
	case 2:
		return quoted[0] + " or " + quoted[1]
	}
	return "one of " + strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}

// withHint is message; hint. (or message. without a hint).
func withHint(message, hint string) string {
	if hint == "" {
		return message + "."
	}
	return message + "; " + hint + "."
}

// rangeValidator accepts a whole number from min to max.
type rangeValidator struct {
	min, max int64
	// problem, when set, is the shared rule's message for a value out of
	// range; otherwise "must be from min to max, got n".
	problem func(int64) string
	hint    string // follows the message, after "; "
}

var _ validator.Int64 = rangeValidator{}

// between accepts lo to hi; hint says what to do instead.
func between(lo, hi int64, hint string) validator.Int64 {
	return rangeValidator{min: lo, max: hi, hint: hint}
}

// gracePeriodHours is the grace period of a rotated signing secret, with
// hookd's rule and message (rules.GracePeriodProblem) and its default.
func gracePeriodHours() validator.Int64 {
	return rangeValidator{min: 0, max: rules.MaxGracePeriodHours, problem: rules.GracePeriodProblem,
		hint: fmt.Sprintf("0 stops the previous secret verifying at once; leave it out for the default, %d", rules.DefaultGracePeriodHours)}
}

func (v rangeValidator) Description(context.Context) string {
	return fmt.Sprintf("from %d to %d", v.min, v.max)
}

func (v rangeValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v rangeValidator) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	n := req.ConfigValue.ValueInt64()
	if n >= v.min && n <= v.max {
		return
	}
	problem := fmt.Sprintf("must be from %d to %d, got %d", v.min, v.max, n)
	if v.problem != nil {
		problem = v.problem(n)
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(), withHint(req.Path.String()+" "+problem, v.hint))
}

// eventsCountValidator checks how many entries a webhook's events hold,
// with hookd's rule and message (rules.EventCountProblem); the entries
// themselves are checked against the catalog at plan time.
type eventsCountValidator struct{}

var _ validator.Set = eventsCountValidator{}

func (eventsCountValidator) Description(context.Context) string {
	return fmt.Sprintf("1 to %d event types, category wildcards or \"*\"", rules.MaxEvents)
}

func (v eventsCountValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (eventsCountValidator) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	problem := rules.EventCountProblem(len(req.ConfigValue.Elements()))
	if problem == "" {
		return
	}
	hint := "data.hookd_event_catalog lists the event types of this server"
	if len(req.ConfigValue.Elements()) == 0 {
		hint += ". To stop deliveries and keep the webhook, set active = false instead"
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(), withHint(req.Path.String()+" "+problem, hint))
}

// webhookURLValidator checks a webhook's url with hookd's own rule and
// message (rules.URLProblem): everything any hookd refuses in the text of
// a URL. Whether a private or loopback destination is accepted depends on
// how the server was started (--allow-private-destinations), so that, and
// the address a name resolves to, are left to the server.
type webhookURLValidator struct{}

var _ validator.String = webhookURLValidator{}

func (webhookURLValidator) Description(context.Context) string {
	return fmt.Sprintf("an absolute https URL such as %s (plain http only to loopback and private hosts), without credentials or a fragment, up to %d characters", rules.URLExample, rules.MaxURLLength)
}

func (v webhookURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (webhookURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := rules.URLProblem(req.ConfigValue.ValueString()); problem != "" {
		// The message never quotes the URL, which may hold a password.
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(), fmt.Sprintf("%s %s.", req.Path, problem))
	}
}
