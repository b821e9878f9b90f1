package provider_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

func createAccountWebhook(t *testing.T, env *acctest.Env, req client.CreateWebhookRequest) string {
	t.Helper()
	wh, err := env.Client.CreateAccountWebhook(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.DeleteWebhook(context.Background(), wh.ID) })
	return wh.ID
}

func createGroupWebhook(t *testing.T, env *acctest.Env, group string, req client.CreateWebhookRequest) string {
	t.Helper()
	wh, err := env.Client.CreateGroupWebhook(context.Background(), group, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.DeleteWebhook(context.Background(), wh.ID) })
	return wh.ID
}

// Account webhooks made outside Terraform: every one with its identity and
// a name people recognise; each filter, alone and combined, down to none.
func TestAccAccountWebhookList_filters(t *testing.T) {
	env := acctest.Start(t)
	ownServer(t, env)
	rcv := acctest.NewReceiver(t, 200)
	audit := createAccountWebhook(t, env, client.CreateWebhookRequest{Name: ptr("audit"), URL: rcv.URL + "/audit", Events: []string{"transfer.*"}})
	unnamed := createAccountWebhook(t, env, client.CreateWebhookRequest{URL: rcv.URL + "/unnamed", Events: []string{"workspace.created"}, Active: ptr(false)})
	all := createAccountWebhook(t, env, client.CreateWebhookRequest{Name: ptr("everything"), URL: rcv.URL + "/all", Events: []string{"*"}})
	// A group webhook is no account webhook.
	createGroupWebhook(t, env, newGroup(t, env), client.CreateWebhookRequest{URL: rcv.URL + "/group", Events: []string{"*"}})

	listTest(t,
		resource.TestStep{
			Config: queryConfig(env, env.Endpoint, `
list "hookd_account_webhook" "all" {
  provider = hookd
}
`),
			QueryResultChecks: checks(expectIDs("hookd_account_webhook.all", audit, unnamed, all), []querycheck.QueryResultCheck{
				querycheck.ExpectResourceDisplayName("hookd_account_webhook.all", byID(audit), knownvalue.StringExact("audit ("+audit+")")),
				querycheck.ExpectResourceDisplayName("hookd_account_webhook.all", byID(unnamed), knownvalue.StringExact(rcv.URL+"/unnamed ("+unnamed+")")),
				noResourceObjects,
			}),
		},
		resource.TestStep{
			Config: queryConfig(env, env.Endpoint, `
list "hookd_account_webhook" "active" {
  provider = hookd
  config {
    active = true
  }
}

list "hookd_account_webhook" "inactive" {
  provider = hookd
  config {
    active = false
  }
}

list "hookd_account_webhook" "transfer_created" {
  provider = hookd
  config {
    event = "transfer.created"
  }
}

list "hookd_account_webhook" "inactive_workspace_created" {
  provider = hookd
  config {
    event  = "workspace.created"
    active = false
  }
}

list "hookd_account_webhook" "none" {
  provider = hookd
  config {
    event  = "transfer.created"
    active = false
  }
}
`),
			QueryResultChecks: checks(
				expectIDs("hookd_account_webhook.active", audit, all),
				expectIDs("hookd_account_webhook.inactive", unnamed),
				expectIDs("hookd_account_webhook.transfer_created", audit, all),
				expectIDs("hookd_account_webhook.inactive_workspace_created", unnamed),
				expectIDs("hookd_account_webhook.none"),
			),
		},
	)
}

