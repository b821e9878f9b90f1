package provider_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
)

// The bad-input table of the actions (Terraform 1.14+): each wrong
// argument is refused at plan with the exact message, which names the
// argument and says what to write, and nothing runs or is written. So is
// each wrong value given by a variable (-var), which Terraform's validate
// pass does not see: the action checks it again when it is planned, with
// the same message, on the same argument.
func TestAccBadInputActions(t *testing.T) {
	env := acctest.Start(t)
	action := func(typ, config string) string {
		return fmt.Sprintf(`
action %q "a" {
  config {
%s
  }
}
`, typ, config) + triggeredBy("action."+typ+".a")
	}
	const (
		webhook = `    webhook_id = "wh_0123456789abcdefghij"`
		rfc3339 = `is not an RFC 3339 time: write a date, a time and a zone, such as 2026-01-02T15:04:05Z or 2026-01-02T17:04:05+02:00 (timeadd(timestamp(), "-24h") gives one).`
		grace   = `0 stops the previous secret verifying at once; leave it out for the default, 24.`
	)
	// fromVars is a case of action typ whose arguments all come from
	// variables of their names, holding values.
	fromVars := func(name, typ string, values map[string]any, field, want, fix string) varCase {
		var decls, args strings.Builder
		vars := config.Variables{}
		for _, k := range slices.Sorted(maps.Keys(values)) {
			switch v := values[k].(type) {
			case string:
				vars[k] = config.StringVariable(v)
				fmt.Fprintf(&decls, "variable %q {\n  type = string\n}\n", k)
			case int:
				vars[k] = config.IntegerVariable(v)
				fmt.Fprintf(&decls, "variable %q {\n  type = number\n}\n", k)
			}
			fmt.Fprintf(&args, "    %s = var.%s\n", k, k)
		}
		return varCase{badCase{"from variables: " + name, decls.String() + action(typ, args.String()), field, want, fix}, vars}
	}
	const (
		okWebhook = "wh_0123456789abcdefghij"
		okSince   = "2026-11-30T03:00:00Z"
	)
	checkBadInput(t, env, actionsVersion, []badCase{
		{"webhook_test webhook_id of a group", action("hookd_webhook_test", `    webhook_id = "grp_0123456789abcdefghij"`), "webhook_id",
			`webhook_id must be a webhook id such as wh_0123456789abcdefghij, got "grp_0123456789abcdefghij".`, `such as wh_0123456789abcdefghij`},
		{"webhook_test webhook_id empty", action("hookd_webhook_test", `    webhook_id = ""`), "webhook_id",
			`webhook_id must be a webhook id such as wh_0123456789abcdefghij, got "".`, `such as wh_0123456789abcdefghij`},
		{"webhook_test event_type misspelt", action("hookd_webhook_test", webhook+"\n"+`    event_type = "transfer.craeted"`), "event_type",
			`event_type: unknown event type "transfer.craeted" (did you mean "transfer.created"?). data.hookd_event_catalog lists the event types of this server.`, `did you mean "transfer.created"?`},
		{"webhook_test event_type a pattern", action("hookd_webhook_test", webhook+"\n"+`    event_type = "transfer.*"`), "event_type",
			`event_type: "transfer.*" is a pattern: give one event type, such as "transfer.created". data.hookd_event_catalog lists the event types of this server.`, `give one event type, such as "transfer.created"`},
		{"rotate_secret webhook_id of the wrong shape", action("hookd_webhook_rotate_secret", `    webhook_id = "payments"`), "webhook_id",
			`webhook_id must be a webhook id such as wh_0123456789abcdefghij, got "payments".`, `such as wh_0123456789abcdefghij`},
		{"rotate_secret grace_period_hours 169", action("hookd_webhook_rotate_secret", webhook+"\n    grace_period_hours = 169"), "grace_period_hours",
			`grace_period_hours must be from 0 to 168 hours, got 169; ` + grace, `leave it out for the default, 24`},
		{"rotate_secret grace_period_hours -1", action("hookd_webhook_rotate_secret", webhook+"\n    grace_period_hours = -1"), "grace_period_hours",
			`grace_period_hours must be from 0 to 168 hours, got -1; ` + grace, `0 stops the previous secret verifying at once`},
		{"delivery_retry delivery_id of a webhook", action("hookd_delivery_retry", `    delivery_id = "wh_0123456789abcdefghij"`), "delivery_id",
			`delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "wh_0123456789abcdefghij".`, `such as dlv_0123456789abcdefghij`},
		{"delivery_retry delivery_id empty", action("hookd_delivery_retry", `    delivery_id = ""`), "delivery_id",
			`delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "".`, `such as dlv_0123456789abcdefghij`},
		{"delivery_replay delivery_id of an event", action("hookd_delivery_replay", `    delivery_id = "evt_0123456789abcdefghij"`), "delivery_id",
			`delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "evt_0123456789abcdefghij".`, `such as dlv_0123456789abcdefghij`},
		{"recover webhook_id of a delivery", action("hookd_webhook_recover", `    webhook_id = "dlv_0123456789abcdefghij"
    since      = "2026-11-30T03:00:00Z"`), "webhook_id",
			`webhook_id must be a webhook id such as wh_0123456789abcdefghij, got "dlv_0123456789abcdefghij".`, `such as wh_0123456789abcdefghij`},
		{"recover since not a time", action("hookd_webhook_recover", webhook+"\n"+`    since = "yesterday"`), "since",
			`since: "yesterday" ` + rfc3339, `write a date, a time and a zone`},
		{"recover since without a zone", action("hookd_webhook_recover", webhook+"\n"+`    since = "2026-11-30T03:00:00"`), "since",
			`since: "2026-11-30T03:00:00" ` + rfc3339, `write a date, a time and a zone`},
		{"recover until not a time", action("hookd_webhook_recover", webhook+"\n"+`    since = "2026-11-30T03:00:00Z"
    until = "now"`), "until",
			`until: "now" ` + rfc3339, `write a date, a time and a zone`},
		{"recover until before since", action("hookd_webhook_recover", webhook+"\n"+`    since = "2026-11-30T03:00:00Z"
    until = "2026-11-30T02:00:00Z"`), "until",
			`until (2026-11-30T02:00:00Z) must be after since (2026-11-30T03:00:00Z).`, `must be after since`},
		{"recover status not replayable", action("hookd_webhook_recover", webhook+"\n"+`    since  = "2026-11-30T03:00:00Z"
    status = "retrying"`), "status",
			`status must be one of "dead_lettered", "succeeded" or "canceled", got "retrying"; leave it out to replay the "dead_lettered" ones; hookd_delivery_retry retries a "retrying" delivery now.`, `leave it out to replay the "dead_lettered" ones`},
	},
		fromVars("delivery_retry delivery_id of an event", "hookd_delivery_retry", map[string]any{"delivery_id": "evt_0123456789abcdefghij"}, "delivery_id",
			`delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "evt_0123456789abcdefghij".`, `such as dlv_0123456789abcdefghij`),
		fromVars("delivery_replay delivery_id of a webhook", "hookd_delivery_replay", map[string]any{"delivery_id": okWebhook}, "delivery_id",
			`delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "wh_0123456789abcdefghij".`, `such as dlv_0123456789abcdefghij`),
		fromVars("rotate_secret webhook_id of the wrong shape", "hookd_webhook_rotate_secret", map[string]any{"webhook_id": "payments"}, "webhook_id",
			`webhook_id must be a webhook id such as wh_0123456789abcdefghij, got "payments".`, `such as wh_0123456789abcdefghij`),
		fromVars("rotate_secret grace_period_hours 169", "hookd_webhook_rotate_secret", map[string]any{"webhook_id": okWebhook, "grace_period_hours": 169}, "grace_period_hours",
			`grace_period_hours must be from 0 to 168 hours, got 169; `+grace, `leave it out for the default, 24`),
		fromVars("webhook_test webhook_id of a group", "hookd_webhook_test", map[string]any{"webhook_id": "grp_0123456789abcdefghij"}, "webhook_id",
			`webhook_id must be a webhook id such as wh_0123456789abcdefghij, got "grp_0123456789abcdefghij".`, `such as wh_0123456789abcdefghij`),
		fromVars("recover webhook_id of a delivery", "hookd_webhook_recover", map[string]any{"webhook_id": "dlv_0123456789abcdefghij", "since": okSince}, "webhook_id",
			`webhook_id must be a webhook id such as wh_0123456789abcdefghij, got "dlv_0123456789abcdefghij".`, `such as wh_0123456789abcdefghij`),
		fromVars("recover since not a time", "hookd_webhook_recover", map[string]any{"webhook_id": okWebhook, "since": "yesterday"}, "since",
			`since: "yesterday" `+rfc3339, `write a date, a time and a zone`),
		fromVars("recover until not a time", "hookd_webhook_recover", map[string]any{"webhook_id": okWebhook, "since": okSince, "until": "now"}, "until",
			`until: "now" `+rfc3339, `write a date, a time and a zone`),
		fromVars("recover until before since", "hookd_webhook_recover", map[string]any{"webhook_id": okWebhook, "since": okSince, "until": "2026-11-30T02:00:00Z"}, "until",
			`until (2026-11-30T02:00:00Z) must be after since (2026-11-30T03:00:00Z).`, `must be after since`),
		fromVars("recover status not replayable", "hookd_webhook_recover", map[string]any{"webhook_id": okWebhook, "since": okSince, "status": "retrying"}, "status",
			`status must be one of "dead_lettered", "succeeded" or "canceled", got "retrying"; leave it out to replay the "dead_lettered" ones; hookd_delivery_retry retries a "retrying" delivery now.`, `leave it out to replay the "dead_lettered" ones`),
	)
}

