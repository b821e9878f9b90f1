package provider_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
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

const groupAddr = "hookd_group.test"

var (
	groupIDRegexp   = regexp.MustCompile(`^grp_[A-Za-z0-9]+$`)
	groupTimeRegexp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)
)

// groupConfig is a hookd_group named test; extra goes inside the block.
func groupConfig(env *acctest.Env, name, extra string) string {
	return env.Config(fmt.Sprintf(`
resource "hookd_group" "test" {
  name = %q
  %s
}
`, name, extra))
}

// captureGroupID stores the id of hookd_group.test when a step's Check runs.
func captureGroupID(id *string) resource.TestCheckFunc {
	return resource.TestCheckResourceAttrWith(groupAddr, "id", func(v string) error {
		*id = v
		return nil
	})
}

// checkGroupsDestroyed is a CheckDestroy: no group of the state is left.
func checkGroupsDestroyed(env *acctest.Env) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for _, rs := range s.RootModule().Resources {
			if rs.Type != "hookd_group" {
				continue
			}
			_, err := env.Client.GetGroup(context.Background(), rs.Primary.ID)
			switch {
			case err == nil:
				return fmt.Errorf("group %s still exists after destroy", rs.Primary.ID)
			case !errors.Is(err, client.ErrNotFound):
				return err
			}
		}
		return nil
	}
}

func TestAccGroupResource_lifecycle(t *testing.T) {
	env := acctest.Start(t)
	name, renamed := acctest.RandomName("group"), acctest.RandomName("group")
	sameID := statecheck.CompareValue(compare.ValuesSame())
	sameCreatedAt := statecheck.CompareValue(compare.ValuesSame())
	newUpdatedAt := statecheck.CompareValue(compare.ValuesDiffer())
	sameUpdatedAt := statecheck.CompareValue(compare.ValuesSame())

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed(env),
		Steps: []resource.TestStep{
			{
				Config: groupConfig(env, name, `description = "First"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(groupIDRegexp)),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("name"), knownvalue.StringExact(name)),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("description"), knownvalue.StringExact("First")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("created_at"), knownvalue.StringRegexp(groupTimeRegexp)),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("updated_at"), knownvalue.StringRegexp(groupTimeRegexp)),
					sameID.AddStateValue(groupAddr, tfjsonpath.New("id")),
					sameCreatedAt.AddStateValue(groupAddr, tfjsonpath.New("created_at")),
					newUpdatedAt.AddStateValue(groupAddr, tfjsonpath.New("updated_at")),
				},
			},
			// terraform import hookd_group.test grp_...
			{
				ResourceName:      groupAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			// import { to = hookd_group.test, id = "grp_..." }: a no-op plan.
			{
				ResourceName:    groupAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("name"), knownvalue.StringExact(name)),
					plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("description"), knownvalue.StringExact("First")),
				}},
			},
			// Rename and new description: one update in place.
			{
				Config: groupConfig(env, renamed, `description = "Second"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(groupAddr, tfjsonpath.New("updated_at")),
					plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(groupIDRegexp)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("name"), knownvalue.StringExact(renamed)),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("description"), knownvalue.StringExact("Second")),
					sameID.AddStateValue(groupAddr, tfjsonpath.New("id")),
					sameCreatedAt.AddStateValue(groupAddr, tfjsonpath.New("created_at")),
					newUpdatedAt.AddStateValue(groupAddr, tfjsonpath.New("updated_at")),
				},
			},
			// Description removed from the configuration: cleared in place.
			{
				Config: groupConfig(env, renamed, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("description"), knownvalue.Null()),
					sameID.AddStateValue(groupAddr, tfjsonpath.New("id")),
					newUpdatedAt.AddStateValue(groupAddr, tfjsonpath.New("updated_at")),
				},
			},
			// Description added back: the same group, and the configuration
			// converges.
			{
				Config: groupConfig(env, renamed, `description = "Third"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("description"), knownvalue.StringExact("Third")),
					sameID.AddStateValue(groupAddr, tfjsonpath.New("id")),
					newUpdatedAt.AddStateValue(groupAddr, tfjsonpath.New("updated_at")),
					sameUpdatedAt.AddStateValue(groupAddr, tfjsonpath.New("updated_at")),
				},
			},
			// Only timeouts change: an update that calls no API, so
			// updated_at is known in the plan and stays the same.
			{
				Config: groupConfig(env, renamed, `description = "Third"
  timeouts { update = "2m" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("updated_at"), knownvalue.StringRegexp(groupTimeRegexp)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("timeouts").AtMapKey("update"), knownvalue.StringExact("2m")),
					sameID.AddStateValue(groupAddr, tfjsonpath.New("id")),
					sameUpdatedAt.AddStateValue(groupAddr, tfjsonpath.New("updated_at")),
				},
			},
			{
				ResourceName:            groupAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			// Import takes an id that exists, not a name.
			{
				ResourceName:  groupAddr,
				ImportState:   true,
				ImportStateId: renamed,
				ExpectError: acctest.Words(fmt.Sprintf(`Error: Invalid group import id The import id must be a group id such as grp_0123456789abcdefghij, got %q.`, renamed),
					`Import takes the group's id, not its name: data.hookd_group with name = "..." finds the id of a named group.`),
			},
			{
				ResourceName:  groupAddr,
				ImportState:   true,
				ImportStateId: "grp_doesnotexist",
				ExpectError: acctest.Words(`Error: Cannot import group grp_doesnotexist`,
					`hookd has no group grp_doesnotexist. Check the id in the import block or command: data.hookd_group with name = "..." finds a group's id; terraform query lists the groups (Terraform 1.14 and later).`,
					`(hookd said:`, `(hookd request id req_`),
			},
		},
	})
}

