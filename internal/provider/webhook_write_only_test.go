package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

func newSecret(t *testing.T) string {
	t.Helper()
	s, err := rules.NewSigningSecret(rules.DefaultSecretBytes)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// secretVariables declare the secret and the token as ephemeral variables,
// as they would come from a secret store: a literal would be in the plan's
// copy of the configuration, and a plain variable in the saved plan.
const secretVariables = `
variable "secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "token" {
  type      = string
  sensitive = true
  ephemeral = true
}
`

// writeOnlyVersion skips a test on a CLI without write-only arguments
// (Terraform and OpenTofu before 1.11), asking the CLI itself.
var writeOnlyVersion = []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.WriteOnly)}

// writeOnlyImportIgnore: besides what the API never returns, the versions
// of write-only values are Terraform's own.
var writeOnlyImportIgnore = append([]string{"secret_wo_version", "auth_token_wo_version", "secret_wo_grace_period_hours"}, importIgnore...)

// secret_wo and auth_token_wo, on both scopes: sent on create, never in
// plan or state; a new value alone plans nothing; a new version installs it
// in place with one rotate call, and a real delivery verifies with the new
// secret and, in the grace window, the old one; a secret or token changed
// outside Terraform is seen through its fingerprint and installed again;
// removing auth_token_wo removes the token.
func TestAccWebhookWriteOnly_lifecycle(t *testing.T) {
	for _, scope := range []string{"account", "group"} {
		t.Run(scope, func(t *testing.T) { testWriteOnlyLifecycle(t, scope) })
	}
}

