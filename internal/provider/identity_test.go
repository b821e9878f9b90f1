package provider_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
)

// Every resource has the identity { id } (Terraform 1.12+): set by create,
// kept by update and refresh, and enough to import by an import block with
// identity = { id = ... }.
func TestAccIdentity_importByIdentity(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	group := acctest.RandomName("identity")
	config := func(description string) string {
		return env.Config(fmt.Sprintf(`
resource "hookd_group" "test" {
  name        = %[1]q
  description = %[3]q
}

resource "hookd_account_webhook" "test" {
  url         = %[2]q
  events      = ["transfer.created"]
  description = %[3]q
}

resource "hookd_group_webhook" "test" {
  group_id    = hookd_group.test.id
  url         = %[2]q
  events      = ["transfer.*"]
  description = %[3]q
}`, group, rcv.URL, description))
	}
	identityIs := func(addr, prefix string) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.ExpectIdentity(addr, map[string]knownvalue.Check{
				"id": knownvalue.StringRegexp(regexp.MustCompile(`^` + prefix + `_[A-Za-z0-9]+$`)),
			}),
			statecheck.ExpectIdentityValueMatchesState(addr, tfjsonpath.New("id")),
		}
	}
	var checks []statecheck.StateCheck
	for addr, prefix := range map[string]string{groupAddr: "grp", accountHook: "wh", groupHook: "wh"} {
		checks = append(checks, identityIs(addr, prefix)...)
	}
	importStep := func(addr string) resource.TestStep {
		return resource.TestStep{
			Config:          config("updated"),
			ResourceName:    addr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithResourceIdentity,
			ImportPlanChecks: resource.ImportPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop)},
			},
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.Identity)},
		Steps: []resource.TestStep{
			{Config: config("first"), ConfigStateChecks: checks},
			{
				Config: config("updated"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(groupHook, plancheck.ResourceActionUpdate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: checks,
			},
			importStep(groupAddr),
			importStep(accountHook),
			importStep(groupHook),
		},
	})
}

// An identity that names no group is refused before any API call, with
// the message of a bad import id, in the words of an identity (the user
// wrote no import id).
func TestAccIdentity_badGroupIdentity(t *testing.T) {
	badIdentity(t, `
import {
  to       = hookd_group.test
  identity = { id = "payments" }
}

resource "hookd_group" "test" {
  name = "payments"
}`, `Error: Invalid group identity The identity's id (identity = { id = ... } in the import block) must be a group id such as grp_0123456789abcdefghij, got "payments". `+
		`Import takes the group's id, not its name: data.hookd_group with name = "..." finds the id of a named group.`)
}

// The same for a webhook: an identity that is not a webhook id (here its
// URL) is refused before any API call, in the words of an identity.
func TestAccIdentity_badWebhookIdentity(t *testing.T) {
	badIdentity(t, `
import {
  to       = hookd_account_webhook.test
  identity = { id = "https://example.com/hooks" }
}

resource "hookd_account_webhook" "test" {
  url    = "https://example.com/hooks"
  events = ["transfer.created"]
}`, badWebhookImport("identity", "https://example.com/hooks"))
}

// badIdentity plans config, whose import block gives a bad identity, and
// expects the words of want, on a CLI with import by identity.
func badIdentity(t *testing.T, config, want string) {
	env := acctest.Start(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.Identity)},
		Steps: []resource.TestStep{{
			Config:      env.Config(config),
			PlanOnly:    true,
			ExpectError: acctest.Words(want),
		}},
	})
}

// terraform import (and an import block's id) of a webhook checks the id
// the same way, at both scopes: a group id is not a webhook id either.
func TestAccIdentity_badWebhookImportID(t *testing.T) {
	env := acctest.Start(t)
	config := env.Config(`
resource "hookd_account_webhook" "test" {
  url    = "https://example.com/hooks"
  events = ["transfer.created"]
}

resource "hookd_group_webhook" "test" {
  group_id = "grp_0123456789abcdefghij"
  url      = "https://example.com/hooks"
  events   = ["transfer.created"]
}`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:        config,
				ResourceName:  accountHook,
				ImportState:   true,
				ImportStateId: "audit",
				ExpectError:   acctest.Words(badWebhookImport("import id", "audit")),
			},
			{
				Config:        config,
				ResourceName:  groupHook,
				ImportState:   true,
				ImportStateId: "grp_0123456789abcdefghij",
				ExpectError:   acctest.Words(badWebhookImport("import id", "grp_0123456789abcdefghij")),
			},
			// A webhook id that names nothing: hookd's answer, with the id,
			// not Terraform's "non-existent remote object".
			{
				Config:        config,
				ResourceName:  accountHook,
				ImportState:   true,
				ImportStateId: "wh_0123456789abcdefghij",
				ExpectError: acctest.Words(`Error: Cannot import webhook wh_0123456789abcdefghij`,
					`hookd has no webhook wh_0123456789abcdefghij. Check the id in the import block or command: data.hookd_webhooks lists the webhooks with their ids; so does terraform query (Terraform 1.14 and later).`),
			},
		},
	})
}

// badWebhookImport is the whole error of an import of id, which is not a
// webhook id, given as an "import id" or an "identity".
func badWebhookImport(way, id string) string {
	given := "The import id"
	if way == "identity" {
		given = "The identity's id (identity = { id = ... } in the import block)"
	}
	return fmt.Sprintf(`Error: Invalid webhook %s %s must be a webhook id such as wh_0123456789abcdefghij, got %q. `+
		`Import takes the webhook's id, not its name or URL: data.hookd_webhooks lists the webhooks with their ids.`, way, given, id)
}