// The bad-input table of the list resources (terraform query, Terraform
// 1.14+): each wrong filter is refused with the exact message.
func TestAccBadInputLists(t *testing.T) {
	env := acctest.Start(t)
	list := func(typ, config string) string {
		return fmt.Sprintf(`list %q "l" {
  provider = hookd
  config {
%s
  }
}
`, typ, config)
	}
	checkBadInput(t, env, []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.ListResources)}, []badCase{
		{"hookd_group name_prefix empty", list("hookd_group", `    name_prefix = ""`), "name_prefix",
			`name_prefix must not be empty; leave it out to list every group.`, `leave it out to list every group`},
		{"hookd_group name_prefix 101 characters", list("hookd_group", fmt.Sprintf(`    name_prefix = %q`, strings.Repeat("é", 101))), "name_prefix",
			`name_prefix must be at most 100 characters, got 101; remove 1 character.`, `remove 1 character`},
		{"hookd_group name_prefix with a zero-width space", list("hookd_group", `    name_prefix = "pay\u200b"`), "name_prefix",
			`name_prefix contains U+200B (ZERO WIDTH SPACE) at character 4: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it.`, `remove it`},
		{"hookd_account_webhook event a pattern", list("hookd_account_webhook", `    event = "transfer.*"`), "event",
			`event: "transfer.*" is a pattern: give one event type, such as "transfer.created".`, `give one event type, such as "transfer.created"`},
		{"hookd_account_webhook event empty", list("hookd_account_webhook", `    event = ""`), "event",
			`event: must be an event type such as "transfer.created", not empty.`, `such as "transfer.created"`},
		{"hookd_group_webhook group_id of the wrong shape", list("hookd_group_webhook", `    group_id = "payments"`), "group_id",
			`group_id must be a group id such as grp_0123456789abcdefghij, got "payments".`, `such as grp_0123456789abcdefghij`},
		{"hookd_group_webhook event a pattern", list("hookd_group_webhook", `    event = "*"`), "event",
			`event: "*" is a pattern: give one event type, such as "transfer.created".`, `give one event type, such as "transfer.created"`},
	})
}

