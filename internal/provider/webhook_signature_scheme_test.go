package provider_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
)

var publicKeyPattern = regexp.MustCompile(`^whpk_[A-Za-z0-9+/]{43}=$`)

// signature_scheme: a v1a webhook gets a known whpk_ public key (the data
// source shows the same), imports, switches v1a -> v1 -> v1a in place (a
// new key pair), and a secret_rotation replaces the key pair.
func TestAccWebhook_signatureScheme(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	group := newGroup(t, env)
	config := func(scheme, extra string) string {
		line := ""
		if scheme != "" {
			line = fmt.Sprintf("signature_scheme = %q", scheme)
		}
		return env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url    = %q
  events = ["*"]
  %s
  %s
}

resource "hookd_group_webhook" "test" {
  group_id         = %q
  url              = %q
  events           = ["transfer.*"]
  signature_scheme = "v1a"
}

data "hookd_webhook" "test" {
  id = hookd_account_webhook.test.id
}`, rcv.URL, line, extra, group, rcv.URL))
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	keys := statecheck.CompareValue(compare.ValuesDiffer())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config("v1a", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("public_key")),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("signature_scheme"), knownvalue.StringExact("v1a")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("signature_scheme"), knownvalue.StringExact("v1a")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.StringRegexp(publicKeyPattern)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret"), knownvalue.StringRegexp(secretPattern)),
					statecheck.ExpectKnownValue(groupHook, tfjsonpath.New("public_key"), knownvalue.StringRegexp(publicKeyPattern)),
					statecheck.ExpectKnownValue("data.hookd_webhook.test", tfjsonpath.New("signature_scheme"), knownvalue.StringExact("v1a")),
					statecheck.CompareValuePairs(accountHook, tfjsonpath.New("public_key"), "data.hookd_webhook.test", tfjsonpath.New("public_key"), compare.ValuesSame()),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
					keys.AddStateValue(accountHook, tfjsonpath.New("public_key")),
				},
			},
			{
				ResourceName:            accountHook,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: importIgnore,
			},
			{
				// v1a -> v1 in place: no key, known at plan time.
				Config: config("v1", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.Null()),
						plancheck.ExpectResourceAction(groupHook, plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("signature_scheme"), knownvalue.StringExact("v1")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.Null()),
					statecheck.ExpectKnownValue("data.hookd_webhook.test", tfjsonpath.New("public_key"), knownvalue.Null()),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
				},
			},
			{
				// Leaving it out is the default, v1: nothing to do.
				Config: config("", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// v1 -> v1a in place: a new key pair, unknown until applied.
				Config: config("v1a", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("public_key")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.StringRegexp(publicKeyPattern)),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
					keys.AddStateValue(accountHook, tfjsonpath.New("public_key")),
				},
			},
			{
				// An update that leaves the scheme alone keeps the key,
				// known in the plan.
				Config: config("v1a", `name = "renamed"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.StringRegexp(publicKeyPattern)),
					},
				},
			},
			{
				// A rotation replaces the key pair with the secret.
				Config: config("v1a", `name = "renamed"
  secret_rotation = { trigger = "1" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("public_key")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.StringRegexp(publicKeyPattern)),
					keys.AddStateValue(accountHook, tfjsonpath.New("public_key")),
				},
			},
		},
	})
}

func TestAccWebhook_signatureSchemeBadInput(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url              = %q
  events           = ["*"]
  signature_scheme = "v2"
}`, rcv.URL)),
			ExpectError: diagnosticRE(`Attribute signature_scheme value must be one of: ["v1" "v1a"], got: "v2"`),
		}},
	})
}
