package provider_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

const (
	importOnly     = "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."
	importAndWrite = "Plan: 1 to import, 0 to add, 1 to change, 0 to destroy."
)

// generateConfigCase is one object imported with terraform plan
// -generate-config-out.
type generateConfigCase struct {
	name    string
	address string
	// create makes the object through the API and returns its id and the
	// arguments the generated configuration must hold, no more (no id,
	// secret, scope, status or other computed-only attribute).
	create func(t *testing.T) (id string, want map[string]any)
	// complete adds to the generated configuration what the API never
	// returns, as a user would; nil when nothing is missing.
	complete func(generated string) string
	// plan is the summary of the plan of the completed configuration,
	// action what it does to the imported object besides importing it, and
	// changed the attributes it changes.
	plan    string
	action  tfjson.Action
	changed []string
	// asGenerated, when set, is what the plan of the configuration as
	// generated does (summary, action, changed); by default nothing but
	// the import.
	asGenerated *generatedPlan
}

type generatedPlan struct {
	summary string
	action  tfjson.Action
	changed []string
}

// Import by id, generate the configuration, add back what the API cannot
// return: the plan imports and changes nothing (or, for a value the API
// never returns, writes it once), and after the apply there is nothing left
// to do.
func TestAccGenerateConfig(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, http.StatusOK)
	ctx := context.Background()
	deleteWebhook := func(t *testing.T, id string) {
		t.Cleanup(func() { _ = env.Client.DeleteWebhook(context.Background(), id) })
	}

	cases := []generateConfigCase{
		{
			name:    "group",
			address: "hookd_group.test",
			create: func(t *testing.T) (string, map[string]any) {
				name := acctest.RandomName("group")
				g, err := env.Client.CreateGroup(ctx, client.CreateGroupRequest{Name: name, Description: ptr("Imported")})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = env.Client.DeleteGroup(context.Background(), g.ID) })
				return g.ID, map[string]any{"name": name, "description": "Imported"}
			},
			plan:   importOnly,
			action: tfjson.ActionNoop,
		},
		{
			name:    "account_webhook",
			address: "hookd_account_webhook.test",
			create: func(t *testing.T) (string, map[string]any) {
				wh, err := env.Client.CreateAccountWebhook(ctx, client.CreateWebhookRequest{
					Name: ptr("audit"), Description: ptr("to the audit log"), URL: rcv.URL,
					Events: []string{"workspace.*", "transfer.created"}, Active: ptr(false),
					Headers: map[string]string{"X-Team": "audit"},
				})
				if err != nil {
					t.Fatal(err)
				}
				deleteWebhook(t, wh.ID)
				return wh.ID, map[string]any{
					"name": "audit", "description": "to the audit log", "url": rcv.URL,
					"events": []any{"transfer.created", "workspace.*"}, "active": false,
					"headers":    map[string]any{"X-Team": "audit"},
					"auth_token": nil, "secret_rotation": nil, "test_on_apply": nil, "signature_scheme": "v1",
				}
			},
			plan:   importOnly,
			action: tfjson.ActionNoop,
		},
		{
			name:    "group_webhook",
			address: "hookd_group_webhook.test",
			create: func(t *testing.T) (string, map[string]any) {
				group := newGroup(t, env)
				t.Cleanup(func() { _ = env.Client.DeleteGroup(context.Background(), group) })
				wh, err := env.Client.CreateGroupWebhook(ctx, group, client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"*"}})
				if err != nil {
					t.Fatal(err)
				}
				deleteWebhook(t, wh.ID)
				return wh.ID, map[string]any{
					"group_id": group, "url": rcv.URL, "events": []any{"*"}, "active": true,
					"name": nil, "description": nil, "headers": nil,
					"auth_token": nil, "secret_rotation": nil, "test_on_apply": nil, "signature_scheme": "v1",
				}
			},
			plan:   importOnly,
			action: tfjson.ActionNoop,
		},
		{
			// The API never returns an auth token: the generated
			// configuration has auth_token = null, which would remove the
			// server's token, and the plan says so (auth_token_set goes
			// false). Once the user puts the token back, the first apply
			// writes it (the same value) so that Terraform knows it.
			name:    "account_webhook_with_auth_token",
			address: "hookd_account_webhook.test",
			create: func(t *testing.T) (string, map[string]any) {
				wh, err := env.Client.CreateAccountWebhook(ctx, client.CreateWebhookRequest{
					URL: rcv.URL, Events: []string{"*"}, AuthToken: ptr("tok-imported"),
				})
				if err != nil {
					t.Fatal(err)
				}
				deleteWebhook(t, wh.ID)
				return wh.ID, map[string]any{
					"url": rcv.URL, "events": []any{"*"}, "active": true,
					"name": nil, "description": nil, "headers": nil,
					"auth_token": nil, "secret_rotation": nil, "test_on_apply": nil, "signature_scheme": "v1",
				}
			},
			complete: func(generated string) string {
				return regexp.MustCompile(`(?m)^(\s*auth_token\s*=\s*)null\b.*$`).ReplaceAllString(generated, `${1}"tok-imported"`)
			},
			plan:    importAndWrite,
			action:  tfjson.ActionUpdate,
			changed: []string{"auth_token", "disabled_reason", "status", "updated_at"},
			asGenerated: &generatedPlan{
				summary: importAndWrite, action: tfjson.ActionUpdate, changed: []string{"auth_token_fingerprint", "auth_token_set", "disabled_reason", "status", "updated_at"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testGenerateConfig(t, env, tc)
		})
	}
}

