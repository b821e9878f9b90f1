package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// badCase is one wrong input: a block holding it, the argument it is in,
// the exact diagnostic detail (whitespace aside: Terraform wraps it), and
// the words of that detail that say what to write instead.
type badCase struct {
	name  string
	block string
	field string // the argument the diagnostic must name
	want  string // the whole detail
	fix   string // the part of the detail that says what to do
}

// varCase is a badCase whose block takes the wrong value from an input
// variable, given as terraform plan -var gives it (ConfigVariables).
// Terraform's validate pass sees every variable as unknown, so only the
// plan can refuse it; Terraform then shows the argument's line, which
// reads `field = var.field`.
type varCase struct {
	badCase
	vars config.Variables
}

// Every wrong input in the provider block, a resource, a data source or an
// ephemeral resource is refused at plan with the exact message, which names
// the argument and says what to write instead, and nothing is written on
// the server. The raw API's own table is httpapi's TestBadInput; together
// they hold well over 60 cases.
//
// Cases run one plan each: Terraform does not promise the order of
// diagnostics of different blocks, and ExpectError is one regular
// expression.
func TestAccBadInput(t *testing.T) {
	env := acctest.Start(t)
	hook := func(attrs string) string {
		return fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url    = "https://example.com/hooks"
  events = ["transfer.created"]
%s
}`, attrs)
	}
	headers := func(hcl string) string { return hook("  headers = " + hcl) }
	urlHook := func(url string) string {
		return fmt.Sprintf(`resource "hookd_account_webhook" "test" {
  url    = %q
  events = ["*"]
}`, url)
	}
	long := func(n int) string { return strings.Repeat("é", n) }
	reserved := "Accept-Encoding, Authorization, Connection, Content-Length, Content-Type, Host, Keep-Alive, Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, User-Agent and every name starting with Webhook- or Hookd-"
	invisible := "control, bidirectional and zero-width characters are not allowed in header values; remove it."
	oneLine := "control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it."
	multiLine := `control characters other than tabs and line breaks (\n or \r\n), bidirectional and zero-width characters are not allowed; remove it.`
	token := `it is sent as "Authorization: Bearer <token>", where control, bidirectional and zero-width characters are not allowed; remove it.`
	cases := []badCase{
		// hookd_group
		{"group name empty", `resource "hookd_group" "g" { name = "" }`, "name", `name must not be empty; give at least one character.`, `give at least one character`},
		{"group name 101 characters", fmt.Sprintf(`resource "hookd_group" "g" { name = %q }`, long(101)), "name", `name must be at most 100 characters, got 101; remove 1 character.`, `remove 1 character`},
		{"group description empty", `resource "hookd_group" "g" {
  name        = "g"
  description = ""
}`, "description", `description must not be empty; omit it, or set it to null to clear it.`, `omit it, or set it to null to clear it`},
		{"group description 1001 characters", fmt.Sprintf(`resource "hookd_group" "g" {
  name        = "g"
  description = %q
}`, long(1001)), "description", `description must be at most 1000 characters, got 1001; remove 1 character.`, `remove 1 character`},
		{"group name with NUL", `resource "hookd_group" "g" { name = "pay\u0000ments" }`, "name", `name contains U+0000 (NUL) at character 4: ` + oneLine, `remove it`},
		{"group name with a right-to-left override", `resource "hookd_group" "g" { name = "é\u202e" }`, "name", `name contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 2: ` + oneLine, `remove it`},
		{"group name with a zero-width space", `resource "hookd_group" "g" { name = "pay\u200bments" }`, "name", `name contains U+200B (ZERO WIDTH SPACE) at character 4: ` + oneLine, `remove it`},
		{"group description with a carriage return alone", `resource "hookd_group" "g" {
  name        = "g"
  description = "line one\rline two"
}`, "description", `description contains U+000D (CARRIAGE RETURN) at character 9: ` + multiLine, `remove it`},
		{"group description with a right-to-left isolate", `resource "hookd_group" "g" {
  name        = "g"
  description = <<-EOT
    line one
    line ` + "\u2067" + `two
  EOT
}`, "description", `description contains U+2067 (RIGHT-TO-LEFT ISOLATE) at character 15: ` + multiLine, `remove it`},
		// hookd_account_webhook
		{"webhook name empty", hook(`  name = ""`), "name", `name must not be empty; omit it, or set it to null to clear it.`, `omit it, or set it to null to clear it`},
		{"webhook name 101 characters", hook(fmt.Sprintf(`  name = %q`, long(101))), "name", `name must be at most 100 characters, got 101; remove 1 character.`, `remove 1 character`},
		{"webhook description 1001 characters", hook(fmt.Sprintf(`  description = %q`, long(1001))), "description", `description must be at most 1000 characters, got 1001; remove 1 character.`, `remove 1 character`},
		{"webhook name with a line break", hook(`  name = "a\nb"`), "name", `name contains U+000A (LINE FEED) at character 2: ` + oneLine, `remove it`},
		{"webhook name with a byte order mark", hook(`  name = "\ufeffhooks"`), "name", `name contains U+FEFF (ZERO WIDTH NO-BREAK SPACE) at character 1: ` + oneLine, `remove it`},
		{"webhook description with NUL", hook(`  description = "a\tb\u0000"`), "description", `description contains U+0000 (NUL) at character 4: ` + multiLine, `remove it`},
		{"url not absolute", `resource "hookd_account_webhook" "test" {
  url    = "example.com/hooks"
  events = ["*"]
}`, "url", `url must be an absolute URL such as https://example.com/webhooks.`, `such as https://example.com/webhooks`},
		{"url 2049 characters", fmt.Sprintf(`resource "hookd_account_webhook" "test" {
  url    = "https://example.com/%s"
  events = ["*"]
}`, long(2049-len("https://example.com/"))), "url", `url must be at most 2048 characters, got 2049; remove 1 character.`, `remove 1 character`},
		{"url with a right-to-left override", `resource "hookd_account_webhook" "test" {
  url    = "https://example.com/\u202emoc.live"
  events = ["*"]
}`, "url", `url contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 21: ` + oneLine, `remove it`},
		{"url with credentials", urlHook("https://u:pw@example.com/hooks"), "url", `url must not contain credentials (user:password@); remove them and send them with auth_token or headers instead.`, `send them with auth_token or headers instead`},
		{"url with a fragment", urlHook("https://example.com/hooks#x"), "url", `url must not contain a fragment (#...), which is never sent to the receiver; remove the # and what follows it.`, `remove the # and what follows it`},
		{"url http to a public host", urlHook("http://example.com/hooks"), "url", `url must use https; plain http is accepted only for loopback and private hosts: write https:// instead of http://.`, `write https:// instead of http://`},
		{"url ftp", urlHook("ftp://example.com/hooks"), "url", `url must use https, not "ftp": write https:// instead of ftp://.`, `write https:// instead of ftp://`},
		{"url host in decimal", urlHook("https://2130706433/"), "url", `url has the host "2130706433", an IPv4 address in a non-standard form; write it as 127.0.0.1.`, `write it as 127.0.0.1`},
		{"url host in octal", urlHook("https://0177.0.0.1/"), "url", `url has the host "0177.0.0.1", an IPv4 address in a non-standard form; write it as 127.0.0.1.`, `write it as 127.0.0.1`},
		{"url host in hex", urlHook("https://0x7f000001/"), "url", `url has the host "0x7f000001", an IPv4 address in a non-standard form; write it as 127.0.0.1.`, `write it as 127.0.0.1`},
		{"url host in the short form", urlHook("http://127.1/"), "url", `url has the host "127.1", an IPv4 address in a non-standard form; write it as 127.0.0.1.`, `write it as 127.0.0.1`},
		{"group webhook url with credentials", `resource "hookd_group_webhook" "test" {
  group_id = "grp_0123456789abcdefghij"
  url      = "https://token@example.com/"
  events   = ["*"]
}`, "url", `url must not contain credentials (user:password@); remove them and send them with auth_token or headers instead.`, `send them with auth_token or headers instead`},
		{"events empty", `resource "hookd_account_webhook" "test" {
  url    = "https://example.com/hooks"
  events = []
}`, "events", `events must list at least one event type such as "transfer.created", a category wildcard such as "transfer.*", or "*" for every event type; data.hookd_event_catalog lists the event types of this server. To stop deliveries and keep the webhook, set active = false instead.`, `set active = false instead`},
		{"unknown event type", `resource "hookd_account_webhook" "test" {
  url    = "https://example.com/hooks"
  events = ["transfer.craeted"]
}`, "events", `events: unknown event type "transfer.craeted" (did you mean "transfer.created"?). data.hookd_event_catalog lists the event types of this server.`, `did you mean "transfer.created"?`},
		{"null header value", headers(`{ "X-A" = null }`), "X-A", `the value of "X-A" is null: give a string (it may be empty), or leave the header out.`, `give a string (it may be empty), or leave the header out`},
		{"header name with a space", headers(`{ "X Team" = "a" }`), "X Team", `"X Team" is not a valid header name: it contains U+0020 (SPACE) at character 2; use letters, digits and -.`, `use letters, digits and -`},
		{"header name with a right-to-left override", headers(`{ "X-\u202eA" = "a" }`), "X-", `"X-\u202eA" is not a valid header name: it contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 3; use letters, digits and -.`, `use letters, digits and -`},
		{"header name with a zero-width space", headers(`{ "X-\u200bA" = "a" }`), "X-", `"X-\u200bA" is not a valid header name: it contains U+200B (ZERO WIDTH SPACE) at character 3; use letters, digits and -.`, `use letters, digits and -`},
		{"header value with NUL", headers(`{ "X-A" = "a\u0000b" }`), "X-A", `the value of "X-A" contains U+0000 (NUL) at character 2: ` + invisible, `remove it`},
		{"header value with a right-to-left override", headers(`{ "X-A" = "abc\u202edef" }`), "X-A", `the value of "X-A" contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 4: ` + invisible, `remove it`},
		{"header value with a zero-width space", headers(`{ "X-A" = "a\u200b" }`), "X-A", `the value of "X-A" contains U+200B (ZERO WIDTH SPACE) at character 2: ` + invisible, `remove it`},
		{"header value with a line break", headers(`{ "X-A" = "a\nX-B: 1" }`), "X-A", `the value of "X-A" contains U+000A (LINE FEED) at character 2: ` + invisible, `remove it`},
		{"reserved header", headers(`{ "Webhook-Id" = "x" }`), "Webhook-Id", `"Webhook-Id" is reserved: hookd sets it on every delivery or it governs the connection (reserved: ` + reserved + `); use auth_token to send an Authorization header.`, `use auth_token to send an Authorization header`},
		{"headers differing in case", headers(`{ "X-Team" = "a", "x-team" = "b" }`), "x-team", `"X-Team" and "x-team" name the same header: HTTP header names are case-insensitive; keep one.`, `keep one`},
		{"header value 1025 characters", headers(fmt.Sprintf(`{ "X-A" = %q }`, long(1025))), "X-A", `the value of "X-A" must be at most 1024 characters, got 1025; remove 1 character.`, `remove 1 character`},
		{"auth_token empty", hook(`  auth_token = ""`), "auth_token", `auth_token must not be empty; omit it, or set it to null to clear it.`, `omit it, or set it to null to clear it`},
		{"auth_token 1025 characters", hook(fmt.Sprintf(`  auth_token = %q`, strings.Repeat("t", 1025))), "auth_token", `auth_token must be at most 1024 characters, got 1025; remove 1 character.`, `remove 1 character`},
		{"auth_token with a line break", hook(`  auth_token = "tok\r\nX-Evil: 1"`), "auth_token", `auth_token contains U+000D (CARRIAGE RETURN) at character 4: ` + token, `remove it`},
		{"auth_token with NUL", hook(`  auth_token = "\u0000"`), "auth_token", `auth_token contains U+0000 (NUL) at character 1: ` + token, `remove it`},
		{"auth_token ending with a space", hook(`  auth_token = "tok "`), "auth_token", `auth_token ends with U+0020 (SPACE), which HTTP drops from the end of a header value, so the receiver would get another token; remove it.`, `remove it`},
		{"auth_token_wo with a zero-width joiner", hook(`  auth_token_wo = "t\u200dok"
  auth_token_wo_version = 1`), "auth_token_wo", `auth_token_wo contains U+200D (ZERO WIDTH JOINER) at character 2: ` + token, `remove it`},
		{"secret_wo malformed", hook(`  secret_wo = "whsec_short"
  secret_wo_version = 1`), "secret_wo", `secret_wo: malformed secret: the part after "whsec_" must be standard base64. ephemeral.hookd_signing_secret makes a valid one.`, `ephemeral.hookd_signing_secret makes a valid one`},
		{"signature_scheme unknown", hook(`  signature_scheme = "v2"`), "signature_scheme", `signature_scheme must be "v1" (HMAC-SHA256 with the shared secret) or "v1a" (Ed25519, verified with the public key), got "v2"; leave it out for the default, "v1".`, `leave it out for the default, "v1"`},
		// hookd_group_webhook
		{"group webhook group_id of the wrong shape", `resource "hookd_group_webhook" "test" {
  group_id = "payments"
  url      = "https://example.com/hooks"
  events   = ["*"]
}`, "group_id", `group_id must be a group id such as grp_0123456789abcdefghij, got "payments".`, `such as grp_0123456789abcdefghij`},
		{"group webhook group_id empty", `resource "hookd_group_webhook" "test" {
  group_id = ""
  url      = "https://example.com/hooks"
  events   = ["*"]
}`, "group_id", `group_id must be a group id such as grp_0123456789abcdefghij, got "".`, `such as `},
		{"group webhook header value with a zero-width joiner", `resource "hookd_group_webhook" "test" {
  group_id = "grp_0123456789abcdefghij"
  url      = "https://example.com/hooks"
  events   = ["*"]
  headers  = { "X-A" = "a\u200db" }
}`, "X-A", `the value of "X-A" contains U+200D (ZERO WIDTH JOINER) at character 2: ` + invisible, `remove it`},
		// data sources
		{"data hookd_group id of the wrong shape", `data "hookd_group" "g" { id = "payments" }`, "id", `id must be a group id such as grp_0123456789abcdefghij, got "payments". To look a group up by its name, set name instead.`, `To look a group up by its name, set name instead`},
		{"data hookd_group name 101 characters", fmt.Sprintf(`data "hookd_group" "g" { name = %q }`, long(101)), "name", `name must be at most 100 characters, got 101; remove 1 character.`, `remove 1 character`},
		{"data hookd_group name with a zero-width space", `data "hookd_group" "g" { name = "pay\u200bments" }`, "name", `name contains U+200B (ZERO WIDTH SPACE) at character 4: ` + oneLine, `remove it`},
		{"data hookd_webhook id of the wrong shape", `data "hookd_webhook" "w" { id = "grp_0123456789abcdefghij" }`, "id", `id must be a webhook id such as wh_0123456789abcdefghij, got "grp_0123456789abcdefghij".`, `such as wh_0123456789abcdefghij`},
		{"data hookd_webhook id empty", `data "hookd_webhook" "w" { id = "" }`, "id", `id must be a webhook id such as wh_0123456789abcdefghij, got "".`, `such as `},
		{"data hookd_webhooks group_id empty", `data "hookd_webhooks" "w" { group_id = "" }`, "group_id", `group_id must be a group id such as grp_0123456789abcdefghij, got "".`, `such as `},
		{"data hookd_webhooks group_id of no group", `data "hookd_webhooks" "w" { group_id = "grp_0123456789abcdefghij" }`, "group_id", `group "grp_0123456789abcdefghij" not found; check group_id. (hookd request id {request_id})`, `check group_id`},
		{"data hookd_webhook_deliveries webhook_id of the wrong shape", `data "hookd_webhook_deliveries" "d" { webhook_id = "abc" }`, "webhook_id", `webhook_id must be a webhook id such as wh_0123456789abcdefghij, got "abc".`, `such as wh_0123456789abcdefghij`},
		{"data hookd_webhook_deliveries status unknown", `data "hookd_webhook_deliveries" "d" {
  webhook_id = "wh_0123456789abcdefghij"
  status     = "failed"
}`, "status", `status must be one of "pending", "retrying", "succeeded", "dead_lettered" or "canceled", got "failed"; leave it out for deliveries of every status.`, `leave it out for deliveries of every status`},
		{"data hookd_webhook_deliveries limit 0", `data "hookd_webhook_deliveries" "d" {
  webhook_id = "wh_0123456789abcdefghij"
  limit      = 0
}`, "limit", `limit must be from 1 to 1000, got 0; leave it out for the default, 50.`, `leave it out for the default, 50`},
		// ephemeral resources
		{"ephemeral hookd_signing_secret bytes 16", `ephemeral "hookd_signing_secret" "s" { bytes = 16 }`, "bytes", `bytes must be from 24 to 64, got 16; leave it out for the default, 32.`, `leave it out for the default, 32`},
		{"data hookd_event_catalog stability unknown", `data "hookd_event_catalog" "c" { stability = "alpha" }`, "stability", `stability must be "stable" or "beta", got "alpha"; leave it out for event types of every stability.`, `leave it out for event types of every stability`},
	}
	// The provider block: each of these stops the provider, so one per plan.
	provider := func(name, block, field, want, fix string) badCase {
		return badCase{name, block + hook(""), field, want, fix}
	}
	cases = append(cases,
		provider("provider endpoint with credentials", `provider "hookd" {
  endpoint = "http://admin:s3cr3t-pw@127.0.0.1:1"
  api_key  = "hookd_x"
}`, "endpoint", `invalid client configuration: endpoint "http://[redacted]@127.0.0.1:1" must not contain credentials, a query or a fragment. Fix endpoint in the provider block or the HOOKD_ENDPOINT environment variable.`, `Fix endpoint in the provider block`),
		provider("provider endpoint with credentials and no port", `provider "hookd" {
  endpoint = "http://admin:s3cr3t-pw@127.0.0.1:port"
  api_key  = "hookd_x"
}`, "endpoint", `invalid client configuration: endpoint "http://[redacted]@127.0.0.1:port" must be an absolute http or https URL such as http://127.0.0.1:8080. Fix endpoint in the provider block or the HOOKD_ENDPOINT environment variable.`, `such as http://127.0.0.1:8080`),
		provider("provider request_timeout 0s", fmt.Sprintf(`provider "hookd" {
  endpoint        = %q
  api_key         = "x"
  request_timeout = "0s"
}`, env.Endpoint), "0s", `"0s" is not a positive duration: use a number with a unit, such as 30s, 2m or 1h30m.`, `use a number with a unit`),
		provider("provider max_retries -1", fmt.Sprintf(`provider "hookd" {
  endpoint    = %q
  api_key     = "x"
  max_retries = -1
}`, env.Endpoint), "max_retries", `max_retries must be from 0 to 20, got -1; 0 turns retries off; leave it out for the default, 10.`, `leave it out for the default, 10`),
		provider("provider api_key wrong", fmt.Sprintf(`provider "hookd" {
  endpoint = %q
  api_key  = %q
}`, env.Endpoint, "hookd_not_the_key"), "api_key", `The server at `+env.Endpoint+` does not accept this API key. Check api_key in the provider block or the HOOKD_API_KEY environment variable. (GET /v1/webhooks/events: 401 unauthorized: the API key is not valid for this server (request id {request_id}))`, `Check api_key in the provider block`),
	)
	t.Setenv("HOOKD_ENDPOINT", "")
	t.Setenv("HOOKD_API_KEY", "")
	checkBadInput(t, env, nil, cases)
}

