package provider_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
)

const groupDataAddr = "data.hookd_group.test"

// groupDataConfig is hookd_group.test (with a description) and
// data.hookd_group.test with lookup as its body.
func groupDataConfig(env *acctest.Env, name, lookup string) string {
	return env.Config(fmt.Sprintf(`
resource "hookd_group" "test" {
  name        = %q
  description = "Looked up"
}

data "hookd_group" "test" {
  %s
}
`, name, lookup))
}

// sameAsGroupResource checks that the data source shows what the resource
// has, attribute by attribute.
func sameAsGroupResource() []statecheck.StateCheck {
	var checks []statecheck.StateCheck
	for _, attr := range []string{"id", "name", "description", "created_at", "updated_at"} {
		checks = append(checks, statecheck.CompareValuePairs(
			groupAddr, tfjsonpath.New(attr), groupDataAddr, tfjsonpath.New(attr), compare.ValuesSame()))
	}
	return checks
}

func TestAccGroupDataSource_byID(t *testing.T) {
	env := acctest.Start(t)
	name := acctest.RandomName("group")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: groupDataConfig(env, name, `id = hookd_group.test.id`),
			ConfigStateChecks: append(sameAsGroupResource(),
				statecheck.ExpectKnownValue(groupDataAddr, tfjsonpath.New("name"), knownvalue.StringExact(name)),
				statecheck.ExpectKnownValue(groupDataAddr, tfjsonpath.New("description"), knownvalue.StringExact("Looked up")),
			),
		}},
	})
}

func TestAccGroupDataSource_byName(t *testing.T) {
	env := acctest.Start(t)
	name := acctest.RandomName("group")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: groupDataConfig(env, name, `name = hookd_group.test.name`),
				ConfigStateChecks: append(sameAsGroupResource(),
					statecheck.ExpectKnownValue(groupDataAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(groupIDRegexp)),
				),
			},
			// A group without a description shows null; other groups on
			// the server do not confuse the lookup.
			{
				Config: env.Config(fmt.Sprintf(`
resource "hookd_group" "test" {
  name = %q
}

resource "hookd_group" "other" {
  name = "%s-other"
}

data "hookd_group" "test" {
  name = hookd_group.test.name
  depends_on = [hookd_group.other]
}
`, name, name)),
				ConfigStateChecks: append(sameAsGroupResource(),
					statecheck.ExpectKnownValue(groupDataAddr, tfjsonpath.New("description"), knownvalue.Null()),
				),
			},
		},
	})
}

func TestAccGroupDataSource_invalid(t *testing.T) {
	env := acctest.Start(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.Config(`
data "hookd_group" "test" {
  id   = "grp_abc"
  name = "payments"
}
`),
				ExpectError: acctest.Words(`Invalid Attribute Combination`,
					`Exactly one of these attributes must be configured: [id,name]`),
			},
			{
				Config: env.Config(`
data "hookd_group" "test" {}
`),
				ExpectError: acctest.Words(`Missing Attribute Configuration`,
					`Exactly one of these attributes must be configured: [id,name]`),
			},
			{
				Config: env.Config(`
data "hookd_group" "test" {
  id = "payments"
}
`),
				ExpectError: acctest.Words(`id must be a group id such as grp_0123456789abcdefghij, got "payments". To look a group up by its name, set name instead.`),
			},
			{
				Config: env.Config(fmt.Sprintf(`
data "hookd_group" "test" {
  name = %q
}
`, strings.Repeat("n", 101))),
				ExpectError: acctest.Words(`name must be at most 100 characters, got 101; remove 1 character.`),
			},
		},
	})
}

func TestAccGroupDataSource_notFound(t *testing.T) {
	env := acctest.Start(t)
	name := acctest.RandomName("group")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.Config(`
data "hookd_group" "test" {
  name = "no-such-group"
}
`),
				ExpectError: acctest.Words(`Group not found`,
					`hookd has no group named "no-such-group". Check the name (names are case-sensitive)`),
			},
			{
				Config: env.Config(`
data "hookd_group" "test" {
  id = "grp_doesnotexist"
}
`),
				ExpectError: acctest.Words(`Group not found`,
					`hookd has no group with id "grp_doesnotexist". Check the id, or look the group up by name instead.`),
			},
			// A name that differs only in case is not a match, but is
			// suggested.
			{
				Config: env.Config(fmt.Sprintf(`
resource "hookd_group" "test" {
  name = %q
}

data "hookd_group" "test" {
  name       = upper(hookd_group.test.name)
  depends_on = [hookd_group.test]
}
`, name)),
				ExpectError: acctest.Words(
					fmt.Sprintf(`hookd has no group named %q. Names are case-sensitive: did you mean %q?`, strings.ToUpper(name), name)),
			},
		},
	})
}