func TestAccGroupResource_disappears(t *testing.T) {
	env := acctest.Start(t)
	name := acctest.RandomName("group")
	var id string
	differentID := statecheck.CompareValue(compare.ValuesDiffer())

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed(env),
		Steps: []resource.TestStep{
			{
				Config: groupConfig(env, name, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					differentID.AddStateValue(groupAddr, tfjsonpath.New("id")),
				},
				// Deleted outside Terraform right after the apply: the
				// refresh drops it, and the plan creates it again.
				Check: resource.ComposeTestCheckFunc(captureGroupID(&id), func(*terraform.State) error {
					return env.Client.DeleteGroup(context.Background(), id)
				}),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionCreate),
				}},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: groupConfig(env, name, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					differentID.AddStateValue(groupAddr, tfjsonpath.New("id")),
				},
			},
		},
	})
}

func TestAccGroupResource_drift(t *testing.T) {
	env := acctest.Start(t)
	name := acctest.RandomName("group")
	var id string
	sameID := statecheck.CompareValue(compare.ValuesSame())

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed(env),
		Steps: []resource.TestStep{
			{
				Config:            groupConfig(env, name, `description = "Managed by Terraform"`),
				Check:             captureGroupID(&id),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(groupAddr, tfjsonpath.New("id"))},
			},
			{
				// Renamed and description cleared outside Terraform.
				PreConfig: func() {
					_, err := env.Client.UpdateGroup(context.Background(), id, client.UpdateGroupRequest{
						Name:        new(name + "-renamed"),
						Description: client.Null[string](),
					})
					if err != nil {
						t.Fatalf("rename out of band: %v", err)
					}
				},
				Config: groupConfig(env, name, `description = "Managed by Terraform"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("name"), knownvalue.StringExact(name)),
						plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("description"), knownvalue.StringExact("Managed by Terraform")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("name"), knownvalue.StringExact(name)),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("description"), knownvalue.StringExact("Managed by Terraform")),
					sameID.AddStateValue(groupAddr, tfjsonpath.New("id")),
				},
			},
		},
	})
}

func TestAccGroupResource_badInput(t *testing.T) {
	env := acctest.Start(t)
	name := acctest.RandomName("group")

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      groupConfig(env, "", ""),
				PlanOnly:    true,
				ExpectError: acctest.Words(`name must not be empty; give at least one character.`),
			},
			{
				Config:      groupConfig(env, strings.Repeat("n", 101), ""),
				PlanOnly:    true,
				ExpectError: acctest.Words(`name must be at most 100 characters, got 101; remove 1 character.`),
			},
			{
				Config:      groupConfig(env, name, `description = ""`),
				PlanOnly:    true,
				ExpectError: acctest.Words(`description must not be empty; omit it, or set it to null to clear it.`),
			},
			{
				Config:      groupConfig(env, name, fmt.Sprintf("description = %q", strings.Repeat("d", 1001))),
				PlanOnly:    true,
				ExpectError: acctest.Words(`description must be at most 1000 characters, got 1001; remove 1 character.`),
			},
			{
				Config:      groupConfig(env, name, `timeouts { create = "soon" }`),
				PlanOnly:    true,
				ExpectError: acctest.Words(`Invalid Attribute Value Time Duration`, `"soon" must be a string containing a sequence of decimal numbers`),
			},
			// The timeouts block is applied to the API call: nothing answers
			// within a nanosecond.
			{
				Config: groupConfig(env, name, `timeouts { create = "1ns" }`),
				ExpectError: acctest.Words(`Unable to create group`,
					`POST /v1/groups: context deadline exceeded. hookd did not answer in time: raise the limit in the resource's timeouts block`),
			},
		},
	})
}

