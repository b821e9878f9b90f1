package provider_test

import (
	"context"
	"fmt"
	"net/http"
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

const accountHook = "hookd_account_webhook.test"

var secretPattern = regexp.MustCompile(`^whsec_[A-Za-z0-9+/]+=*$`)

// importIgnore are the attributes the API never returns.
var importIgnore = []string{"secret", "auth_token", "test_on_apply", "secret_rotation", "timeouts"}

func TestAccAccountWebhook_basicUpdateImport(t *testing.T) {
	env := acctest.Start(t)
	rcv, other := acctest.NewReceiver(t, 200), acctest.NewReceiver(t, 200)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	sameSecret := statecheck.CompareValue(compare.ValuesSame())
	sameUpdatedAt := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  name   = "audit"
  url    = %q
  events = ["transfer.created", "workspace.*"]
}`, rcv.URL)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^wh_`))),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("scope"), knownvalue.StringExact("account")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("name"), knownvalue.StringExact("audit")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("description"), knownvalue.Null()),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("events"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("transfer.created"), knownvalue.StringExact("workspace.*"),
					})),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("active"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("disabled_reason"), knownvalue.Null()),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("headers"), knownvalue.Null()),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret"), knownvalue.StringRegexp(secretPattern)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("previous_secret_expires_at"), knownvalue.Null()),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
					sameSecret.AddStateValue(accountHook, tfjsonpath.New("secret")),
				},
			},
			{
				ResourceName:            accountHook,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: importIgnore,
			},
			{
				// Every mutable attribute changes in place, in one update.
				Config: env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  name        = "audit-2"
  description = "to the audit log"
  url         = %q
  events      = ["*"]
  active      = false
  headers     = { "X-Team" = "audit", "x-env" = "prod" }
  auth_token  = "tok-1"
}`, other.URL)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("name"), knownvalue.StringExact("audit-2")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("description"), knownvalue.StringExact("to the audit log")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("url"), knownvalue.StringExact(other.URL)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("events"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("*")})),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("active"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("status"), knownvalue.StringExact("inactive")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("headers"), knownvalue.MapExact(map[string]knownvalue.Check{
						"X-Team": knownvalue.StringExact("audit"), "x-env": knownvalue.StringExact("prod"),
					})),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("auth_token"), knownvalue.StringExact("tok-1")),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
					sameSecret.AddStateValue(accountHook, tfjsonpath.New("secret")),
				},
			},
			{
				// Header names change case, optional attributes go away.
				Config: env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url     = %q
  events  = ["*"]
  headers = { "x-team" = "audit" }
}`, other.URL)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("name"), knownvalue.Null()),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("description"), knownvalue.Null()),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("auth_token"), knownvalue.Null()),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("active"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("headers"), knownvalue.MapExact(map[string]knownvalue.Check{
						"x-team": knownvalue.StringExact("audit"),
					})),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
					sameUpdatedAt.AddStateValue(accountHook, tfjsonpath.New("updated_at")),
				},
			},
			{
				// Only Terraform-side settings change: no API call, so
				// updated_at is known in the plan and stays the same.
				Config: env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url           = %q
  events        = ["*"]
  headers       = { "x-team" = "audit" }
  test_on_apply = false
  timeouts { update = "2m" }
}`, other.URL)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("updated_at"), knownvalue.NotNull()),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sameUpdatedAt.AddStateValue(accountHook, tfjsonpath.New("updated_at")),
				},
			},
		},
	})
}

func TestAccAccountWebhook_disappears(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	cfg := env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url    = %q
  events = ["*"]
}`, rcv.URL))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(s *terraform.State) error {
					return env.Client.DeleteWebhook(context.Background(), s.RootModule().Resources[accountHook].Primary.ID)
				},
				ExpectNonEmptyPlan: true,
			},
			{
				// Refresh finds it gone: the plan is to create it again.
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionCreate)},
				},
			},
		},
	})
}

