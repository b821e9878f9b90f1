package provider_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

func createGroup(t *testing.T, env *acctest.Env, name string, description *string) *client.Group {
	t.Helper()
	g, err := env.Client.CreateGroup(context.Background(), client.CreateGroupRequest{Name: name, Description: description})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.DeleteGroup(context.Background(), g.ID) })
	return g
}

// Groups made outside Terraform: each with its identity and its name as
// display name; name_prefix compares exactly, and may keep none. (List
// names differ in more than case: querycheck.ExpectLength ignores case.)
func TestAccGroupList_filters(t *testing.T) {
	env := acctest.Start(t)
	ownServer(t, env)
	payments := createGroup(t, env, "team-payments", ptr("Payments"))
	search := createGroup(t, env, "team-search", nil)
	ops := createGroup(t, env, "Team-ops", nil)

	listTest(t, resource.TestStep{
		Config: queryConfig(env, env.Endpoint, `
list "hookd_group" "all" {
  provider = hookd
}

list "hookd_group" "team" {
  provider = hookd
  config {
    name_prefix = "team-"
  }
}

list "hookd_group" "capital" {
  provider = hookd
  config {
    name_prefix = "Team"
  }
}

list "hookd_group" "none" {
  provider = hookd
  config {
    name_prefix = "team-payments-"
  }
}
`),
		QueryResultChecks: checks(
			expectIDs("hookd_group.all", payments.ID, search.ID, ops.ID),
			expectIDs("hookd_group.team", payments.ID, search.ID),
			expectIDs("hookd_group.capital", ops.ID),
			expectIDs("hookd_group.none"),
			[]querycheck.QueryResultCheck{
				querycheck.ExpectResourceDisplayName("hookd_group.all", byID(payments.ID), knownvalue.StringExact("team-payments")),
				querycheck.ExpectResourceDisplayName("hookd_group.all", byID(ops.ID), knownvalue.StringExact("Team-ops")),
				noResourceObjects,
			},
		),
	})
}

// include_resource = true gives each group as an import reads it
// (groupFromAPI): every attribute from the API, no timeouts.
func TestAccGroupList_includeResource(t *testing.T) {
	env := acctest.Start(t)
	prefix := acctest.RandomName("list")
	with := createGroup(t, env, prefix+"-a", ptr("Described"))
	without := createGroup(t, env, prefix+"-b", nil)
	values := func(g *client.Group, description knownvalue.Check) []querycheck.KnownValueCheck {
		return []querycheck.KnownValueCheck{
			{Path: tfjsonpath.New("id"), KnownValue: knownvalue.StringExact(g.ID)},
			{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact(g.Name)},
			{Path: tfjsonpath.New("description"), KnownValue: description},
			{Path: tfjsonpath.New("created_at"), KnownValue: knownvalue.StringExact(g.CreatedAt.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"))},
			{Path: tfjsonpath.New("updated_at"), KnownValue: knownvalue.StringRegexp(groupTimeRegexp)},
			{Path: tfjsonpath.New("timeouts"), KnownValue: knownvalue.Null()},
		}
	}
	listTest(t, resource.TestStep{
		Config: queryConfig(env, env.Endpoint, fmt.Sprintf(`
list "hookd_group" "test" {
  provider         = hookd
  include_resource = true
  config {
    name_prefix = %q
  }
}
`, prefix)),
		QueryResultChecks: []querycheck.QueryResultCheck{
			querycheck.ExpectLength("hookd_group.test", 2),
			querycheck.ExpectResourceKnownValues("hookd_group.test", byID(with.ID), values(with, knownvalue.StringExact("Described"))),
			querycheck.ExpectResourceKnownValues("hookd_group.test", byID(without.ID), values(without, knownvalue.Null())),
		},
	})
}

// Pages of 2 (through a proxy): the list follows next_cursor as far as the
// results need, and stops at the limit without asking for another page.
func TestAccGroupList_pagination(t *testing.T) {
	env := acctest.Start(t)
	prefix := acctest.RandomName("page")
	for i := range 5 {
		createGroup(t, env, fmt.Sprintf("%s-%d", prefix, i), nil)
	}
	pager := env.NewCounter(t, acctest.PageSize(2))
	calls := 0
	requests := func(want int) querycheck.QueryResultCheck {
		return acctest.QueryCheck(func(querycheck.CheckQueryRequest) error {
			got := pager.Queries("GET", "/v1/groups")[calls:]
			calls += len(got)
			if len(got) != want {
				return fmt.Errorf("the query made %d list requests (%v), want %d", len(got), got, want)
			}
			for _, q := range got {
				if q.Get("name_prefix") != prefix {
					return fmt.Errorf("a request without name_prefix=%s: %v", prefix, q)
				}
			}
			return nil
		})
	}
	list := func(limit int) string {
		return queryConfig(env, pager.URL, fmt.Sprintf(`
list "hookd_group" "test" {
  provider = hookd
  limit    = %d
  config {
    name_prefix = %q
  }
}
`, limit, prefix))
	}
	listTest(t,
		resource.TestStep{
			Config:            list(10),
			QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("hookd_group.test", 5), requests(3)},
		},
		resource.TestStep{
			Config:            list(4),
			QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("hookd_group.test", 4), requests(2)},
		},
	)
}

func TestAccGroupList_badConfig(t *testing.T) {
	env := acctest.Start(t)
	list := func(prefix string) string {
		return queryConfig(env, env.Endpoint, fmt.Sprintf(`
list "hookd_group" "test" {
  provider = hookd
  config {
    name_prefix = %q
  }
}
`, prefix))
	}
	listTest(t,
		resource.TestStep{
			Config:      list(""),
			ExpectError: acctest.Words(`name_prefix must not be empty; leave it out to list every group.`),
		},
		resource.TestStep{
			Config:      list(strings.Repeat("é", 101)),
			ExpectError: acctest.Words(`name_prefix must be at most 100 characters, got 101`),
		},
	)
}
