package provider_test

import (
	"fmt"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// terraform query -generate-config-out on a server holding groups and
// webhooks made outside Terraform writes a resource and an import block
// (by identity) for each; with them, terraform plan imports every object
// and changes nothing, terraform apply is clean, and the next plan is
// empty. What the API never returns cannot be generated: these webhooks
// have no auth token (one with a token would plan its removal, as
// TestAccGenerateConfig shows for a single import).
func TestAccQueryGenerateConfig(t *testing.T) {
	env := acctest.Start(t)
	ownServer(t, env)
	tf := acctest.NewTerraform(t)
	tf.VersionChecks(acctest.RequireFeature(acctest.ListResources))
	rcv := acctest.NewReceiver(t, 200)
	prefix := acctest.RandomName("query")

	// want is what the generated configuration holds for each id, and
	// display what terraform query shows for it.
	want := map[string]map[string]any{}
	display := map[string]string{}
	payments := createGroup(t, env, prefix+"-payments", ptr("Payments"))
	want[payments.ID] = map[string]any{"name": payments.Name, "description": "Payments"}
	display[payments.ID] = payments.Name
	search := createGroup(t, env, prefix+"-search", nil)
	want[search.ID] = map[string]any{"name": search.Name, "description": nil}
	display[search.ID] = search.Name

	webhook := func(id string, args map[string]any) {
		want[id] = map[string]any{
			"name": nil, "description": nil, "headers": nil, "active": true,
			"auth_token": nil, "secret_rotation": nil, "test_on_apply": nil, "signature_scheme": "v1",
		}
		for k, v := range args {
			want[id][k] = v
		}
		label, _ := args["url"].(string)
		if name, ok := args["name"].(string); ok {
			label = name
		}
		display[id] = label + " (" + id + ")"
	}
	audit := createAccountWebhook(t, env, client.CreateWebhookRequest{
		Name: ptr("audit"), Description: ptr("to the audit log"), URL: rcv.URL + "/audit",
		Events: []string{"workspace.*", "transfer.created"}, Active: ptr(false), Headers: map[string]string{"X-Team": "audit"},
	})
	webhook(audit, map[string]any{
		"name": "audit", "description": "to the audit log", "url": rcv.URL + "/audit",
		"events": []any{"transfer.created", "workspace.*"}, "active": false, "headers": map[string]any{"X-Team": "audit"},
	})
	everything := createAccountWebhook(t, env, client.CreateWebhookRequest{URL: rcv.URL + "/all", Events: []string{"*"}})
	webhook(everything, map[string]any{"url": rcv.URL + "/all", "events": []any{"*"}})
	ledger := createGroupWebhook(t, env, payments.ID, client.CreateWebhookRequest{
		Name: ptr("ledger"), URL: rcv.URL + "/ledger", Events: []string{"transfer.*"}, Headers: map[string]string{"X-Ledger": "1"},
	})
	webhook(ledger, map[string]any{
		"group_id": payments.ID, "name": "ledger", "url": rcv.URL + "/ledger",
		"events": []any{"transfer.*"}, "headers": map[string]any{"X-Ledger": "1"},
	})
	indexer := createGroupWebhook(t, env, search.ID, client.CreateWebhookRequest{URL: rcv.URL + "/indexer", Events: []string{"workspace.created"}, Active: ptr(false)})
	webhook(indexer, map[string]any{"group_id": search.ID, "url": rcv.URL + "/indexer", "events": []any{"workspace.created"}, "active": false})

	tf.WriteFile("main.tf", env.Config(""))
	tf.WriteFile("search.tfquery.hcl", fmt.Sprintf(`
list "hookd_group" "teams" {
  provider = hookd
  config {
    name_prefix = %q
  }
}

list "hookd_account_webhook" "all" {
  provider = hookd
}

list "hookd_group_webhook" "all" {
  provider = hookd
}
`, prefix))
	tf.Init()

	stdout, stderr, err := tf.Run("query", "-no-color", "-generate-config-out=generated.tf")
	if err != nil {
		t.Fatalf("terraform query: %v\n%s%s", err, stdout, stderr)
	}
	for id, name := range display {
		if !strings.Contains(stdout, name) {
			t.Errorf("terraform query does not show %q for %s:\n%s", name, id, stdout)
		}
	}
	generated := tf.ReadFile("generated.tf")
	imports, err := acctest.GeneratedImports(generated)
	if err != nil {
		t.Fatal(err)
	}
	addresses := map[string]string{}
	for _, imp := range imports {
		if _, ok := want[imp.ID]; !ok || addresses[imp.ID] != "" {
			t.Errorf("generated.tf imports %s to %s: not one of the objects, or twice", imp.ID, imp.To)
		}
		addresses[imp.ID] = imp.To
	}
	for id, args := range want {
		address, ok := addresses[id]
		if !ok {
			t.Errorf("generated.tf has no import block for %s", id)
			continue
		}
		got, err := acctest.ResourceArguments(generated, address)
		if err != nil {
			t.Fatal(err)
		}
		// Write-only arguments are generated null: nothing reads them back.
		for _, k := range []string{"secret_wo", "secret_wo_version", "secret_wo_grace_period_hours", "auth_token_wo", "auth_token_wo_version"} {
			if v, ok := got[k]; ok && v == nil {
				delete(got, k)
			}
		}
		if diff := argumentsDiff(args, got); diff != "" {
			t.Errorf("generated.tf, %s (%s):\n%s", address, id, diff)
		}
	}
	if t.Failed() {
		t.Fatalf("generated.tf:\n%s", generated)
	}

	plan, err := tf.Plan()
	if err != nil {
		t.Fatalf("the generated configuration does not plan: %v\ngenerated.tf:\n%s", err, generated)
	}
	if summary := fmt.Sprintf("Plan: %d to import, 0 to add, 0 to change, 0 to destroy.", len(want)); !strings.Contains(plan.Output, summary) {
		t.Errorf("the plan does not say %q:\n%s", summary, plan.Output)
	}
	for _, rc := range plan.JSON.ResourceChanges {
		if rc.Change == nil || rc.Change.Importing == nil || len(rc.Change.Actions) != 1 || rc.Change.Actions[0] != tfjson.ActionNoop {
			t.Errorf("%s: %+v, want an import and nothing else", rc.Address, rc.Change)
			continue
		}
		if changed := changedAttributes(rc.Change); len(changed) > 0 {
			t.Errorf("%s: the plan changes %v", rc.Address, changed)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if err := tf.Apply(); err != nil {
		t.Fatalf("terraform apply: %v", err)
	}
	plan, err = tf.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if plan.Changes {
		t.Errorf("after the imports, the plan is not empty:\n%s", plan.Output)
	}
}