// Group webhooks: by group, by event and switch, across groups.
func TestAccGroupWebhookList_filters(t *testing.T) {
	env := acctest.Start(t)
	ownServer(t, env)
	rcv := acctest.NewReceiver(t, 200)
	g1, g2 := newGroup(t, env), newGroup(t, env)
	created := createGroupWebhook(t, env, g1, client.CreateWebhookRequest{Name: ptr("created"), URL: rcv.URL + "/1", Events: []string{"transfer.created"}})
	keys := createGroupWebhook(t, env, g1, client.CreateWebhookRequest{URL: rcv.URL + "/2", Events: []string{"api_key.*"}, Active: ptr(false)})
	other := createGroupWebhook(t, env, g2, client.CreateWebhookRequest{Name: ptr("other"), URL: rcv.URL + "/3", Events: []string{"*"}})
	createAccountWebhook(t, env, client.CreateWebhookRequest{URL: rcv.URL + "/account", Events: []string{"*"}})

	listTest(t, resource.TestStep{
		Config: queryConfig(env, env.Endpoint, fmt.Sprintf(`
list "hookd_group_webhook" "all" {
  provider = hookd
}

list "hookd_group_webhook" "g1" {
  provider = hookd
  config {
    group_id = %[1]q
  }
}

list "hookd_group_webhook" "api_key_created" {
  provider = hookd
  config {
    event = "api_key.created"
  }
}

list "hookd_group_webhook" "g1_active" {
  provider = hookd
  config {
    group_id = %[1]q
    active   = true
  }
}

list "hookd_group_webhook" "g2_api_key_created_inactive" {
  provider = hookd
  config {
    group_id = %[2]q
    event    = "api_key.created"
    active   = false
  }
}
`, g1, g2)),
		QueryResultChecks: checks(
			expectIDs("hookd_group_webhook.all", created, keys, other),
			expectIDs("hookd_group_webhook.g1", created, keys),
			expectIDs("hookd_group_webhook.api_key_created", keys, other),
			expectIDs("hookd_group_webhook.g1_active", created),
			expectIDs("hookd_group_webhook.g2_api_key_created_inactive"),
			[]querycheck.QueryResultCheck{
				querycheck.ExpectResourceDisplayName("hookd_group_webhook.g1", byID(keys), knownvalue.StringExact(rcv.URL+"/2 ("+keys+")")),
				noResourceObjects,
			},
		),
	}, resource.TestStep{
		// A group that does not exist is an error that says so, not an
		// empty list that reads as "this group has no webhooks".
		Config: queryConfig(env, env.Endpoint, `
list "hookd_group_webhook" "no_such_group" {
  provider = hookd
  config {
    group_id = "grp_doesnotexist"
  }
}
`),
		ExpectError: acctest.Words(`Unable to list group webhooks`, `group "grp_doesnotexist" not found; check group_id.`),
	})
}

