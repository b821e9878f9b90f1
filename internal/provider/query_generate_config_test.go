package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// terraform query -generate-config-out on a server holding groups and
// webhooks made outside Terraform (one signing with v1a, one with an auth
// token) writes a resource and an import block (by identity) for each;
// with them, terraform plan imports every object and changes nothing but
// what the README says: the API never returns an auth token, so the query
// warns about the webhook that has one, and the configuration as
// generated (auth_token = null) plans to remove its token (auth_token_set
// true -> false). Given the token again, through auth_token_wo, the plan
// imports and sends it once more (an in-place update that keeps it);
// terraform apply is clean, the server's token is the same, and the next
// plan is empty.
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
	signer := createGroupWebhook(t, env, search.ID, client.CreateWebhookRequest{
		Name: ptr("signer"), URL: rcv.URL + "/signer", Events: []string{"*"}, SignatureScheme: ptr(client.SchemeV1a),
	})
	webhook(signer, map[string]any{"group_id": search.ID, "name": "signer", "url": rcv.URL + "/signer", "events": []any{"*"}, "signature_scheme": "v1a"})
	const token = "tok-payroll"
	payroll := createAccountWebhook(t, env, client.CreateWebhookRequest{
		Name: ptr("payroll"), URL: rcv.URL + "/payroll", Events: []string{"transfer.*"}, AuthToken: ptr(token),
	})
	// Generated like the others: the token is not there.
	webhook(payroll, map[string]any{"name": "payroll", "url": rcv.URL + "/payroll", "events": []any{"transfer.*"}})
	before, err := env.Client.GetWebhook(context.Background(), payroll)
	if err != nil || !before.AuthTokenSet || before.AuthTokenFingerprint == nil {
		t.Fatalf("webhook %s has no auth token: %v %+v", payroll, err, before)
	}

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
	// One warning, naming the webhook with a token and what to do.
	const warning = "Warning: Webhook with an auth token: set it before applying generated configuration"
	if n := strings.Count(stdout, warning); n != 1 {
		t.Errorf("terraform query warns %d times about auth tokens, want once (webhook %s):\n%s", n, payroll, stdout)
	}
	if want := acctest.Words(warning, "Webhook payroll ("+payroll+") has an auth token (auth_token_set = true)",
		"applied as written, it removes the server's token (the plan shows auth_token_set = true -> false).",
		"Before applying, set auth_token (from a variable) or auth_token_wo and auth_token_wo_version in its hookd_account_webhook block"); !want.MatchString(stdout) {
		t.Errorf("terraform query does not warn %s:\n%s", want, stdout)
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

	// As generated: every object imported, the webhook with a token
	// updated to have none, as the README says.
	plan, err := tf.Plan()
	if err != nil {
		t.Fatalf("the generated configuration does not plan: %v\ngenerated.tf:\n%s", err, generated)
	}
	removal := []string{"auth_token_fingerprint", "auth_token_set", "disabled_reason", "status", "updated_at"}
	checkQueryPlan(t, plan, len(want), addresses[payroll], removal, false)
	if !regexp.MustCompile(`(?m)^\s*~ auth_token_set\s+= true -> false$`).MatchString(plan.Output) {
		t.Errorf("the plan does not show auth_token_set = true -> false:\n%s", plan.Output)
	}
	// And it says so in words, naming the webhook.
	if !acctest.Words("Warning: Auth token removed by this plan", "Webhook "+payroll+" sends an auth token, and the configuration sets neither auth_token nor auth_token_wo").MatchString(plan.Output) {
		t.Errorf("the plan does not warn that it removes the token of %s:\n%s", payroll, plan.Output)
	}

	// The token given again, write-only: the plan imports, and sends it
	// once more in place, the token kept.
	generated = setArguments(t, generated, addresses[payroll], map[string]string{"auth_token_wo": fmt.Sprintf("%q", token), "auth_token_wo_version": "1"})
	tf.WriteFile("generated.tf", generated)
	plan, err = tf.Plan()
	if err != nil {
		t.Fatalf("the completed configuration does not plan: %v\ngenerated.tf:\n%s", err, generated)
	}
	// The fingerprint of what is sent is known after the apply only.
	checkQueryPlan(t, plan, len(want), addresses[payroll], []string{"auth_token_fingerprint", "auth_token_wo_version", "disabled_reason", "status", "updated_at"}, true)
	if regexp.MustCompile(`auth_token_set\s+= true -> false`).MatchString(plan.Output) {
		t.Errorf("the plan still removes the token:\n%s", plan.Output)
	}
	if t.Failed() {
		t.FailNow()
	}
	if err := tf.Apply(); err != nil {
		t.Fatalf("terraform apply: %v", err)
	}
	after, err := env.Client.GetWebhook(context.Background(), payroll)
	if err != nil {
		t.Fatal(err)
	}
	if !after.AuthTokenSet || after.AuthTokenFingerprint == nil || *after.AuthTokenFingerprint != *before.AuthTokenFingerprint {
		t.Errorf("after the apply, webhook %s has auth_token_set %v, fingerprint %v; want its token, fingerprint %s",
			payroll, after.AuthTokenSet, after.AuthTokenFingerprint, *before.AuthTokenFingerprint)
	}
	plan, err = tf.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if plan.Changes {
		t.Errorf("after the imports, the plan is not empty:\n%s", plan.Output)
	}
}