func testGenerateConfig(t *testing.T, env *acctest.Env, tc generateConfigCase) {
	id, want := tc.create(t)
	tf := acctest.NewTerraform(t)
	tf.WriteFile("main.tf", env.Config(fmt.Sprintf(`
import {
  to = %s
  id = %q
}
`, tc.address, id)))
	tf.Init()

	plan, err := tf.Plan(tfexec.GenerateConfigOut("generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	first := generatedPlan{summary: importOnly, action: tfjson.ActionNoop}
	if tc.asGenerated != nil {
		first = *tc.asGenerated
	}
	checkImportPlan(t, plan, tc.address, id, first.summary, first.action, first.changed)
	generated := tf.ReadFile("generated.tf")
	got, err := acctest.ResourceArguments(generated, tc.address)
	if err != nil {
		t.Fatal(err)
	}
	// Newer Terraform writes the write-only arguments, null (there is
	// nothing to read back); 1.11 leaves them out. Either is right.
	for _, k := range []string{"secret_wo", "secret_wo_version", "secret_wo_grace_period_hours", "auth_token_wo", "auth_token_wo_version"} {
		if v, ok := got[k]; ok && v == nil {
			delete(got, k)
		}
	}
	if diff := argumentsDiff(want, got); diff != "" {
		t.Errorf("generated.tf, as generated:\n%s\n%s", diff, generated)
	}

	if tc.complete != nil {
		generated = tc.complete(generated)
		if got, err := acctest.ResourceArguments(generated, tc.address); err != nil || reflect.DeepEqual(got, want) {
			t.Fatalf("complete changed nothing in generated.tf (%v):\n%s", err, generated)
		}
		tf.WriteFile("generated.tf", generated)
	}
	plan, err = tf.Plan()
	if err != nil {
		t.Fatalf("the generated configuration does not plan: %v\ngenerated.tf:\n%s", err, generated)
	}
	shown := t.Failed()
	checkImportPlan(t, plan, tc.address, id, tc.plan, tc.action, tc.changed)
	if t.Failed() {
		if !shown {
			t.Logf("generated.tf:\n%s", generated)
		}
		return
	}

	if err := tf.Apply(); err != nil {
		t.Fatalf("terraform apply: %v", err)
	}
	plan, err = tf.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if plan.Changes {
		t.Errorf("after the import, the plan is not empty:\n%s", plan.Output)
	}
}

// checkImportPlan asserts that the plan imports address with id, does
// action to it (no-op: nothing but the import), changing the attributes
// changed, and nothing else.
func checkImportPlan(t *testing.T, plan *acctest.Plan, address, id, summary string, action tfjson.Action, changed []string) {
	t.Helper()
	if !strings.Contains(plan.Output, summary) {
		t.Errorf("the plan does not say %q:\n%s", summary, plan.Output)
	}
	if !plan.Changes {
		t.Errorf("terraform plan -detailed-exitcode exited 0: an import is a change")
	}
	var changes []string
	for _, rc := range plan.JSON.ResourceChanges {
		if rc.Address != address || rc.Change == nil {
			changes = append(changes, rc.Address)
			continue
		}
		if rc.Change.Importing == nil || rc.Change.Importing.ID != id {
			t.Errorf("%s is not imported with id %s: %+v", address, id, rc.Change.Importing)
		}
		if got := rc.Change.Actions; len(got) != 1 || got[0] != action {
			t.Errorf("%s: actions %v, want [%s]\n%s", address, got, action, plan.Output)
		}
		if got := changedAttributes(rc.Change); !reflect.DeepEqual(got, changed) {
			t.Errorf("%s: the plan changes %v, want %v\n%s", address, got, changed, plan.Output)
		}
	}
	if len(changes) > 0 || len(plan.JSON.ResourceChanges) != 1 {
		t.Errorf("the plan changes %v besides %s", changes, address)
	}
}

// changedAttributes lists the top-level attributes whose planned value
// differs from the prior one (sensitive values are in the JSON plan too), or
// is unknown.
func changedAttributes(c *tfjson.Change) []string {
	before, _ := c.Before.(map[string]any)
	after, _ := c.After.(map[string]any)
	unknown, _ := c.AfterUnknown.(map[string]any)
	var changed []string
	for k, v := range after {
		if !reflect.DeepEqual(before[k], v) || unknown[k] == true {
			changed = append(changed, k)
		}
	}
	for k := range unknown {
		if _, known := after[k]; !known && unknown[k] == true {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	return changed
}

// argumentsDiff lists, one per line, the arguments of got that differ from
// want, that want lacks, or that got lacks.
func argumentsDiff(want, got map[string]any) string {
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var lines []string
	for k := range keys {
		w, inWant := want[k]
		g, inGot := got[k]
		switch {
		case !inGot:
			lines = append(lines, fmt.Sprintf("  %s: missing, want %#v", k, w))
		case !inWant:
			lines = append(lines, fmt.Sprintf("  %s = %#v: not wanted", k, g))
		case !reflect.DeepEqual(w, g):
			lines = append(lines, fmt.Sprintf("  %s = %#v, want %#v", k, g, w))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
