package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// publishExample publishes an event of eventType with the catalog's
// example as data, and returns its id.
func publishExample(t *testing.T, env *acctest.Env, eventType string) string {
	t.Helper()
	types, err := env.Client.EventCatalog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, et := range types {
		if et.Type == eventType {
			ev, err := env.Client.PublishEvent(t.Context(), client.PublishEventRequest{Type: eventType, Data: et.Example})
			if err != nil {
				t.Fatal(err)
			}
			return ev.EventID
		}
	}
	t.Fatalf("%s is not in the catalog", eventType)
	return ""
}

// awaitDeliveries polls until webhookID has n deliveries that all had an
// attempt, and returns them newest first.
func awaitDeliveries(t *testing.T, env *acctest.Env, webhookID string, n int) []client.Delivery {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		page, err := env.Client.ListDeliveries(t.Context(), webhookID, client.DeliveryListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		done := len(page.Data) == n
		for _, d := range page.Data {
			done = done && d.AttemptCount > 0 && d.Status != "pending"
		}
		if done {
			return page.Data
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook %s: want %d attempted deliveries within 5s, have %+v", webhookID, n, page.Data)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func apiTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func TestAccWebhookDeliveriesDataSource_realDeliveries(t *testing.T) {
	env := acctest.Start(t)
	if env.Server == nil {
		t.Skip("its account webhooks would also get the events other tests publish on a shared HOOKD_ENDPOINT: needs the in-process hookd")
	}
	ctx := t.Context()
	ok, failing := acctest.NewReceiver(t, http.StatusOK), acctest.NewReceiver(t, http.StatusInternalServerError)
	okHook, err := env.Client.CreateAccountWebhook(ctx, client.CreateWebhookRequest{URL: ok.URL, Events: []string{"transfer.*"}})
	if err != nil {
		t.Fatal(err)
	}
	failingHook, err := env.Client.CreateAccountWebhook(ctx, client.CreateWebhookRequest{URL: failing.URL, Events: []string{"transfer.created"}})
	if err != nil {
		t.Fatal(err)
	}
	ok.Trust(okHook.Secret)
	failing.Trust(failingHook.Secret)
	ok.VerifyWhenDone(t)
	failing.VerifyWhenDone(t)
	created := publishExample(t, env, "transfer.created")
	publishExample(t, env, "transfer.downloaded")
	test, err := env.Client.TestWebhook(ctx, okHook.ID, "transfer.created")
	if err != nil {
		t.Fatal(err)
	}
	// Newest first: the test delivery, transfer.downloaded, transfer.created.
	okDeliveries := awaitDeliveries(t, env, okHook.ID, 3)
	awaitDeliveries(t, env, failingHook.ID, 1)
	oldest := okDeliveries[2]

	ds := func(name string) string { return "data.hookd_webhook_deliveries." + name }
	deliveries := tfjsonpath.New("deliveries")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.Config(fmt.Sprintf(`
locals {
  ok      = %[1]q
  failing = %[2]q
}

data "hookd_webhook_deliveries" "all" {
  webhook_id = local.ok
}

data "hookd_webhook_deliveries" "created" {
  webhook_id = local.ok
  event_type = "transfer.created"
}

data "hookd_webhook_deliveries" "tests" {
  webhook_id = local.ok
  is_test    = true
}

data "hookd_webhook_deliveries" "real" {
  webhook_id = local.ok
  is_test    = false
}

data "hookd_webhook_deliveries" "latest" {
  webhook_id = local.ok
  limit      = 1
}

data "hookd_webhook_deliveries" "after_first" {
  webhook_id    = local.ok
  created_after = data.hookd_webhook_deliveries.all.deliveries[2].created_at
}

data "hookd_webhook_deliveries" "retrying" {
  webhook_id = local.failing
  status     = "retrying"
}

data "hookd_webhook_deliveries" "failing_succeeded" {
  webhook_id = local.failing
  status     = "succeeded"
}
`, okHook.ID, failingHook.ID)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds("all"), deliveries, knownvalue.ListSizeExact(3)),
				// Every field of a delivery that succeeded at the first attempt.
				statecheck.ExpectKnownValue(ds("all"), deliveries.AtSliceIndex(2), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"id":                        knownvalue.StringExact(oldest.ID),
					"webhook_id":                knownvalue.StringExact(okHook.ID),
					"event_id":                  knownvalue.StringExact(created),
					"event_type":                knownvalue.StringExact("transfer.created"),
					"status":                    knownvalue.StringExact("succeeded"),
					"attempt_count":             knownvalue.Int64Exact(1),
					"max_attempts":              knownvalue.Int64Exact(oldest.MaxAttempts),
					"created_at":                knownvalue.StringExact(apiTime(oldest.CreatedAt)),
					"last_attempt_at":           knownvalue.StringExact(apiTime(*oldest.LastAttemptAt)),
					"next_attempt_at":           knownvalue.Null(),
					"deadline_at":               knownvalue.StringExact(apiTime(oldest.DeadlineAt)),
					"last_response_status_code": knownvalue.Int64Exact(200),
					"last_error":                knownvalue.Null(),
					"last_duration_ms":          knownvalue.Int64Exact(*oldest.LastDurationMS),
					"trigger":                   knownvalue.StringExact("event"),
					"replay_of":                 knownvalue.Null(),
					"is_test":                   knownvalue.Bool(false),
				})),
				statecheck.ExpectKnownValue(ds("all"), deliveries.AtSliceIndex(1).AtMapKey("event_type"), knownvalue.StringExact("transfer.downloaded")),
				statecheck.ExpectKnownValue(ds("all"), deliveries.AtSliceIndex(0), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"id":      knownvalue.StringExact(test.DeliveryID),
					"trigger": knownvalue.StringExact("test"),
					"is_test": knownvalue.Bool(true),
				})),

				// event_type: the event and the test delivery of transfer.created.
				statecheck.ExpectKnownValue(ds("created"), deliveries, knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(test.DeliveryID)}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(oldest.ID)}),
				})),
				statecheck.ExpectKnownValue(ds("tests"), deliveries, knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(test.DeliveryID)}),
				})),
				statecheck.ExpectKnownValue(ds("real"), deliveries, knownvalue.ListSizeExact(2)),
				statecheck.ExpectKnownValue(ds("real"), deliveries.AtSliceIndex(0).AtMapKey("is_test"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(ds("real"), deliveries.AtSliceIndex(1).AtMapKey("is_test"), knownvalue.Bool(false)),

				// limit keeps the newest.
				statecheck.ExpectKnownValue(ds("latest"), deliveries, knownvalue.ListSizeExact(1)),
				statecheck.CompareValuePairs(ds("latest"), deliveries.AtSliceIndex(0).AtMapKey("id"), ds("all"), deliveries.AtSliceIndex(0).AtMapKey("id"), compare.ValuesSame()),

				// created_after is exclusive and takes the full precision of created_at.
				statecheck.ExpectKnownValue(ds("after_first"), deliveries, knownvalue.ListSizeExact(2)),
				statecheck.CompareValuePairs(ds("after_first"), deliveries.AtSliceIndex(1).AtMapKey("id"), ds("all"), deliveries.AtSliceIndex(1).AtMapKey("id"), compare.ValuesSame()),

				// A receiver answering 500 leaves the delivery retrying. A
				// second attempt may have happened meanwhile (5 s later), so
				// attempt_count and the times are only checked loosely.
				statecheck.ExpectKnownValue(ds("retrying"), deliveries, knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"webhook_id":                knownvalue.StringExact(failingHook.ID),
						"event_id":                  knownvalue.StringExact(created),
						"status":                    knownvalue.StringExact("retrying"),
						"attempt_count":             knownvalue.Int64Func(atLeast(1)),
						"last_attempt_at":           knownvalue.NotNull(),
						"next_attempt_at":           knownvalue.NotNull(),
						"last_response_status_code": knownvalue.Int64Exact(500),
						"last_error":                knownvalue.StringExact("http_error"),
						"trigger":                   knownvalue.StringExact("event"),
					}),
				})),
				statecheck.ExpectKnownValue(ds("failing_succeeded"), deliveries, knownvalue.ListSizeExact(0)),
			},
		}},
	})
}

