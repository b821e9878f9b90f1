package provider_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// waitDelivery polls the deliveries of a webhook until one matches, within
// five seconds (hookd attempts at once; its clock is real here).
func waitDelivery(t *testing.T, env *acctest.Env, webhookID string, match func(client.Delivery) bool) client.Delivery {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for d, err := range env.Client.AllDeliveries(context.Background(), webhookID, client.DeliveryListOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			if match(d) {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching delivery of %s within 5 s", webhookID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// publish sends one transfer.created event with the catalog's example data.
func publish(t *testing.T, env *acctest.Env) {
	t.Helper()
	example, err := catalogExample(context.Background(), env, "transfer.created")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.PublishEvent(context.Background(), client.PublishEventRequest{Type: "transfer.created", Data: example}); err != nil {
		t.Fatal(err)
	}
}

// frozenHookd is an in-process hookd whose clock stands still: a failed
// delivery's next scheduled attempt (5 s later) never comes during the
// test, so only the action makes attempts.
func frozenHookd(t *testing.T) (*acctest.Env, *clockwork.FakeClock) {
	clock := clockwork.NewFakeClockAt(time.Now())
	return acctest.Start(t, hookdtest.WithClock(clock)), clock
}

// A delivery that failed while the receiver was down is retried by the
// action once it is back: the attempt is made at once, and the action
// reports its answer; the delivery then succeeded.
func TestAccDeliveryRetryAction_invoke(t *testing.T) {
	env, _ := frozenHookd(t)
	rcv := acctest.NewReceiver(t, http.StatusBadGateway)
	wh, err := env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"transfer.created"}})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, env)
	d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "retrying" })
	rcv.SetStatus(http.StatusOK)
	out, err := invoke(t, env, "action.hookd_delivery_retry.now", fmt.Sprintf(`
action "hookd_delivery_retry" "now" {
  config {
    delivery_id = %q
  }
}`, d.ID))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := fmt.Sprintf("Attempt 2 of delivery %s got HTTP 200 after", d.ID); !strings.Contains(out, want) {
		t.Errorf("the output lacks %q:\n%s", want, out)
	}
	detail, err := env.Client.GetDelivery(context.Background(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if detail.Status != "succeeded" || len(detail.Attempts) != 2 || detail.Attempts[1].Trigger != "manual" {
		t.Errorf("delivery %s is %s with attempts %+v, want succeeded after a manual second attempt", d.ID, detail.Status, detail.Attempts)
	}
}

// A retry the receiver still refuses fails the action with its answer.
func TestAccDeliveryRetryAction_stillFailing(t *testing.T) {
	env, _ := frozenHookd(t)
	rcv := acctest.NewReceiver(t, http.StatusServiceUnavailable)
	wh, err := env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"transfer.created"}})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, env)
	d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "retrying" })
	out, err := invoke(t, env, "action.hookd_delivery_retry.now", fmt.Sprintf(`
action "hookd_delivery_retry" "now" {
  config {
    delivery_id = %q
  }
}`, d.ID))
	if err == nil {
		t.Fatalf("the action succeeded against a receiver answering 503:\n%s", out)
	}
	if want := acctest.Words("Error: Delivery retry failed", fmt.Sprintf("Attempt 2 of delivery %s got HTTP 503", d.ID), "ms. Fix the receiver and run the action again"); !want.MatchString(out) {
		t.Errorf("the output lacks %s:\n%s", want, out)
	}
}

// A succeeded delivery is replayed: a new delivery of the same event, whose
// first attempt the action waits for; a retry of it is refused with the
// API's reason.
func TestAccDeliveryReplayAction_invoke(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, http.StatusOK)
	wh, err := env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"transfer.created"}})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, env)
	d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "succeeded" })
	out, err := invoke(t, env, "action.hookd_delivery_replay.again", fmt.Sprintf(`
action "hookd_delivery_replay" "again" {
  config {
    delivery_id = %q
  }
}`, d.ID))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	replay := waitDelivery(t, env, wh.ID, func(r client.Delivery) bool { return r.ReplayOf != nil && *r.ReplayOf == d.ID })
	for _, want := range []string{
		fmt.Sprintf("Delivery %s replays %s", replay.ID, d.ID),
		fmt.Sprintf("Attempt 1 of delivery %s got HTTP 200 after", replay.ID),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if replay.Status != "succeeded" || replay.EventID != d.EventID {
		t.Errorf("replay %s is %s for event %s, want succeeded for %s", replay.ID, replay.Status, replay.EventID, d.EventID)
	}
	if n := len(rcv.Requests()); n != 2 {
		t.Errorf("the receiver got %d requests, want 2", n)
	}

	out, err = invoke(t, env, "action.hookd_delivery_retry.now", fmt.Sprintf(`
action "hookd_delivery_retry" "now" {
  config {
    delivery_id = %q
  }
}`, d.ID))
	if err == nil || !acctest.Words("Unable to retry delivery "+d.ID, "only retrying and dead_lettered deliveries can be retried").MatchString(out) {
		t.Errorf("retrying a succeeded delivery: %v\n%s", err, out)
	}
}

func TestAccDeliveryActions_badInput(t *testing.T) {
	env := acctest.Start(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{{
			Config: env.Config(`
action "hookd_delivery_replay" "again" {
  config {
    delivery_id = "evt_0123456789abcdefghij"
  }
}
` + triggeredBy("action.hookd_delivery_replay.again")),
			ExpectError: acctest.Words(`delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "evt_0123456789abcdefghij".`),
		}},
	})
}
