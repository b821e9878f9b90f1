package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// oneError is the detail of the one error in diags, or "" when there is
// none.
func oneError(t *testing.T, diags diag.Diagnostics) string {
	t.Helper()
	switch errs := diags.Errors(); len(errs) {
	case 0:
		return ""
	case 1:
		return errs[0].Detail()
	default:
		t.Fatalf("%d errors, want at most one: %v", len(errs), errs)
		return ""
	}
}

// What the acceptance table (TestAccBadInput) does not reach: a near
// miss's suggestion, the upper bounds, null and unknown values.
func TestValidatorMessages(t *testing.T) {
	ctx := context.Background()
	str := func(v validator.String, p string, value types.String) string {
		var resp validator.StringResponse
		v.ValidateString(ctx, validator.StringRequest{Path: path.Root(p), ConfigValue: value}, &resp)
		return oneError(t, resp.Diagnostics)
	}
	num := func(v validator.Int64, p string, value types.Int64) string {
		var resp validator.Int64Response
		v.ValidateInt64(ctx, validator.Int64Request{Path: path.Root(p), ConfigValue: value}, &resp)
		return oneError(t, resp.Diagnostics)
	}
	events := func(n int) string {
		elems := make([]attr.Value, n)
		for i := range elems {
			elems[i] = types.StringValue(strings.Repeat("x", i+1))
		}
		var resp validator.SetResponse
		eventsCountValidator{}.ValidateSet(ctx, validator.SetRequest{Path: path.Root("events"), ConfigValue: types.SetValueMust(types.StringType, elems)}, &resp)
		return oneError(t, resp.Diagnostics)
	}
	status := oneOf("leave it out for deliveries of every status", "pending", "retrying", "succeeded", "dead_lettered", "canceled")
	scheme := oneOfRule(rules.SchemeProblem, `leave it out for the default, "v1"`, rules.SignatureSchemes()...)
	for _, c := range []struct{ name, got, want string }{
		{"a status", str(status, "status", types.StringValue("succeeded")), ""},
		{"null", str(status, "status", types.StringNull()), ""},
		{"unknown", str(status, "status", types.StringUnknown()), ""},
		{"a near miss", str(status, "status", types.StringValue("succeedd")),
			`status must be one of "pending", "retrying", "succeeded", "dead_lettered" or "canceled", got "succeedd" (did you mean "succeeded"?); leave it out for deliveries of every status.`},
		{"a rule's own message, no guess", str(scheme, "signature_scheme", types.StringValue("v2")),
			`signature_scheme must be "v1" (HMAC-SHA256 with the shared secret) or "v1a" (Ed25519, verified with the public key), got "v2"; leave it out for the default, "v1".`},
		{"one word", str(oneOf("", "catalog"), "id", types.StringValue("x")), `id must be "catalog", got "x".`},
		{"in range", num(between(1, 1000, "h"), "limit", types.Int64Value(1000)), ""},
		{"over", num(between(1, 1000, "leave it out for the default, 50"), "limit", types.Int64Value(1001)), "limit must be from 1 to 1000, got 1001; leave it out for the default, 50."},
		{"null number", num(between(1, 1000, "h"), "limit", types.Int64Null()), ""},
		{"grace over a week", num(gracePeriodHours(), "grace_period_hours", types.Int64Value(169)),
			"grace_period_hours must be from 0 to 168 hours, got 169; 0 stops the previous secret verifying at once; leave it out for the default, 24."},
		{"grace of none", num(gracePeriodHours(), "grace_period_hours", types.Int64Value(0)), ""},
		{"one event", events(1), ""},
		{"100 events", events(rules.MaxEvents), ""},
		{"101 events", events(rules.MaxEvents + 1),
			`events must list at most 100 entries, got 101; a category wildcard such as "transfer.*" covers every type of its category in one entry; data.hookd_event_catalog lists the event types of this server.`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
}

// A webhook's url passes the plan exactly when it passes hookd's rule,
// whatever the server's setting: http to a private host and https to a
// private host are for the server to judge (--allow-private-destinations).
func TestWebhookURLValidator(t *testing.T) {
	check := func(value types.String) string {
		var resp validator.StringResponse
		webhookURLValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("url"), ConfigValue: value}, &resp)
		return oneError(t, resp.Diagnostics)
	}
	for _, ok := range []string{"https://example.com/hooks", "http://127.0.0.1:9000/hooks", "https://10.0.0.1/x", "http://localhost/x"} {
		if got := check(types.StringValue(ok)); got != "" {
			t.Errorf("%s: %s", ok, got)
		}
	}
	if check(types.StringNull()) != "" || check(types.StringUnknown()) != "" {
		t.Error("null or unknown refused")
	}
	for _, bad := range []string{"https://u:pw@example.com/", "https://example.com/#x", "http://example.com/", "https://2130706433/", "example.com", ""} {
		if got, want := check(types.StringValue(bad)), "url "+rules.URLProblem(bad)+"."; got != want || want == "url ." {
			t.Errorf("%q: %q, want %q", bad, got, want)
		}
		if strings.Contains(check(types.StringValue(bad)), "pw") {
			t.Errorf("%q: the message quotes the password", bad)
		}
	}
}

// A list filter's check points at the argument where it is in the list
// block, under config, and names it as the user wrote it; an empty filter
// says what leaving it out does, not how to clear a stored value.
func TestInListConfig(t *testing.T) {
	ctx := context.Background()
	var resp validator.StringResponse
	v := inListConfig(filterText(rules.MaxNameLength, rules.OneLine, "leave it out to list every group"))
	v.ValidateString(ctx, validator.StringRequest{Path: path.Root("name_prefix"), ConfigValue: types.StringValue("")}, &resp)
	if got := oneError(t, resp.Diagnostics); got != "name_prefix must not be empty; leave it out to list every group." {
		t.Errorf("detail %q", got)
	}
	d, ok := resp.Diagnostics[0].(diag.DiagnosticWithPath)
	if !ok || !d.Path().Equal(path.Root("config").AtName("name_prefix")) {
		t.Errorf("the diagnostic is at %v, want config.name_prefix", resp.Diagnostics[0])
	}
	if p := underConfig(path.Root("headers").AtMapKey("X-A")); !p.Equal(path.Root("config").AtName("headers").AtMapKey("X-A")) {
		t.Errorf("underConfig: %s", p)
	}
	resp = validator.StringResponse{}
	v.ValidateString(ctx, validator.StringRequest{Path: path.Root("name_prefix"), ConfigValue: types.StringValue("pay")}, &resp)
	if len(resp.Diagnostics) > 0 {
		t.Errorf("a good prefix: %v", resp.Diagnostics)
	}
}