// checkBadInput plans each case's configuration (in one resource.Test, a
// plan each: Terraform does not promise the order of diagnostics of
// different blocks) and checks the diagnostic Terraform printed, not the
// test's own strings: it holds a paragraph that is exactly want, and that
// paragraph names the field and says the fix. Then nothing may have been
// written on the server. A case whose block starts with a provider block is
// planned as it is; others get the test's provider block. Query cases
// (list blocks) run as terraform query. Cases fromVars follow, each
// planned with its variables.
func checkBadInput(t *testing.T, env *acctest.Env, versions []tfversion.TerraformVersionCheck, plain []badCase, fromVars ...varCase) {
	t.Helper()
	cases := make([]varCase, 0, len(plain)+len(fromVars))
	for _, c := range plain {
		cases = append(cases, varCase{badCase: c})
	}
	cases = append(cases, fromVars...)
	before := serverObjects(t, env)
	got := make([]string, len(cases))
	failed := make([]bool, len(cases))
	current := 0
	steps := make([]resource.TestStep, 0, len(cases))
	for i, c := range cases {
		if !strings.Contains(c.want, c.fix) || c.fix == "" {
			t.Fatalf("%s: the fix %q is not part of the message %q", c.name, c.fix, c.want)
		}
		step := resource.TestStep{PreConfig: func() { current = i }, PlanOnly: true, ConfigVariables: c.vars}
		switch {
		case strings.HasPrefix(strings.TrimSpace(c.block), `provider "hookd"`):
			step.Config = c.block
		case strings.HasPrefix(strings.TrimSpace(c.block), "list "):
			step.Config, step.Query, step.PlanOnly = queryConfig(env, env.Endpoint, c.block), true, false
		default:
			step.Config = env.Config(c.block)
		}
		steps = append(steps, step)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   versions,
		Steps:                    steps,
		// Without ExpectError, a step's error comes here: kept, and the
		// next step runs.
		ErrorCheck: func(err error) error {
			got[current], failed[current] = err.Error(), true
			return nil
		},
	})
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !failed[i] {
				t.Fatalf("accepted at plan; want %s", c.want)
			}
			detail := diagnosticDetail(got[i], c.want)
			if detail == "" {
				t.Fatalf("no diagnostic with exactly\n  %s\nin\n%s", c.want, got[i])
			}
			if !strings.Contains(detail, c.field) {
				t.Errorf("the diagnostic does not name %s: %s", c.field, detail)
			}
			if !strings.Contains(detail, strings.Join(strings.Fields(c.fix), " ")) {
				t.Errorf("the diagnostic does not say what to write (%q): %s", c.fix, detail)
			}
			if c.vars != nil && !regexp.MustCompile(`\d+:\s+`+regexp.QuoteMeta(c.field)+`\s+= var\.`+regexp.QuoteMeta(c.field)+`\n`).MatchString(got[i]) {
				t.Errorf("the diagnostic does not point at %s = var.%s:\n%s", c.field, c.field, got[i])
			}
		})
	}
	nothingWritten(t, env, before)
}