// include_resource = true gives each webhook as an import reads it, with
// the same mapping: every attribute the API returns, and null for what it
// never returns (secret, auth_token) and for the write-only arguments.
func TestAccWebhookList_includeResource(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	group := newGroup(t, env)
	account := createAccountWebhook(t, env, client.CreateWebhookRequest{
		Name: ptr("audit"), Description: ptr("to the audit log"), URL: rcv.URL + "/audit",
		Events: []string{"workspace.*", "transfer.created"}, Active: ptr(false),
		Headers: map[string]string{"X-Team": "audit"}, AuthToken: ptr("tok-listed-never"),
	})
	grouped := createGroupWebhook(t, env, group, client.CreateWebhookRequest{URL: rcv.URL + "/group", Events: []string{"*"}})
	fingerprint := func(id string) string {
		wh, err := env.Client.GetWebhook(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return wh.SecretFingerprint
	}
	values := func(id, name string, active bool) []querycheck.KnownValueCheck {
		v := map[string]knownvalue.Check{
			"id":                           knownvalue.StringExact(id),
			"secret":                       knownvalue.Null(),
			"secret_version":               knownvalue.Int64Exact(1),
			"secret_fingerprint":           knownvalue.StringExact(fingerprint(id)),
			"secret_wo":                    knownvalue.Null(),
			"secret_wo_version":            knownvalue.Null(),
			"secret_wo_grace_period_hours": knownvalue.Null(),
			"secret_rotation":              knownvalue.Null(),
			"previous_secret_expires_at":   knownvalue.Null(),
			"previous_secret_fingerprint":  knownvalue.Null(),
			"auth_token":                   knownvalue.Null(),
			"auth_token_wo":                knownvalue.Null(),
			"auth_token_wo_version":        knownvalue.Null(),
			"test_on_apply":                knownvalue.Null(),
			"timeouts":                     knownvalue.Null(),
			"active":                       knownvalue.Bool(active),
			"created_at":                   knownvalue.StringRegexp(groupTimeRegexp),
			"updated_at":                   knownvalue.StringRegexp(groupTimeRegexp),
			"disabled_reason":              knownvalue.Null(),
		}
		if name == "" {
			v["name"] = knownvalue.Null()
		} else {
			v["name"] = knownvalue.StringExact(name)
		}
		var out []querycheck.KnownValueCheck
		for k, c := range v {
			out = append(out, querycheck.KnownValueCheck{Path: tfjsonpath.New(k), KnownValue: c})
		}
		return out
	}
	with := func(checks []querycheck.KnownValueCheck, more map[string]knownvalue.Check) []querycheck.KnownValueCheck {
		for k, c := range more {
			checks = append(checks, querycheck.KnownValueCheck{Path: tfjsonpath.New(k), KnownValue: c})
		}
		return checks
	}

	listTest(t, resource.TestStep{
		Config: queryConfig(env, env.Endpoint, `
list "hookd_account_webhook" "test" {
  provider         = hookd
  include_resource = true
}

list "hookd_group_webhook" "test" {
  provider         = hookd
  include_resource = true
}
`),
		QueryResultChecks: []querycheck.QueryResultCheck{
			querycheck.ExpectIdentity("hookd_account_webhook.test", map[string]knownvalue.Check{"id": knownvalue.StringExact(account)}),
			querycheck.ExpectResourceKnownValues("hookd_account_webhook.test", byID(account), with(values(account, "audit", false), map[string]knownvalue.Check{
				"scope":                  knownvalue.StringExact("account"),
				"description":            knownvalue.StringExact("to the audit log"),
				"url":                    knownvalue.StringExact(rcv.URL + "/audit"),
				"events":                 knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("transfer.created"), knownvalue.StringExact("workspace.*")}),
				"headers":                knownvalue.MapExact(map[string]knownvalue.Check{"X-Team": knownvalue.StringExact("audit")}),
				"auth_token_set":         knownvalue.Bool(true),
				"auth_token_fingerprint": knownvalue.StringExact(rules.Fingerprint("tok-listed-never")),
				"status":                 knownvalue.StringExact("inactive"),
			})),
			querycheck.ExpectResourceKnownValues("hookd_group_webhook.test", byID(grouped), with(values(grouped, "", true), map[string]knownvalue.Check{
				"scope":                  knownvalue.StringExact("group"),
				"group_id":               knownvalue.StringExact(group),
				"description":            knownvalue.Null(),
				"url":                    knownvalue.StringExact(rcv.URL + "/group"),
				"events":                 knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("*")}),
				"headers":                knownvalue.Null(),
				"auth_token_set":         knownvalue.Bool(false),
				"auth_token_fingerprint": knownvalue.Null(),
				"status":                 knownvalue.StringExact("active"),
			})),
			acctest.QueryCheck(func(req querycheck.CheckQueryRequest) error {
				for _, r := range req.Query {
					if acctest.Absent("query result", fmt.Sprint(r.ResourceObject), "tok-listed-never") == nil {
						continue
					}
					return fmt.Errorf("%s holds the auth token", r.Address)
				}
				return nil
			}),
		},
	})
}

// Pages are followed lazily: as many as the results need, never one more.
// 120 webhooks through a proxy that serves pages of at most 50: limit
// 1000 reads 3 pages; limit 60 reads 2 and stops; the default limit (100)
// asks the real server for one page of 100 and never follows its cursor.
func TestAccAccountWebhookList_pagination(t *testing.T) {
	env := acctest.Start(t)
	ownServer(t, env)
	for i := range 120 {
		createAccountWebhook(t, env, client.CreateWebhookRequest{URL: fmt.Sprintf("https://example.com/%d", i), Events: []string{"*"}})
	}
	pager := env.NewCounter(t, acctest.PageSize(50))
	direct := env.NewCounter(t)
	// pages checks the list requests made since the previous check: their
	// limits, and whether each followed a cursor.
	seen := map[*acctest.Counter]int{}
	pages := func(c *acctest.Counter, limits ...string) querycheck.QueryResultCheck {
		return acctest.QueryCheck(func(querycheck.CheckQueryRequest) error {
			all := c.Queries("GET", "/v1/webhooks")
			got := all[seen[c]:]
			seen[c] = len(all)
			var gotLimits []string
			for i, q := range got {
				gotLimits = append(gotLimits, q.Get("limit"))
				if want := i > 0; (q.Get("cursor") != "") != want || q.Get("scope") != "account" {
					return fmt.Errorf("request %d of the query: %v, want scope=account and a cursor on every request but the first", i+1, q)
				}
			}
			if !reflect.DeepEqual(gotLimits, limits) {
				return fmt.Errorf("the query asked for pages of %v, want %v (%v)", gotLimits, limits, got)
			}
			return nil
		})
	}
	list := func(endpoint, limit string) string {
		return queryConfig(env, endpoint, fmt.Sprintf(`
list "hookd_account_webhook" "test" {
  provider = hookd
  %s
}
`, limit))
	}

	listTest(t,
		resource.TestStep{
			Config:            list(pager.URL, "limit = 1000"),
			QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("hookd_account_webhook.test", 120), pages(pager, "1000", "1000", "1000")},
		},
		resource.TestStep{
			Config:            list(pager.URL, "limit = 60"),
			QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("hookd_account_webhook.test", 60), pages(pager, "60", "60")},
		},
		resource.TestStep{
			Config:            list(direct.URL, ""),
			QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("hookd_account_webhook.test", 100), pages(direct, "100")},
		},
	)
}