// The review's own case: terraform plan -invoke of an action whose id comes
// from -var. The plan fails with the same error as a literal id. (Terraform
// 1.16 shows the action's config block for it, not the argument's line, as
// it does for any diagnostic of an action planned by -invoke.)
func TestAccBadInputActions_invokeWithVar(t *testing.T) {
	env := acctest.Start(t)
	tf := acctest.NewTerraform(t)
	tf.VersionChecks(acctest.RequireFeature(acctest.Actions))
	tf.WriteFile("main.tf", env.Config(`
variable "d" {
  type = string
}

action "hookd_delivery_retry" "r" {
  config {
    delivery_id = var.d
  }
}`))
	tf.Init()
	stdout, stderr, err := tf.Run("plan", "-input=false", "-no-color", "-invoke=action.hookd_delivery_retry.r", "-var", "d=evt_0123456789abcdefghij")
	out := stdout + stderr
	want := acctest.Words("Error: Invalid delivery id", "with action.hookd_delivery_retry.r",
		`delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "evt_0123456789abcdefghij".`)
	if err == nil || !want.MatchString(out) {
		t.Fatalf("terraform plan -invoke with -var d=evt_...: %v; want %s in:\n%s", err, want, out)
	}
}

// Each wrong filter's error points at the filter's own line in the list
// block, whether the provider refused it while Terraform validated the
// list block (the shape of name_prefix, event, group_id) or while listing
// (an event type the catalog does not have).
func TestAccBadInputLists_argumentLine(t *testing.T) {
	env := acctest.Start(t)
	tf := acctest.NewTerraform(t)
	tf.VersionChecks(acctest.RequireFeature(acctest.ListResources))
	tf.WriteFile("main.tf", env.Config(""))
	tf.Init()
	for _, tc := range []struct {
		name, typ, arg, summary string
	}{
		{"name_prefix empty", "hookd_group", `name_prefix = ""`, "Invalid name_prefix"},
		{"event a pattern", "hookd_account_webhook", `event = "transfer.*"`, "Invalid event type"},
		{"group_id of the wrong shape", "hookd_group_webhook", `group_id = "payments"`, "Invalid group id"},
		{"event not in the catalog", "hookd_group_webhook", `event = "transfer.craeted"`, "Unknown event type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tf.WriteFile("main.tfquery.hcl", fmt.Sprintf(`list %q "l" {
  provider = hookd
  config {
    %s
  }
}
`, tc.typ, tc.arg))
			stdout, stderr, err := tf.Run("query", "-no-color")
			out := stdout + stderr
			want := acctest.Words("Error: "+tc.summary, `on main.tfquery.hcl line 4, in list "`+tc.typ+`" "l":`, "4: "+tc.arg)
			if err == nil || !want.MatchString(out) {
				t.Errorf("terraform query: %v; want the error at line 4 (%s):\n%s", err, tc.arg, out)
			}
		})
	}
}
