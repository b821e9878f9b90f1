package provider_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
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
	rcv, wh := verifiedWebhook(t, env, http.StatusBadGateway)
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
	_, wh := verifiedWebhook(t, env, http.StatusServiceUnavailable)
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
	if want := acctest.Words("Error: Delivery retry failed", fmt.Sprintf("Attempt 2 of delivery %s got HTTP 503", d.ID), `ms. The receiver answered: "Service Unavailable".`,
		fmt.Sprintf("hookd retries delivery %s on its schedule (next attempt at", d.ID), "until it succeeds or is dead-lettered: fix the receiver, and run hookd_delivery_retry on it for an attempt now."); !want.MatchString(out) {
		t.Errorf("the output lacks %s:\n%s", want, out)
	}
}

// A succeeded delivery is replayed: a new delivery of the same event, whose
// first attempt the action waits for; a retry of it is refused with the
// API's reason.
func TestAccDeliveryReplayAction_invoke(t *testing.T) {
	env := acctest.Start(t)
	rcv, wh := verifiedWebhook(t, env, http.StatusOK)
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
	if n := len(rcv.RequestsWith("Webhook-Id", d.EventID)); n != 2 {
		t.Errorf("the receiver got %d requests of event %s, want 2", n, d.EventID)
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

// replaysOf lists the replays of delivery id.
func replaysOf(env *acctest.Env, webhookID, id string) ([]client.Delivery, error) {
	var out []client.Delivery
	for d, err := range env.Client.AllDeliveries(context.Background(), webhookID, client.DeliveryListOptions{}) {
		if err != nil {
			return nil, err
		}
		if d.ReplayOf != nil && *d.ReplayOf == id {
			out = append(out, d)
		}
	}
	return out, nil
}

// manuallyRetried fails unless delivery id succeeded at its second
// attempt, a manual one: what one hookd_delivery_retry did after a failure.
func manuallyRetried(env *acctest.Env, id string) error {
	d, err := env.Client.GetDelivery(context.Background(), id)
	if err != nil {
		return err
	}
	if d.Status != "succeeded" || len(d.Attempts) != 2 || d.Attempts[1].Trigger != "manual" {
		return fmt.Errorf("delivery %s is %s with attempts %+v, want succeeded after one manual retry", id, d.Status, d.Attempts)
	}
	return nil
}

// hookd_delivery_retry from a terraform_data's action_trigger, the
// delivery to retry being its input: creating it retries the first failed
// delivery; changing the input (after_update) retries the second and leaves
// the first alone. The clock stands still, so every attempt after the
// first is the action's.
func TestAccDeliveryRetryAction_trigger(t *testing.T) {
	env, _ := frozenHookd(t)
	rcv, wh := verifiedWebhook(t, env, http.StatusBadGateway)
	var failed []string
	for range 2 {
		publish(t, env)
		d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "retrying" && !slices.Contains(failed, d.ID) })
		failed = append(failed, d.ID)
	}
	rcv.SetStatus(http.StatusOK)
	config := func(id string) string {
		return env.Config(fmt.Sprintf(`
action "hookd_delivery_retry" "now" {
  config {
    delivery_id = terraform_data.failed.input
  }
}

resource "terraform_data" "failed" {
  input = %q

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.hookd_delivery_retry.now]
    }
  }
}`, id))
	}
	attempts := func(id string, want int) error {
		d, err := env.Client.GetDelivery(context.Background(), id)
		if err != nil {
			return err
		}
		if len(d.Attempts) != want || d.Status != "retrying" {
			return fmt.Errorf("delivery %s is %s with %d attempts, want still retrying after %d", id, d.Status, len(d.Attempts), want)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{
			{
				Config: config(failed[0]),
				Check: func(*terraform.State) error {
					return errors.Join(manuallyRetried(env, failed[0]), attempts(failed[1], 1))
				},
			},
			{
				Config: config(failed[1]),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("terraform_data.failed", plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					return errors.Join(manuallyRetried(env, failed[0]), manuallyRetried(env, failed[1]))
				},
			},
		},
	})
	if n := len(rcv.Requests()); n != 4 {
		t.Errorf("the receiver got %d requests, want 4 (two refused, two retried)", n)
	}
}