// A change made outside Terraform shows in the plan, and one apply (one
// PATCH) converges. That includes an auth token added outside Terraform:
// its value is never read, but auth_token_set shows it, and the apply
// removes it since the configuration has none.
func TestAccAccountWebhook_drift(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	cfg := env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url     = %q
  events  = ["transfer.*"]
  headers = { "X-Team" = "audit" }
}`, rcv.URL))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					ctx := context.Background()
					page, err := env.Client.ListWebhooks(ctx, client.WebhookListOptions{Scope: client.ScopeAccount})
					if err != nil {
						t.Fatal(err)
					}
					for _, wh := range page.Data {
						if wh.URL != rcv.URL {
							continue
						}
						off := false
						if _, err := env.Client.UpdateWebhook(ctx, wh.ID, client.UpdateWebhookRequest{
							Events: []string{"*"}, Active: &off, AuthToken: client.Set("tok-out-of-band"),
							Headers: client.Set(map[string]*string{"X-Team": nil, "X-Other": ptr("1")}),
						}); err != nil {
							t.Fatal(err)
						}
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("active"), knownvalue.Bool(true)),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("auth_token_set"), knownvalue.Bool(false)),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("updated_at")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("auth_token_set"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("headers"), knownvalue.MapExact(map[string]knownvalue.Check{
						"X-Team": knownvalue.StringExact("audit"),
					})),
				},
			},
			{
				// Only a token, added outside Terraform: no configured value
				// differs, yet the plan updates (and updated_at is unknown,
				// or the apply would be inconsistent).
				PreConfig: func() {
					ctx := context.Background()
					for wh, err := range env.Client.AllWebhooks(ctx, client.WebhookListOptions{Scope: client.ScopeAccount}) {
						if err != nil {
							t.Fatal(err)
						}
						if wh.URL == rcv.URL {
							if _, err := env.Client.UpdateWebhook(ctx, wh.ID, client.UpdateWebhookRequest{AuthToken: client.Set("tok-again")}); err != nil {
								t.Fatal(err)
							}
						}
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("auth_token_set"), knownvalue.Bool(false)),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("updated_at")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("auth_token_set"), knownvalue.Bool(false)),
				},
			},
		},
	})
}

func TestAccAccountWebhook_testOnApply(t *testing.T) {
	env := acctest.Start(t)
	ok, failing := acctest.NewReceiver(t, 200), acctest.NewReceiver(t, 500)
	ok.VerifyWhenDone(t)
	failing.VerifyWhenDone(t)
	hook := func(url string) string {
		return env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url           = %q
  events        = ["transfer.created"]
  test_on_apply = true
}`, url))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: hook(ok.URL),
				// The update keeps the secret: it signs both test deliveries.
				ConfigStateChecks: []statecheck.StateCheck{
					ok.TrustState(accountHook, tfjsonpath.New("secret")),
					failing.TrustState(accountHook, tfjsonpath.New("secret")),
				},
				Check: func(*terraform.State) error {
					reqs := ok.Requests()
					if len(reqs) != 1 || reqs[0].Header.Get("Hookd-Test-Delivery") != "true" {
						return fmt.Errorf("the receiver got %d requests, want 1 test delivery", len(reqs))
					}
					return nil
				},
			},
			{
				// The update's test goes to a receiver that answers 500.
				Config:      hook(failing.URL),
				ExpectError: acctest.Words("Test delivery failed", "got HTTP 500 (http_error)", `The receiver answered: "Internal Server Error".`, "Fix the receiver, or set test_on_apply = false, and apply again."),
			},
		},
	})
	if n := len(failing.Requests()); n != 1 {
		t.Errorf("the failing receiver got %d requests, want 1 (tests are never retried)", n)
	}
}

func TestAccAccountWebhook_badInput(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, http.StatusOK)
	step := func(body, want string) resource.TestStep {
		return resource.TestStep{Config: env.Config(body), ExpectError: regexp.MustCompile(want)}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			step(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url    = %q
  events = ["transfer.craeted"]
}`, rcv.URL), `unknown event type "transfer.craeted" \(did you mean\s+"transfer.created"\?\)`),
			step(`
resource "hookd_account_webhook" "test" {
  url    = "http://hooks.example.com/in"
  events = ["*"]
}`, `must use https; plain http is accepted only for loopback and private\s+hosts`),
			step(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url     = %q
  events  = ["*"]
  headers = { "Webhook-Id" = "x" }
}`, rcv.URL), `(?s)Reserved header name.*"Webhook-Id" is reserved`),
			step(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url     = %q
  events  = ["*"]
  headers = { "X-Team" = "a", "x-team" = "b" }
}`, rcv.URL), `(?s)Duplicate header name.*HTTP header names are\s+case-insensitive`),
			step(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url    = %q
  events = ["*"]
  secret_rotation = {
    trigger            = "1"
    grace_period_hours = 169
  }
}`, rcv.URL), diagnosticRE(`secret_rotation.grace_period_hours must be from 0 to 168 hours, got 169; 0 stops the previous secret verifying at once; leave it out for the default, 24.`).String()),
			step(`
resource "hookd_account_webhook" "test" {
  url    = "ftp://example.com"
  events = ["*"]
}`, `must use https, not "ftp": write https:// instead of ftp://`),
			step(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url    = %q
  events = []
}`, rcv.URL), diagnosticRE(`events must list at least one event type such as "transfer.created", a category wildcard such as "transfer.*", or "*" for every event type`).String()),
			// The timeouts block bounds the API call: nothing answers within
			// a nanosecond.
			step(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url      = %q
  events   = ["*"]
  timeouts { create = "1ns" }
}`, rcv.URL), `(?s)Unable to create the account webhook.*POST /v1/webhooks/account: context\s+deadline\s+exceeded`),
		},
	})
}

func ptr[T any](v T) *T { return &v }

// One API call per operation: a create is one POST (its response is the
// state), an update one PATCH, a delete one DELETE.
func TestAccAccountWebhook_oneCallPerOperation(t *testing.T) {
	env := acctest.Start(t)
	counter := env.NewCounter(t)
	rcv := acctest.NewReceiver(t, 200)
	var id string
	config := func(name string) string {
		return fmt.Sprintf(`
provider "hookd" {
  endpoint = %q
  api_key  = %q
}

resource "hookd_account_webhook" "test" {
  name   = %q
  url    = %q
  events = ["*"]
}`, counter.URL, env.APIKey, name, rcv.URL)
	}
	expect := func(method, path string, want int) error {
		if got := counter.Count(method, path); got != want {
			return fmt.Errorf("%d calls to %s %s, want %d", got, method, path, want)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			return expect("DELETE", "/v1/webhooks/"+id, 1)
		},
		Steps: []resource.TestStep{
			{
				Config: config("one"),
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources[accountHook].Primary.ID
					return expect("POST", "/v1/webhooks/account", 1)
				},
			},
			{
				Config: config("two"),
				Check: func(*terraform.State) error {
					if err := expect("PATCH", "/v1/webhooks/"+id, 1); err != nil {
						return err
					}
					return expect("POST", "/v1/webhooks/account", 1)
				},
			},
		},
	})
}