func TestAccGroupResource_duplicateName(t *testing.T) {
	env := acctest.Start(t)
	name := acctest.RandomName("group")
	twoGroups := func(second string) string {
		return env.Config(fmt.Sprintf(`
resource "hookd_group" "first" {
  name = %q
}

resource "hookd_group" "second" {
  name       = %q
  depends_on = [hookd_group.first]
}
`, name, second))
	}
	taken := fmt.Sprintf(`a group named %q already exists; group names are unique.`, name)
	advice := `Choose another name, or bring the existing group under Terraform with an import block or terraform import. (hookd request id req_`

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed(env),
		Steps: []resource.TestStep{
			{
				Config:      twoGroups(name),
				ExpectError: acctest.Words(fmt.Sprintf(`Unable to create group %q`, name), taken, advice),
			},
			{
				Config: twoGroups(name + "-2"),
			},
			// Renaming onto a taken name fails the same way, and changes
			// nothing.
			{
				Config:      twoGroups(name),
				ExpectError: acctest.Words(`Unable to update group grp_`, taken, advice),
			},
			{
				Config: twoGroups(name + "-2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func TestAccGroupResource_deleteWithWebhooks(t *testing.T) {
	env := acctest.Start(t)
	name := acctest.RandomName("group")
	receiver := acctest.NewReceiver(t, http.StatusNoContent)
	var groupID, webhookID string
	// Against an external hookd, leave nothing behind should a step fail
	// before the webhook is deleted (resource.Test destroys before this).
	t.Cleanup(func() {
		if webhookID != "" {
			_ = env.Client.DeleteWebhook(context.Background(), webhookID)
			_ = env.Client.DeleteGroup(context.Background(), groupID)
		}
	})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed(env),
		Steps: []resource.TestStep{
			{
				Config: groupConfig(env, name, ""),
				// A webhook Terraform does not manage joins the group.
				Check: resource.ComposeTestCheckFunc(captureGroupID(&groupID), func(*terraform.State) error {
					wh, err := env.Client.CreateGroupWebhook(context.Background(), groupID, client.CreateWebhookRequest{
						URL: receiver.URL, Events: []string{"*"},
					})
					if err != nil {
						return fmt.Errorf("create webhook out of band: %w", err)
					}
					webhookID = wh.ID
					return nil
				}),
			},
			{
				Config:  groupConfig(env, name, ""),
				Destroy: true,
				ExpectError: acctest.Words(`Unable to delete group grp_`,
					`still has webhooks; delete them first.`,
					`hookd deletes only empty groups: delete the webhooks of grp_`,
					`first, or move them to another group`, `(hookd request id req_`),
			},
			{
				// Once the webhook is gone, the group is still there and
				// unchanged, and the final destroy succeeds.
				PreConfig: func() {
					if err := env.Client.DeleteWebhook(context.Background(), webhookID); err != nil {
						t.Fatalf("delete webhook out of band: %v", err)
					}
				},
				Config: groupConfig(env, name, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// Lengths count characters, as the API does: a name of 100 two-byte
// characters is accepted at plan time and by hookd.
func TestAccGroupResource_nameCountsCharacters(t *testing.T) {
	env := acctest.Start(t)
	name := strings.Repeat("é", 99) + acctest.RandomName("g")[:1]
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed(env),
		Steps: []resource.TestStep{{
			Config: groupConfig(env, name, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("name"), knownvalue.StringExact(name)),
			},
		}},
	})
}
