package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

const groupHook = "hookd_group_webhook.test"

// Groups are made out of band here, so these tests do not depend on the
// hookd_group resource.
func newGroup(t *testing.T, env *acctest.Env) string {
	t.Helper()
	g, err := env.Client.CreateGroup(context.Background(), client.CreateGroupRequest{Name: acctest.RandomName("grp")})
	if err != nil {
		t.Fatal(err)
	}
	return g.ID
}

func TestAccGroupWebhook_basicUpdateImportReplace(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	g1, g2 := newGroup(t, env), newGroup(t, env)
	config := func(group, events string) string {
		return env.Config(fmt.Sprintf(`
resource "hookd_group_webhook" "test" {
  group_id = %q
  url      = %q
  events   = %s
}`, group, rcv.URL, events))
	}
	ids := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			page, err := env.Client.ListWebhooks(context.Background(), client.WebhookListOptions{GroupID: g2})
			if err != nil {
				return err
			}
			if len(page.Data) != 0 {
				return fmt.Errorf("%d webhooks left in the group after destroy", len(page.Data))
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config(g1, `["transfer.*"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupHook, tfjsonpath.New("scope"), knownvalue.StringExact("group")),
					statecheck.ExpectKnownValue(groupHook, tfjsonpath.New("group_id"), knownvalue.StringExact(g1)),
					statecheck.ExpectKnownValue(groupHook, tfjsonpath.New("secret"), knownvalue.StringRegexp(secretPattern)),
					ids.AddStateValue(groupHook, tfjsonpath.New("id")),
				},
			},
			{
				ResourceName:            groupHook,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: importIgnore,
			},
			{
				Config: config(g1, `["transfer.created", "api_key.*"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(groupHook, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{ids.AddStateValue(groupHook, tfjsonpath.New("id"))},
			},
			{
				// Moving to another group replaces the webhook.
				Config: config(g2, `["transfer.created", "api_key.*"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(groupHook, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupHook, tfjsonpath.New("group_id"), knownvalue.StringExact(g2)),
				},
			},
		},
	})
}

func TestAccGroupWebhook_badInput(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	account, err := env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.Config(fmt.Sprintf(`
resource "hookd_group_webhook" "test" {
  group_id = "grp_doesnotexist"
  url      = %q
  events   = ["*"]
}`, rcv.URL)),
				ExpectError: regexp.MustCompile(`(?s)Unable to create the group webhook.*group "grp_doesnotexist" not found`),
			},
			{
				// An account webhook cannot be imported as a group webhook.
				Config: env.Config(fmt.Sprintf(`
resource "hookd_group_webhook" "test" {
  group_id = "grp_x"
  url      = %q
  events   = ["*"]
}`, rcv.URL)),
				ResourceName:  groupHook,
				ImportState:   true,
				ImportStateId: account.ID,
				ExpectError:   regexp.MustCompile(`has scope "account"; manage it with\s+hookd_account_webhook`),
			},
		},
	})
}

// Deleted outside Terraform, then changed outside Terraform: the plan
// recreates, then converges with one update.
func TestAccGroupWebhook_disappearsAndDrift(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	g := newGroup(t, env)
	cfg := env.Config(fmt.Sprintf(`
resource "hookd_group_webhook" "test" {
  group_id = %q
  name     = "billing"
  url      = %q
  events   = ["workspace.*"]
}`, g, rcv.URL))
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(s *terraform.State) error {
					return env.Client.DeleteWebhook(context.Background(), s.RootModule().Resources[groupHook].Primary.ID)
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(groupHook, plancheck.ResourceActionCreate)},
				},
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources[groupHook].Primary.ID
					_, err := env.Client.UpdateWebhook(context.Background(), id, client.UpdateWebhookRequest{
						Name: client.Null[string](), Events: []string{"*"},
					})
					return err
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(groupHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(groupHook, tfjsonpath.New("name"), knownvalue.StringExact("billing")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupHook, tfjsonpath.New("events"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("workspace.*")})),
				},
			},
		},
	})
}
