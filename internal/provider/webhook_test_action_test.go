package provider_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
)

// Actions need Terraform 1.14, on_failure 1.16; the CLI under test is asked
// whether it has them.
var (
	actionsVersion   = []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.Actions)}
	onFailureVersion = []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.ActionOnFailure)}
)

// triggeredBy is a terraform_data whose creation runs action: how a test
// gets an action's configuration validated and planned.
func triggeredBy(action string) string {
	return fmt.Sprintf(`
resource "terraform_data" "x" {
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [%s]
    }
  }
}`, action)
}

// testDeliveries counts the test deliveries hookd recorded for a webhook.
func testDeliveries(env *acctest.Env, webhookID string) (n int, err error) {
	isTest := true
	for _, err := range env.Client.AllDeliveries(context.Background(), webhookID, client.DeliveryListOptions{Filter: deliveries.Filter{IsTest: &isTest}}) {
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// hookd_webhook_test from a webhook's own action_trigger: a test delivery
// after create and after every update; a receiver answering 500 fails the
// apply with its answer, unless on_failure = continue makes it a warning.
func TestAccWebhookTestAction_trigger(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	rcv.VerifyWhenDone(t)
	var id string
	config := func(name, onFailure string) string {
		return env.Config(fmt.Sprintf(`
action "hookd_webhook_test" "check" {
  config {
    webhook_id = hookd_account_webhook.test.id
    event_type = "transfer.created"
  }
}

resource "hookd_account_webhook" "test" {
  name   = %q
  url    = %q
  events = ["transfer.*"]

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.hookd_webhook_test.check]
      %s
    }
  }
}`, name, rcv.URL, onFailure))
	}
	tests := func(want int) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			id = s.RootModule().Resources[accountHook].Primary.ID
			got, err := testDeliveries(env, id)
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("%d test deliveries recorded, want %d", got, want)
			}
			received := rcv.RequestsWith("Hookd-Test-Delivery", "true")
			if n := len(received); n != want {
				return fmt.Errorf("the receiver got %d test deliveries, want %d", n, want)
			}
			last := received[want-1]
			if last.Header.Get("Hookd-Test-Delivery") != "true" || !strings.Contains(string(last.Body), `"transfer.created"`) {
				return fmt.Errorf("the last request is not a transfer.created test delivery: %v %s", last.Header, last.Body)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{
			{
				Config: config("first", ""),
				Check:  tests(1),
				// The updates keep the secret: it signs every test delivery.
				ConfigStateChecks: []statecheck.StateCheck{rcv.TrustState(accountHook, tfjsonpath.New("secret"))},
			},
			{Config: config("second", ""), Check: tests(2)},
			{
				PreConfig:   func() { rcv.SetStatus(http.StatusInternalServerError) },
				Config:      config("third", ""),
				ExpectError: acctest.Words(`Test delivery failed`, `The test event to webhook wh_`, `got HTTP 500`, `ms (delivery dlv_`, `Fix the receiver and run the action again.`),
			},
		},
	})
}

// on_failure = continue (Terraform 1.16) turns a failed test into a
// warning: the update is applied.
func TestAccWebhookTestAction_onFailureContinue(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, http.StatusServiceUnavailable)
	rcv.VerifyWhenDone(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   onFailureVersion,
		Steps: []resource.TestStep{{
			Config: env.Config(fmt.Sprintf(`
action "hookd_webhook_test" "check" {
  config {
    webhook_id = hookd_account_webhook.test.id
  }
}

resource "hookd_account_webhook" "test" {
  url    = %q
  events = ["transfer.created"]

  lifecycle {
    action_trigger {
      events     = [after_create]
      actions    = [action.hookd_webhook_test.check]
      on_failure = continue
    }
  }
}`, rcv.URL)),
			ConfigStateChecks: []statecheck.StateCheck{rcv.TrustState(accountHook, tfjsonpath.New("secret"))},
			Check: func(s *terraform.State) error {
				id := s.RootModule().Resources[accountHook].Primary.ID
				if n, err := testDeliveries(env, id); err != nil || n != 1 {
					return fmt.Errorf("%d test deliveries (%v), want 1", n, err)
				}
				return nil
			},
		}},
	})
}

