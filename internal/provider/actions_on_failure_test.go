package provider_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// onFailureCase is an action that hookd refuses, run from a
// terraform_data's action_trigger after create.
type onFailureCase struct {
	name string
	// frozen is whether hookd's clock stands still (frozenHookd).
	frozen bool
	// setup makes the server state the action is refused on, and returns
	// the action's type, its config arguments, the summary and the words
	// of the detail of the diagnostic it fails with, and a snapshot of the
	// server state the refusal must leave as it was.
	setup func(t *testing.T, env *acctest.Env) (action, args, summary string, detail []string, snapshot func() string)
}

// on_failure (Terraform 1.16) on each action hookd refuses: with continue
// the apply succeeds, telling the failure as a warning and counting the
// action as failed; terraform_data is created and not tainted (the next
// plan is empty). With the default, fail, the same diagnostic is the
// apply's error; terraform_data is kept, not tainted, so the next plan is
// empty too (the action does not run again by itself). Either way hookd's
// state is as it was. (hookd_webhook_test
// and hookd_delivery_retry have their own: TestAccWebhookTestAction_onFailureContinue,
// TestAccDeliveryRetryAction_onFailureContinue.)
func TestAccActions_onFailure(t *testing.T) {
	cases := []onFailureCase{
		{
			// A webhook deleted out of band: 404.
			name: "rotate_secret/deleted_webhook",
			setup: func(t *testing.T, env *acctest.Env) (string, string, string, []string, func() string) {
				wh, err := env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{URL: "https://example.com/gone", Events: []string{"*"}})
				if err != nil {
					t.Fatal(err)
				}
				if err := env.Client.DeleteWebhook(context.Background(), wh.ID); err != nil {
					t.Fatal(err)
				}
				snapshot := func() string {
					_, err := env.Client.GetWebhook(context.Background(), wh.ID)
					return fmt.Sprintf("webhook %s: not found %v", wh.ID, errors.Is(err, client.ErrNotFound))
				}
				return "hookd_webhook_rotate_secret", fmt.Sprintf("webhook_id = %q\n    grace_period_hours = 1", wh.ID),
					"Unable to rotate the signing secret of webhook " + wh.ID, []string{"(hookd request id req_"}, snapshot
			},
		},
		{
			// A delivery still retrying (the clock stands still, so its
			// next attempt never comes) is not finished: only succeeded,
			// dead-lettered and canceled deliveries can be replayed.
			name:   "delivery_replay/retrying_delivery",
			frozen: true,
			setup: func(t *testing.T, env *acctest.Env) (string, string, string, []string, func() string) {
				rcv, wh := verifiedWebhook(t, env, http.StatusBadGateway)
				publish(t, env)
				d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "retrying" })
				return "hookd_delivery_replay", fmt.Sprintf("delivery_id = %q", d.ID),
					"Unable to replay delivery " + d.ID,
					[]string{"delivery " + d.ID + " is retrying; only succeeded, dead_lettered and canceled deliveries can be replayed.", "(hookd request id req_"},
					deliveriesSnapshot(t, env, wh.ID, rcv)
			},
		},
		{
			// A receiver that is gone (410) dead-letters the delivery and
			// auto-disables the webhook; hookd replays nothing to it until
			// it is re-enabled, and recover (without reenable) says so
			// before it tries.
			name: "webhook_recover/auto_disabled_webhook",
			setup: func(t *testing.T, env *acctest.Env) (string, string, string, []string, func() string) {
				rcv, wh := verifiedWebhook(t, env, http.StatusGone)
				publish(t, env)
				d := waitDelivery(t, env, wh.ID, func(d client.Delivery) bool { return d.Status == "dead_lettered" })
				return "hookd_webhook_recover", fmt.Sprintf("webhook_id = %q\n    since = %q", wh.ID, d.CreatedAt.Add(-time.Minute).UTC().Format(time.RFC3339)),
					"Webhook auto-disabled",
					[]string{"hookd auto-disabled webhook " + wh.ID, "and replays nothing to it until it is re-enabled: nothing was replayed.", "set reenable = true"},
					deliveriesSnapshot(t, env, wh.ID, rcv)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Skip (or fail, under HOOKD_ACC_REQUIRE_FEATURES) here, before
			// the setup, on a CLI without on_failure: a skip from within
			// the subtests below would stop this test from theirs.
			acctest.NewTerraform(t).VersionChecks(onFailureVersion...)
			var env *acctest.Env
			if tc.frozen {
				env, _ = frozenHookd(t)
			} else {
				env = acctest.Start(t)
			}
			action, args, summary, detail, snapshot := tc.setup(t, env)
			before := snapshot()
			address := "action." + action + ".x"
			run := func(t *testing.T, onFailure string) (out string, tf *acctest.Terraform, err error) {
				tf = acctest.NewTerraform(t)
				tf.VersionChecks(onFailureVersion...)
				tf.WriteFile("main.tf", onFailureConfig(t, env, action, args, onFailure))
				tf.Init()
				stdout, stderr, err := tf.Run("apply", "-auto-approve", "-input=false", "-no-color")
				return stdout + stderr, tf, err
			}

			t.Run("continue", func(t *testing.T) {
				out, tf, err := run(t, "continue")
				if err != nil {
					t.Fatalf("the apply failed despite on_failure = continue: %v\n%s", err, out)
				}
				for _, want := range []*regexp.Regexp{
					acctest.Words("Action failed: " + address + " (triggered by terraform_data.x) - " + summary),
					acctest.Words(append([]string{"Warning: " + summary, "with " + address + ", called from terraform_data.x"}, detail...)...),
					acctest.Words("Apply complete! Resources: 1 added, 0 changed, 0 destroyed. Actions: 1 invoked, 1 failed."),
				} {
					if !want.MatchString(out) {
						t.Errorf("the output lacks %s:\n%s", want, out)
					}
				}
				if strings.Contains(out, "Error:") {
					t.Errorf("an error despite on_failure = continue:\n%s", out)
				}
				if list, _, err := tf.Run("state", "list"); err != nil || strings.TrimSpace(list) != "terraform_data.x" {
					t.Errorf("state list: %v\n%s", err, list)
				}
				if plan, stderr, err := tf.Run("plan", "-detailed-exitcode", "-input=false", "-no-color"); err != nil {
					t.Errorf("the plan after the apply is not empty (tainted?): %v\n%s%s", err, plan, stderr)
				}
				if after := snapshot(); after != before {
					t.Errorf("hookd's state changed:\n%s\nwas:\n%s", after, before)
				}
			})

			t.Run("fail", func(t *testing.T) {
				out, tf, err := run(t, "")
				if err == nil {
					t.Fatalf("the apply succeeded although %s failed:\n%s", address, out)
				}
				if want := acctest.Words(append([]string{"Error: " + summary, "with " + address + ", called from terraform_data.x"}, detail...)...); !want.MatchString(out) {
					t.Errorf("the output lacks %s:\n%s", want, out)
				}
				if strings.Contains(out, "Apply complete!") {
					t.Errorf("the apply says it completed:\n%s", out)
				}
				// Terraform 1.16 keeps the resource the action ran after,
				// not tainted: the next plan neither replaces it nor runs
				// the after_create action again.
				if list, _, err := tf.Run("state", "list"); err != nil || strings.TrimSpace(list) != "terraform_data.x" {
					t.Errorf("state list: %v\n%s", err, list)
				}
				if plan, stderr, err := tf.Run("plan", "-detailed-exitcode", "-input=false", "-no-color"); err != nil {
					t.Errorf("the plan after the failed apply is not empty: %v\n%s%s", err, plan, stderr)
				}
				if after := snapshot(); after != before {
					t.Errorf("hookd's state changed:\n%s\nwas:\n%s", after, before)
				}
			})
		})
	}
}