func testWriteOnlyLifecycle(t *testing.T, scope string) {
	env := acctest.Start(t)
	counter := env.NewCounter(t)
	rcv := acctest.NewReceiver(t, 200)
	addr := "hookd_" + scope + "_webhook.test"
	s1, s2 := newSecret(t), newSecret(t)
	// Every delivery is signed with one of the secrets the test installs.
	rcv.Trust(s1, s2)
	rcv.VerifyWhenDone(t)
	t1, t2 := "tok-"+newSecret(t)[6:30], "tok-"+newSecret(t)[6:30]
	group := acctest.RandomName("wo")
	var id, groupID string

	// The values come from ephemeral variables, as they would from a secret
	// store: a literal would be in the plan's copy of the configuration.
	hcl := func(secretVersion int, withToken bool, tokenVersion int) string {
		groupBlock, groupID := "", ""
		if scope == "group" {
			groupBlock = fmt.Sprintf("resource \"hookd_group\" \"test\" {\n  name = %q\n}\n", group)
			groupID = "group_id = hookd_group.test.id"
		}
		tokenArgs := ""
		if withToken {
			tokenArgs = fmt.Sprintf("auth_token_wo = var.token\n  auth_token_wo_version = %d", tokenVersion)
		}
		return fmt.Sprintf(`
provider "hookd" {
  endpoint    = %q
  api_key     = %q
  max_retries = 1
}

%s
%s
resource "hookd_%s_webhook" "test" {
  %s
  url                          = %q
  events                       = ["transfer.created"]
  secret_wo                    = var.secret
  secret_wo_version            = %d
  secret_wo_grace_period_hours = 1
  %s
}`, counter.URL, env.APIKey, secretVariables, groupBlock, scope, groupID, rcv.URL, secretVersion, tokenArgs)
	}
	vars := func(secret, token string) config.Variables {
		return config.Variables{"secret": config.StringVariable(secret), "token": config.StringVariable(token)}
	}
	fingerprint := func(attr, value string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), knownvalue.StringExact(rules.Fingerprint(value)))
	}
	nullAttrs := func(attrs ...string) []statecheck.StateCheck {
		var checks []statecheck.StateCheck
		for _, a := range attrs {
			checks = append(checks, statecheck.ExpectKnownValue(addr, tfjsonpath.New(a), knownvalue.Null()))
		}
		return checks
	}
	rotations := func() int { return counter.Count("POST", "/v1/webhooks/"+id+"/secret/rotate") }

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersion,
		Steps: []resource.TestStep{
			{
				Config:          hcl(1, true, 1),
				ConfigVariables: vars(s1, t1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
						acctest.PlanDoesNotContain(s1, t1),
					},
				},
				ConfigStateChecks: append([]statecheck.StateCheck{
					acctest.StateDoesNotContain(s1, t1),
					fingerprint("secret_fingerprint", s1),
					fingerprint("auth_token_fingerprint", t1),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("auth_token_set"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("secret_wo_version"), knownvalue.Int64Exact(1)),
				}, nullAttrs("secret", "secret_wo", "auth_token", "auth_token_wo")...),
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources[addr].Primary.ID
					groupID = s.RootModule().Resources[addr].Primary.Attributes["group_id"]
					return groupDeliveryVerifiesWith(env, rcv, groupID, s1)
				},
			},
			{
				ConfigVariables:         vars(s1, t1),
				ResourceName:            addr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: writeOnlyImportIgnore,
			},
			{
				// Terraform cannot see a write-only value change: only the
				// version says when to send it.
				Config:          hcl(1, true, 1),
				ConfigVariables: vars(s2, t2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config:          hcl(2, true, 1),
				ConfigVariables: vars(s2, t2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(addr, tfjsonpath.New("secret_fingerprint")),
						plancheck.ExpectUnknownValue(addr, tfjsonpath.New("updated_at")),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("auth_token_fingerprint"), knownvalue.StringExact(rules.Fingerprint(t1))),
						acctest.PlanDoesNotContain(s1, s2, t1, t2),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append([]statecheck.StateCheck{
					acctest.StateDoesNotContain(s1, s2, t1, t2),
					fingerprint("secret_fingerprint", s2),
					fingerprint("auth_token_fingerprint", t1),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("previous_secret_expires_at"), knownvalue.NotNull()),
				}, nullAttrs("secret")...),
				Check: func(*terraform.State) error {
					if n := rotations(); n != 1 {
						return fmt.Errorf("%d rotate calls, want 1", n)
					}
					// The new secret and, in its grace window, the old one.
					return groupDeliveryVerifiesWith(env, rcv, groupID, s2, s1)
				},
			},
			{
				// Rotated and token replaced outside Terraform: the refresh
				// sees other fingerprints, and apply installs both again.
				PreConfig: func() {
					ctx := context.Background()
					if _, err := env.Client.RotateSecret(ctx, id, client.RotateSecretRequest{}); err != nil {
						t.Fatal(err)
					}
					if _, err := env.Client.UpdateWebhook(ctx, id, client.UpdateWebhookRequest{AuthToken: client.Set("tok-outside-terraform")}); err != nil {
						t.Fatal(err)
					}
				},
				Config:          hcl(2, true, 1),
				ConfigVariables: vars(s2, t2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(addr, tfjsonpath.New("secret_fingerprint")),
						plancheck.ExpectUnknownValue(addr, tfjsonpath.New("auth_token_fingerprint")),
						acctest.PlanDoesNotContain(s2, t2),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.StateDoesNotContain(s2, t2),
					fingerprint("secret_fingerprint", s2),
					// The token sent again is the configured one: t2.
					fingerprint("auth_token_fingerprint", t2),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(4)),
				},
				Check: func(*terraform.State) error {
					if n := rotations(); n != 2 {
						return fmt.Errorf("%d rotate calls by Terraform in all, want 2", n)
					}
					return nil
				},
			},
			{
				// Without auth_token_wo the token goes.
				Config:          hcl(2, false, 0),
				ConfigVariables: vars(s2, t2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("auth_token_set"), knownvalue.Bool(false)),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("auth_token_fingerprint"), knownvalue.Null()),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("auth_token_set"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("auth_token_fingerprint"), knownvalue.Null()),
					fingerprint("secret_fingerprint", s2),
				},
			},
		},
	})
}