// hookd_delivery_replay from a terraform_data's action_trigger (after
// create): one replay of the delivery, a new delivery of the same event,
// delivered; another apply with nothing to change replays nothing.
func TestAccDeliveryReplayAction_trigger(t *testing.T) {
	env := acctest.Start(t)
	rcv, wh := verifiedWebhook(t, env, http.StatusOK)
	publish(t, env)
	d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "succeeded" })
	replayed := func(*terraform.State) error {
		replays, err := replaysOf(env, wh.ID, d.ID)
		if err != nil {
			return err
		}
		if len(replays) != 1 {
			return fmt.Errorf("%d replays of %s, want 1", len(replays), d.ID)
		}
		if r := replays[0]; r.Status != "succeeded" || r.EventID != d.EventID {
			return fmt.Errorf("replay %s is %s for event %s, want succeeded for %s", r.ID, r.Status, r.EventID, d.EventID)
		}
		if n := len(rcv.RequestsWith("Webhook-Id", d.EventID)); n != 2 {
			return fmt.Errorf("the receiver got %d requests of event %s, want 2", n, d.EventID)
		}
		return nil
	}
	config := env.Config(fmt.Sprintf(`
action "hookd_delivery_replay" "again" {
  config {
    delivery_id = terraform_data.delivered.input
  }
}

resource "terraform_data" "delivered" {
  input = %q

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.hookd_delivery_replay.again]
    }
  }
}`, d.ID))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("terraform_data.delivered", plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("terraform_data.delivered", tfjsonpath.New("output"), knownvalue.StringExact(d.ID)),
				},
				Check: replayed,
			},
			// An apply that changes nothing triggers nothing: still one replay.
			{Config: config, Check: replayed},
		},
	})
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

// verifiedWebhook is an account webhook subscribed to transfer.created,
// made through the API, delivering to a receiver that answers status
// (acctest.NewReceiver) and verifies every delivery with its secret when
// the test ends.
func verifiedWebhook(t *testing.T, env *acctest.Env, status int) (*acctest.Receiver, *client.WebhookWithSecret) {
	t.Helper()
	rcv := acctest.NewReceiver(t, status)
	wh, err := env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"transfer.created"}})
	if err != nil {
		t.Fatal(err)
	}
	rcv.Trust(wh.Secret)
	rcv.VerifyWhenDone(t)
	// Against an external hookd the webhook would outlive the test.
	t.Cleanup(func() {
		if err := env.Client.DeleteWebhook(context.Background(), wh.ID); err != nil && !errors.Is(err, client.ErrNotFound) {
			t.Errorf("delete webhook %s: %v", wh.ID, err)
		}
	})
	return rcv, wh
}

// hookd_delivery_replay from a terraform_data's action_trigger on
// after_update only: creating it replays nothing; each update of its input
// replays the delivery once more: a new delivery of the same event,
// delivered. (The action names the delivery itself: on Terraform 1.16 an
// action that refers to its triggering resource by address, with only
// after_update, fails the create's plan with an "action reference cycle".)
func TestAccDeliveryReplayAction_afterUpdate(t *testing.T) {
	env := acctest.Start(t)
	rcv, wh := verifiedWebhook(t, env, http.StatusOK)
	publish(t, env)
	d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "succeeded" })
	replays := func(want int) resource.TestCheckFunc {
		return func(*terraform.State) error {
			replays, err := replaysOf(env, wh.ID, d.ID)
			if err != nil {
				return err
			}
			if len(replays) != want {
				return fmt.Errorf("%d replays of %s, want %d", len(replays), d.ID, want)
			}
			for _, r := range replays {
				if r.Status != "succeeded" || r.EventID != d.EventID {
					return fmt.Errorf("replay %s is %s for event %s, want succeeded for %s", r.ID, r.Status, r.EventID, d.EventID)
				}
			}
			if n := len(rcv.RequestsWith("Webhook-Id", d.EventID)); n != 1+want {
				return fmt.Errorf("the receiver got %d requests of event %s, want %d", n, d.EventID, 1+want)
			}
			return nil
		}
	}
	config := func(reason string) string {
		return env.Config(fmt.Sprintf(`
action "hookd_delivery_replay" "again" {
  config {
    delivery_id = %q
  }
}

resource "terraform_data" "replay" {
  input = %q

  lifecycle {
    action_trigger {
      events  = [after_update]
      actions = [action.hookd_delivery_replay.again]
    }
  }
}`, d.ID, reason))
	}
	update := func(reason string, want int) resource.TestStep {
		return resource.TestStep{
			Config: config(reason),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("terraform_data.replay", plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("terraform_data.replay", tfjsonpath.New("output"), knownvalue.StringExact(reason)),
			},
			Check: replays(want),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{
			{Config: config("first"), Check: replays(0)},
			update("receiver restored", 1),
			update("once more", 2),
			// An apply that changes nothing triggers nothing.
			{Config: config("once more"), Check: replays(2)},
		},
	})
}