// onFailureConfig runs action (config args) after terraform_data.x is
// created, with on_failure set unless it is "".
func onFailureConfig(t *testing.T, env *acctest.Env, action, args, onFailure string) string {
	t.Helper()
	if onFailure != "" {
		onFailure = "on_failure = " + onFailure
	}
	return env.Config(fmt.Sprintf(`
action %q "x" {
  config {
    %s
  }
}

resource "terraform_data" "x" {
  input = "incident"

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.%s.x]
      %s
    }
  }
}`, action, args, action, onFailure))
}

// deliveriesSnapshot tells the state of a webhook and its deliveries (each
// one's status and attempts, replays included) and how many requests its
// receiver got.
func deliveriesSnapshot(t *testing.T, env *acctest.Env, webhookID string, rcv *acctest.Receiver) func() string {
	return func() string {
		var b strings.Builder
		wh, err := env.Client.GetWebhook(context.Background(), webhookID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "webhook %s: %s, active %v, secret_version %d\n", wh.ID, wh.Status, wh.Active, wh.SecretVersion)
		for d, err := range env.Client.AllDeliveries(context.Background(), webhookID, client.DeliveryListOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			replayOf := ""
			if d.ReplayOf != nil {
				replayOf = ", replay of " + *d.ReplayOf
			}
			fmt.Fprintf(&b, "delivery %s: %s after %d attempts%s\n", d.ID, d.Status, d.AttemptCount, replayOf)
		}
		fmt.Fprintf(&b, "receiver: %d requests\n", len(rcv.Requests()))
		return b.String()
	}
}