// Group webhooks and groups follow pages the same way (pages of 2 here).
func TestAccGroupWebhookList_pagination(t *testing.T) {
	env := acctest.Start(t)
	ownServer(t, env)
	group := newGroup(t, env)
	for i := range 5 {
		createGroupWebhook(t, env, group, client.CreateWebhookRequest{URL: fmt.Sprintf("https://example.com/%d", i), Events: []string{"transfer.created"}})
	}
	pager := env.NewCounter(t, acctest.PageSize(2))
	calls := 0
	requests := func(want int) querycheck.QueryResultCheck {
		return acctest.QueryCheck(func(querycheck.CheckQueryRequest) error {
			got := pager.Count("GET", "/v1/webhooks") - calls
			calls += got
			if got != want {
				return fmt.Errorf("the query made %d list requests, want %d", got, want)
			}
			return nil
		})
	}
	list := func(limit int) string {
		return queryConfig(env, pager.URL, fmt.Sprintf(`
list "hookd_group_webhook" "test" {
  provider = hookd
  limit    = %d
  config {
    group_id = %q
    event    = "transfer.created"
  }
}
`, limit, group))
	}
	listTest(t,
		resource.TestStep{
			Config:            list(100),
			QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("hookd_group_webhook.test", 5), requests(3)},
		},
		resource.TestStep{
			Config:            list(3),
			QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("hookd_group_webhook.test", 3), requests(2)},
		},
	)
}

// Bad filters fail before any list request: by their shape when Terraform
// validates the configuration, by the server's catalog when the list runs.
func TestAccWebhookList_badConfig(t *testing.T) {
	env := acctest.Start(t)
	counter := env.NewCounter(t)
	list := func(typ, config string) string {
		return queryConfig(env, counter.URL, fmt.Sprintf(`
list %q "test" {
  provider = hookd
  config {
    %s
  }
}
`, typ, config))
	}
	noListRequest := func() error {
		if n := counter.Count("GET", "/v1/webhooks"); n != 0 {
			return fmt.Errorf("%d list requests, want none", n)
		}
		return nil
	}
	listTest(t,
		resource.TestStep{
			Config:      list("hookd_group_webhook", `group_id = "wh_0123456789abcdefghij"`),
			ExpectError: acctest.Words(`group_id must be a group id such as grp_0123456789abcdefghij, got "wh_0123456789abcdefghij".`),
		},
		resource.TestStep{
			Config:      list("hookd_account_webhook", `event = "transfer.*"`),
			ExpectError: acctest.Words(`Invalid event type`, `event: "transfer.*" is a pattern: give one event type, such as "transfer.created".`),
		},
		resource.TestStep{
			Config:      list("hookd_group_webhook", `event = ""`),
			ExpectError: acctest.Words(`event: must be an event type such as "transfer.created", not empty.`),
		},
		resource.TestStep{
			Config:      list("hookd_account_webhook", `event = "transfer.craeted"`),
			ExpectError: acctest.Words(`Unknown event type`, `unknown event type "transfer.craeted" (did you mean "transfer.created"?). data.hookd_event_catalog lists the event types of this server.`),
		},
	)
	if err := noListRequest(); err != nil {
		t.Error(err)
	}
}