// Bad write-only input fails validation with the exact message, and never
// quotes the value.
func TestAccWebhookWriteOnly_badInput(t *testing.T) {
	env := acctest.Start(t)
	step := func(args, want string) resource.TestStep {
		return resource.TestStep{
			Config: env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url    = "https://example.com/hooks"
  events = ["*"]
  %s
}`, args)),
			PlanOnly:    true,
			ExpectError: acctest.Words(want),
		}
	}
	short := "whsec_" + "c2hvcnQtc2VjcmV0" // 12 bytes
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersion,
		Steps: []resource.TestStep{
			step(`secret_wo = "not-a-secret"
  secret_wo_version = 1`, `secret_wo: malformed secret: must start with "whsec_". ephemeral.hookd_signing_secret makes a valid one.`),
			step(fmt.Sprintf(`secret_wo = %q
  secret_wo_version = 1`, short), `secret_wo: malformed secret: must encode 24 to 64 bytes, got 12.`),
			step(fmt.Sprintf(`secret_wo = %q`, newSecret(t)), `Attribute "secret_wo_version" must be specified when "secret_wo" is specified`),
			step(`secret_wo_version = 1`, `Attribute "secret_wo" must be specified when "secret_wo_version" is specified`),
			step(fmt.Sprintf(`secret_wo = %q
  secret_wo_version = 1
  secret_rotation = { trigger = "1" }`, newSecret(t)), `Attribute "secret_rotation" cannot be specified when "secret_wo" is specified`),
			step(`auth_token = "a"
  auth_token_wo = "b"
  auth_token_wo_version = 1`, `Attribute "auth_token" cannot be specified when "auth_token_wo" is specified`),
			step(`secret_wo_grace_period_hours = 200`, `secret_wo_grace_period_hours must be from 0 to 168 hours, got 200; 0 stops the previous secret verifying at once; leave it out for the default, 24.`),
		},
	})
}

// The Terraform CLI itself, as a user runs it: the state file and the
// saved plan (terraform show -json and the human rendering) hold neither
// write-only value, which come from ephemeral variables; a rotation
// outside Terraform warns on the next plan, which installs secret_wo again.
func TestAccWebhookWriteOnly_stateFileAndSavedPlan(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	tf := acctest.NewTerraform(t)
	tf.VersionChecks(writeOnlyVersion...)
	secret, token := newSecret(t), "tok-"+newSecret(t)[6:40]
	// An auto-loaded variables file, read by plan and by apply of the saved
	// plan (ephemeral variables are not saved in it).
	tf.WriteFile("secrets.auto.tfvars", fmt.Sprintf("secret = %q\ntoken  = %q\n", secret, token))
	tf.WriteFile("main.tf", fmt.Sprintf(`
provider "hookd" {
  endpoint = %q
  api_key  = %q
}

%s
resource "hookd_account_webhook" "test" {
  url                   = %q
  events                = ["transfer.created"]
  secret_wo             = var.secret
  secret_wo_version     = 1
  auth_token_wo         = var.token
  auth_token_wo_version = 1
}
`, env.Endpoint, env.APIKey, secretVariables, rcv.URL))
	tf.Init()
	checkPlan := func(wantChanges bool) *acctest.Plan {
		t.Helper()
		p, err := tf.Plan()
		if err != nil {
			t.Fatal(err)
		}
		if p.Changes != wantChanges {
			t.Fatalf("plan has changes: %v, want %v\n%s", p.Changes, wantChanges, p.Output)
		}
		raw, err := json.Marshal(p.JSON)
		if err != nil {
			t.Fatal(err)
		}
		for what, text := range map[string]string{"saved plan (terraform show -json)": string(raw), "saved plan (terraform show)": p.Shown, "plan output": p.Output} {
			if err := acctest.Absent(what, text, secret, token); err != nil {
				t.Error(err)
			}
		}
		return p
	}
	checkState := func() {
		t.Helper()
		state := tf.ReadFile("terraform.tfstate")
		if err := acctest.Absent("state file", state, secret, token); err != nil {
			t.Error(err)
		}
		for _, fp := range []string{rules.Fingerprint(secret), rules.Fingerprint(token)} {
			if !strings.Contains(state, `"`+fp+`"`) {
				t.Errorf("the state file lacks the fingerprint %s: the check above proves nothing", fp)
			}
		}
	}

	checkPlan(true)
	if err := tf.Apply(); err != nil {
		t.Fatal(err)
	}
	checkState()
	var state struct {
		Resources []struct {
			Instances []struct {
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(tf.ReadFile("terraform.tfstate")), &state); err != nil {
		t.Fatal(err)
	}
	id := state.Resources[0].Instances[0].Attributes.ID
	checkPlan(false)

	if _, err := env.Client.RotateSecret(t.Context(), id, client.RotateSecretRequest{}); err != nil {
		t.Fatal(err)
	}
	p := checkPlan(true)
	if want := acctest.Words("Warning: Signing secret changed outside Terraform", "While secret_wo is configured, the next apply installs it again"); !want.MatchString(p.Output) {
		t.Errorf("the plan does not warn of the rotation outside Terraform:\n%s", p.Output)
	}
	if err := tf.Apply(); err != nil {
		t.Fatal(err)
	}
	checkState()
	wh, err := env.Client.GetWebhook(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if wh.SecretFingerprint != rules.Fingerprint(secret) || wh.SecretVersion != 3 {
		t.Errorf("after apply the server has secret %s at version %d, want secret_wo (%s) installed again at version 3",
			wh.SecretFingerprint, wh.SecretVersion, rules.Fingerprint(secret))
	}
	checkPlan(false)
}