// terraform apply -invoke runs the action alone, on a webhook Terraform does
// not manage, and reports its progress.
func TestAccWebhookTestAction_invoke(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	wh, err := env.Client.CreateAccountWebhook(context.Background(), client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"workspace.*"}})
	if err != nil {
		t.Fatal(err)
	}
	rcv.Trust(wh.Secret)
	rcv.VerifyWhenDone(t)
	out, err := invoke(t, env, "action.hookd_webhook_test.check", fmt.Sprintf(`
action "hookd_webhook_test" "check" {
  config {
    webhook_id = %q
  }
}`, wh.ID))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"Sending a test event to webhook " + wh.ID, "The test event to webhook " + wh.ID + " got HTTP 200 after"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if n, err := testDeliveries(env, wh.ID); err != nil || n != 1 {
		t.Errorf("%d test deliveries (%v), want 1", n, err)
	}
}

// Bad input fails the plan, before anything is sent.
func TestAccWebhookTestAction_badInput(t *testing.T) {
	env := acctest.Start(t)
	step := func(args, want string) resource.TestStep {
		return resource.TestStep{
			Config: env.Config(fmt.Sprintf(`
action "hookd_webhook_test" "check" {
  config {
    %s
  }
}
`, args) + triggeredBy("action.hookd_webhook_test.check")),
			ExpectError: acctest.Words(want),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   actionsVersion,
		Steps: []resource.TestStep{
			step(`webhook_id = "grp_0123456789abcdefghij"`, `webhook_id must be a webhook id such as wh_0123456789abcdefghij, got "grp_0123456789abcdefghij".`),
			step(`webhook_id = "wh_0123456789abcdefghij"
    event_type = "transfer.craeted"`, `unknown event type "transfer.craeted" (did you mean "transfer.created"?)`),
			step(`webhook_id = "wh_0123456789abcdefghij"
    event_type = "transfer.*"`, `event_type: "transfer.*" is a pattern: give one event type, such as "transfer.created".`),
		},
	})
}

// invoke runs terraform apply -invoke=address on body (with the provider
// block for env) with the Terraform CLI, and returns what it printed.
func invoke(t *testing.T, env *acctest.Env, address, body string) (string, error) {
	t.Helper()
	tf := acctest.NewTerraform(t)
	tf.VersionChecks(acctest.RequireFeature(acctest.Actions))
	tf.WriteFile("main.tf", env.Config(body))
	tf.Init()
	stdout, stderr, err := tf.Run("apply", "-auto-approve", "-input=false", "-no-color", "-invoke="+address)
	return stdout + stderr, err
}

// The documented example (examples/actions/hookd_webhook_test/action.tf,
// which names the webhook by caller) as it is, with its URL pointed at a
// receiver: the apply creates the webhook and its action_trigger sends a
// test delivery; terraform apply -invoke sends another (caller is then the
// resource that triggers the action); destroy removes the webhook.
func TestAccWebhookTestAction_example(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, http.StatusOK)
	example, err := os.ReadFile("../../examples/actions/hookd_webhook_test/action.tf")
	if err != nil {
		t.Fatal(err)
	}
	const exampleURL = "https://audit.example.com/hooks/hookd"
	if !strings.Contains(string(example), exampleURL) {
		t.Fatalf("the example no longer sends to %s", exampleURL)
	}
	tf := acctest.NewTerraform(t)
	tf.VersionChecks(acctest.RequireFeature(acctest.ActionCaller))
	tf.WriteFile("main.tf", env.Config(strings.Replace(string(example), exampleURL, rcv.URL, 1)))
	tf.Init()
	for i, step := range [][]string{
		{"apply", "-auto-approve", "-input=false", "-no-color"},
		{"apply", "-auto-approve", "-input=false", "-no-color", "-invoke=action.hookd_webhook_test.audit"},
	} {
		stdout, stderr, err := tf.Run(step...)
		if err != nil || strings.Contains(stdout+stderr, "Warning:") {
			t.Fatalf("terraform %s: %v\n%s%s", strings.Join(step, " "), err, stdout, stderr)
		}
		if n := len(rcv.RequestsWith("Hookd-Test-Delivery", "true")); n != i+1 {
			t.Fatalf("after terraform %s the receiver got %d test deliveries, want %d", strings.Join(step, " "), n, i+1)
		}
	}
	if stdout, stderr, err := tf.Run("destroy", "-auto-approve", "-input=false", "-no-color"); err != nil {
		t.Fatalf("terraform destroy: %v\n%s%s", err, stdout, stderr)
	}
}