func atLeast(lowest int64) func(int64) error {
	return func(v int64) error {
		if v < lowest {
			return fmt.Errorf("want at least %d, got %d", lowest, v)
		}
		return nil
	}
}

func TestAccWebhookDeliveriesDataSource_invalid(t *testing.T) {
	env := acctest.Start(t)
	hook, err := env.Client.CreateAccountWebhook(t.Context(), client.CreateWebhookRequest{URL: "https://example.com/hooks", Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	step := func(args, want string) resource.TestStep {
		return resource.TestStep{
			Config: env.Config(fmt.Sprintf(`
data "hookd_webhook_deliveries" "test" {
  webhook_id = %q
  %s
}
`, hook.ID, args)),
			ExpectError: diagnosticRE(want),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			step(`limit = 0`, `limit must be from 1 to 1000, got 0; leave it out for the default, 50.`),
			step(`limit = 1001`, `limit must be from 1 to 1000, got 1001; leave it out for the default, 50.`),
			step(`status = "failed"`, `status must be one of "pending", "retrying", "succeeded", "dead_lettered" or "canceled", got "failed"; leave it out for deliveries of every status.`),
			step(`created_after = "2026-01-02 15:04:05"`, `"2026-01-02 15:04:05" is not an RFC 3339 time: write a date, a time and a zone, such as 2026-01-02T15:04:05Z or 2026-01-02T17:04:05+02:00`),
			{
				Config: env.Config(`
data "hookd_webhook_deliveries" "test" {
  webhook_id = "wh_doesnotexist"
}
`),
				ExpectError: diagnosticRE(`No webhook has the ID "wh_doesnotexist", so it has no deliveries.`),
			},
		},
	})
}

// Pages smaller than limit are followed until limit deliveries are in,
// and no further. The fake serves 7 deliveries 2 per page, whatever the
// limit asked for.
func TestAccWebhookDeliveriesDataSource_followsPages(t *testing.T) {
	acctest.PreCheck(t)
	var listCalls atomic.Int32
	created := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/webhooks/events":
			_, _ = w.Write([]byte(`{"data": []}`))
		case "/v1/webhooks/wh_paged/deliveries":
			listCalls.Add(1)
			start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
			page := client.Page[client.Delivery]{Data: []client.Delivery{}}
			for i := start; i < start+2 && i < 7; i++ {
				page.Data = append(page.Data, client.Delivery{
					ID: fmt.Sprintf("dlv_%d", 7-i), WebhookID: "wh_paged", EventID: "evt_1", EventType: "transfer.created",
					Status: "succeeded", AttemptCount: 1, MaxAttempts: 12, CreatedAt: created.Add(-time.Duration(i) * time.Minute),
					DeadlineAt: created.Add(72 * time.Hour), Trigger: "event",
				})
			}
			if start+2 < 7 {
				page.NextCursor = new(strconv.Itoa(start + 2))
			}
			_ = json.NewEncoder(w).Encode(page)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(fake.Close)
	env := &acctest.Env{Endpoint: fake.URL, APIKey: "test-key"}

	ids := func(ids ...string) knownvalue.Check {
		checks := make([]knownvalue.Check, len(ids))
		for i, id := range ids {
			checks[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(id)})
		}
		return knownvalue.ListExact(checks)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() { listCalls.Store(0) },
			Config: env.Config(`
data "hookd_webhook_deliveries" "five" {
  webhook_id = "wh_paged"
  limit      = 5
}
`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.hookd_webhook_deliveries.five", tfjsonpath.New("deliveries"),
					ids("dlv_7", "dlv_6", "dlv_5", "dlv_4", "dlv_3")),
				statecheck.ExpectKnownValue("data.hookd_webhook_deliveries.five", tfjsonpath.New("deliveries").AtSliceIndex(0).AtMapKey("created_at"),
					knownvalue.StringExact("2026-01-02T15:00:00Z")),
				checkFunc(func() error {
					// Each read (plan, apply, refresh) takes 3 pages, never 4.
					if n := listCalls.Load(); n%3 != 0 || n == 0 {
						return fmt.Errorf("%d list calls, want a multiple of 3", n)
					}
					return nil
				}),
			},
		}},
	})
}

// checkFunc adapts a plain function to a state check.
type checkFunc func() error

func (f checkFunc) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f()
}
