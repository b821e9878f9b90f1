package provider_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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

// terraform apply -invoke rotates a webhook's secret: the server is at the
// next secret_version with the asked grace window, the output says so and
// warns that a managed webhook's secret in state is now stale.
func TestAccWebhookRotateSecretAction_invoke(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	wh, err := env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := invoke(t, env, "action.hookd_webhook_rotate_secret.now", fmt.Sprintf(`
action "hookd_webhook_rotate_secret" "now" {
  config {
    webhook_id         = %q
    grace_period_hours = 2
  }
}`, wh.ID))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got, err := env.Client.GetWebhook(context.Background(), wh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SecretVersion != 2 || got.SecretFingerprint == wh.SecretFingerprint || got.PreviousSecretExpiresAt == nil {
		t.Fatalf("after the action the server has secret_version %d, fingerprint %s (was %s), previous expiry %v",
			got.SecretVersion, got.SecretFingerprint, wh.SecretFingerprint, got.PreviousSecretExpiresAt)
	}
	if got.SecretRotatedAt == nil {
		t.Fatal("no secret_rotated_at after a rotation")
	}
	if d := got.PreviousSecretExpiresAt.Sub(*got.SecretRotatedAt); d.Hours() != 2 {
		t.Errorf("grace window %s, want 2h", d)
	}
	for _, want := range []string{
		fmt.Sprintf("Webhook %s is at secret_version 2 (secret_fingerprint %s)", wh.ID, got.SecretFingerprint),
		"Warning: Signing secret rotated by an action",
	} {
		if !acctest.Words(want).MatchString(out) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
}

// From a managed webhook's action_trigger: the rotation happens after
// create; the refresh that follows sees the new version, nulls the secret
// in state with a warning, and plans nothing.
func TestAccWebhookRotateSecretAction_staleSecretInState(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	config := env.Config(fmt.Sprintf(`
action "hookd_webhook_rotate_secret" "now" {
  config {
    webhook_id = hookd_account_webhook.test.id
  }
}

resource "hookd_account_webhook" "test" {
  url    = %q
  events = ["*"]

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.hookd_webhook_rotate_secret.now]
    }
  }
}`, rcv.URL))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(s *terraform.State) error {
					id := s.RootModule().Resources[accountHook].Primary.ID
					wh, err := env.Client.GetWebhook(context.Background(), id)
					if err != nil {
						return err
					}
					if wh.SecretVersion != 2 {
						return fmt.Errorf("secret_version %d on the server, want 2 after the action", wh.SecretVersion)
					}
					return nil
				},
			},
			{
				RefreshState: true,
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckNoResourceAttr(accountHook, "secret"),
					resource.TestCheckResourceAttr(accountHook, "secret_version", "2"),
				),
			},
		},
	})
}

func TestAccWebhookRotateSecretAction_badInput(t *testing.T) {
	env := acctest.Start(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{{
			Config: env.Config(`
action "hookd_webhook_rotate_secret" "now" {
  config {
    webhook_id         = "wh_0123456789abcdefghij"
    grace_period_hours = 500
  }
}
` + triggeredBy("action.hookd_webhook_rotate_secret.now")),
			ExpectError: acctest.Words(`grace_period_hours must be from 0 to 168 hours, got 500; 0 stops the previous secret verifying at once; leave it out for the default, 24.`),
		}},
	})
}

// From a managed webhook's action_trigger, after an update: creating the
// webhook rotates once (secret_version 2); updating its name rotates again,
// so the server is at secret_version 3 with another fingerprint than the
// one the update left in state, and the asked grace window; the next
// apply's refresh sees version 3, nulls the secret and changes nothing, so
// nothing rotates again.
func TestAccWebhookRotateSecretAction_afterUpdate(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	config := func(name string) string {
		return env.Config(fmt.Sprintf(`
action "hookd_webhook_rotate_secret" "now" {
  config {
    webhook_id         = hookd_account_webhook.test.id
    grace_period_hours = 1
  }
}

resource "hookd_account_webhook" "test" {
  name   = %q
  url    = %q
  events = ["*"]

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.hookd_webhook_rotate_secret.now]
    }
  }
}`, name, rcv.URL))
	}
	// rotatedTo fails unless the server has the webhook of the state at
	// secret_version want, with another fingerprint than the one in state
	// (the action rotated after the apply wrote it), rotated with a 1h grace
	// window.
	rotatedTo := func(want int64) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			r := s.RootModule().Resources[accountHook].Primary
			wh, err := env.Client.GetWebhook(context.Background(), r.ID)
			if err != nil {
				return err
			}
			if wh.SecretVersion != want {
				return fmt.Errorf("secret_version %d on the server, want %d", wh.SecretVersion, want)
			}
			if inState := r.Attributes["secret_fingerprint"]; wh.SecretFingerprint == inState {
				return fmt.Errorf("the server's fingerprint %s is the one in state: no rotation after the apply", inState)
			}
			if wh.SecretRotatedAt == nil || wh.PreviousSecretExpiresAt == nil || wh.PreviousSecretExpiresAt.Sub(*wh.SecretRotatedAt) != time.Hour {
				return fmt.Errorf("rotated at %v, previous secret expiring at %v: want a 1h grace window", wh.SecretRotatedAt, wh.PreviousSecretExpiresAt)
			}
			return nil
		}
	}
	// Each step's state holds another fingerprint than the step before.
	fingerprints := statecheck.CompareValue(compare.ValuesDiffer())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{
			{
				Config: config("first"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(1)),
					fingerprints.AddStateValue(accountHook, tfjsonpath.New("secret_fingerprint")),
				},
				Check: rotatedTo(2),
			},
			{
				Config: config("second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
				}},
				// The apply's refresh saw version 2; the update kept it.
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(2)),
					fingerprints.AddStateValue(accountHook, tfjsonpath.New("secret_fingerprint")),
				},
				Check: rotatedTo(3),
			},
			{
				Config: config("second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(3)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret"), knownvalue.Null()),
					fingerprints.AddStateValue(accountHook, tfjsonpath.New("secret_fingerprint")),
				},
				Check: func(s *terraform.State) error {
					id := s.RootModule().Resources[accountHook].Primary.ID
					wh, err := env.Client.GetWebhook(context.Background(), id)
					if err != nil {
						return err
					}
					if wh.SecretVersion != 3 {
						return fmt.Errorf("secret_version %d on the server after an apply that changed nothing, want 3", wh.SecretVersion)
					}
					return nil
				},
			},
		},
	})
}