// queryDetail finds the details of the diagnostics terraform query
// returned, as terraform-plugin-testing prints them.
var queryDetail = regexp.MustCompile(`(?s)Detail:(.*?) Range:`)

// diagnosticDetail returns the detail of the diagnostic in Terraform's
// output out that is want (whitespace aside), with its spaces normalised,
// or "" when there is none.
func diagnosticDetail(out, want string) string {
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if d := wholeDetail(want).FindString(out); d != "" {
		return norm(d)
	}
	for _, m := range queryDetail.FindAllStringSubmatch(out, -1) {
		if norm(m[1]) == norm(want) {
			return norm(m[1])
		}
	}
	return ""
}

// wholeDetail matches a diagnostic whose detail is exactly want, whitespace
// aside (Terraform wraps it): the words of want in order, from the start of
// a paragraph of Terraform's output (after a blank line) to its end (a blank
// line or the end), so a message with more or fewer words before or after
// does not match. {request_id} in want stands for the request id hookd
// gave the answer.
func wholeDetail(want string) *regexp.Regexp {
	fields := strings.Fields(want)
	for i, f := range fields {
		fields[i] = strings.ReplaceAll(regexp.QuoteMeta(f), regexp.QuoteMeta("{request_id}"), `req_[0-9a-z]+`)
	}
	return regexp.MustCompile(`\n[ \t]*\n[ \t]*` + strings.Join(fields, `\s+`) + `[ \t]*(?:\n[ \t]*\n|\n?[ \t]*\z)`)
}

// serverObjects is the ids of every group and webhook on the server: what
// nothingWritten compares with (against an external hookd, other tests'
// objects may be there before this one starts).
func serverObjects(t *testing.T, env *acctest.Env) map[string]bool {
	t.Helper()
	ctx := context.Background()
	ids := map[string]bool{}
	for g, err := range env.Client.AllGroups(ctx, client.GroupListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		ids[g.ID] = true
	}
	for w, err := range env.Client.AllWebhooks(ctx, client.WebhookListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		ids[w.ID] = true
	}
	return ids
}

// nothingWritten fails the test when the server holds a group or webhook
// that was not there before (serverObjects).
func nothingWritten(t *testing.T, env *acctest.Env, before map[string]bool) {
	t.Helper()
	for id := range serverObjects(t, env) {
		if !before[id] {
			t.Errorf("a bad input created %s", id)
		}
	}
}