// checkQueryPlan asserts that the plan imports all objects and changes
// none but updated, in place, whose changed attributes are changed, with
// auth_token_set true before and tokenAfter after.
func checkQueryPlan(t *testing.T, plan *acctest.Plan, all int, updated string, changed []string, tokenAfter bool) {
	t.Helper()
	if summary := fmt.Sprintf("Plan: %d to import, 0 to add, 1 to change, 0 to destroy.", all); !strings.Contains(plan.Output, summary) {
		t.Errorf("the plan does not say %q:\n%s", summary, plan.Output)
	}
	if len(plan.JSON.ResourceChanges) != all {
		t.Errorf("the plan has %d resource changes, want %d", len(plan.JSON.ResourceChanges), all)
	}
	for _, rc := range plan.JSON.ResourceChanges {
		if rc.Change == nil || rc.Change.Importing == nil {
			t.Errorf("%s: %+v, not an import", rc.Address, rc.Change)
			continue
		}
		action, wantChanged := tfjson.ActionNoop, []string(nil)
		if rc.Address == updated {
			action, wantChanged = tfjson.ActionUpdate, changed
		}
		if len(rc.Change.Actions) != 1 || rc.Change.Actions[0] != action {
			t.Errorf("%s: actions %v, want an import and [%s]", rc.Address, rc.Change.Actions, action)
		}
		if got := changedAttributes(rc.Change); strings.Join(got, " ") != strings.Join(wantChanged, " ") {
			t.Errorf("%s: the plan changes %v, want %v", rc.Address, got, wantChanged)
		}
		if rc.Address != updated {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		if before["auth_token_set"] != true || after["auth_token_set"] != tokenAfter {
			t.Errorf("%s: auth_token_set %v -> %v, want true -> %v", rc.Address, before["auth_token_set"], after["auth_token_set"], tokenAfter)
		}
	}
	if t.Failed() {
		t.Logf("the plan:\n%s", plan.Output)
	}
}

// setArguments sets arguments of the resource block at address in a
// generated configuration, each on the line Terraform generated for it
// ("auth_token_wo = null # sensitive"), as a user would edit it.
func setArguments(t *testing.T, generated, address string, args map[string]string) string {
	t.Helper()
	typ, name, _ := strings.Cut(address, ".")
	header := fmt.Sprintf("resource %q %q {\n", typ, name)
	start := strings.Index(generated, header)
	if start < 0 {
		t.Fatalf("no block %s in generated.tf:\n%s", header, generated)
	}
	end := start + strings.Index(generated[start:], "\n}\n")
	block := generated[start:end]
	for k, v := range args {
		line := regexp.MustCompile(`(?m)^(\s*` + regexp.QuoteMeta(k) + `\s*=\s*).*$`)
		if !line.MatchString(block) {
			t.Fatalf("no %s in %s:\n%s", k, address, block)
		}
		block = line.ReplaceAllLiteralString(block, "  "+k+" = "+v)
	}
	return generated[:start] + block + generated[end:]
}