// on_failure = continue (Terraform 1.16) on a delivery action the API
// refuses: a retry of a delivery that succeeded, which is not retryable.
// The apply succeeds with the refusal as a warning (the API's reason and
// request id) and counts the action as failed; terraform_data is created,
// not tainted (the next plan is empty), and the delivery is as it was: one
// attempt, succeeded, the receiver having got the event once.
func TestAccDeliveryRetryAction_onFailureContinue(t *testing.T) {
	env := acctest.Start(t)
	rcv, wh := verifiedWebhook(t, env, http.StatusOK)
	publish(t, env)
	d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "succeeded" })
	tf := acctest.NewTerraform(t)
	tf.VersionChecks(onFailureVersion...)
	tf.WriteFile("main.tf", env.Config(fmt.Sprintf(`
action "hookd_delivery_retry" "now" {
  config {
    delivery_id = %q
  }
}

resource "terraform_data" "retry" {
  input = "after the outage"

  lifecycle {
    action_trigger {
      events     = [after_create]
      actions    = [action.hookd_delivery_retry.now]
      on_failure = continue
    }
  }
}`, d.ID)))
	tf.Init()
	stdout, stderr, err := tf.Run("apply", "-auto-approve", "-input=false", "-no-color")
	out := stdout + stderr
	if err != nil {
		t.Fatalf("the apply failed despite on_failure = continue: %v\n%s", err, out)
	}
	refused := "delivery " + d.ID + " is succeeded; only retrying and dead_lettered deliveries can be retried. (hookd request id req_"
	for _, want := range []*regexp.Regexp{
		acctest.Words("Action failed: action.hookd_delivery_retry.now (triggered by terraform_data.retry) - Unable to retry delivery "+d.ID, refused),
		acctest.Words("Warning: Unable to retry delivery "+d.ID, "with action.hookd_delivery_retry.now, called from terraform_data.retry", refused),
		acctest.Words("Apply complete! Resources: 1 added, 0 changed, 0 destroyed. Actions: 1 invoked, 1 failed."),
	} {
		if !want.MatchString(out) {
			t.Errorf("the output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Error:") {
		t.Errorf("an error despite on_failure = continue:\n%s", out)
	}
	if list, _, err := tf.Run("state", "list"); err != nil || strings.TrimSpace(list) != "terraform_data.retry" {
		t.Errorf("state list: %v\n%s", err, list)
	}
	if plan, stderr, err := tf.Run("plan", "-detailed-exitcode", "-input=false", "-no-color"); err != nil {
		t.Errorf("the plan after the apply is not empty (tainted?): %v\n%s%s", err, plan, stderr)
	}
	detail, err := env.Client.GetDelivery(context.Background(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if detail.Status != "succeeded" || len(detail.Attempts) != 1 {
		t.Errorf("delivery %s is %s with %d attempts, want succeeded after its one attempt", d.ID, detail.Status, len(detail.Attempts))
	}
	if n := len(rcv.RequestsWith("Webhook-Id", d.EventID)); n != 1 {
		t.Errorf("the receiver got %d requests of event %s, want 1", n, d.EventID)
	}
}
