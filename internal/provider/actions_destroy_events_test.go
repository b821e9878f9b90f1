package provider_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
)

// destroyEventsVersion skips a test on a CLI without action_trigger's
// destroy events (before Terraform 1.16), asking the CLI itself.
var destroyEventsVersion = []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.ActionDestroyEvents)}

// Terraform 1.16's destroy events: a terraform_data standing for a
// receiver's deployment sends a test event to its webhook before it is
// destroyed (before_destroy: the last check that the old endpoint still
// answers) and another after (after_destroy: what the endpoint that
// replaces it gets). Creating it sends nothing; destroying it sends both,
// in that order, each verified by the receiver; the webhook, made outside
// this configuration, is untouched.
func TestAccActions_destroyEvents(t *testing.T) {
	env := acctest.Start(t)
	rcv, wh := verifiedWebhook(t, env, 200)
	tf := acctest.NewTerraform(t)
	tf.VersionChecks(destroyEventsVersion...)
	tf.WriteFile("main.tf", env.Config(fmt.Sprintf(`
action "hookd_webhook_test" "before" {
  config {
    webhook_id = %[1]q
    event_type = "transfer.created"
  }
}

action "hookd_webhook_test" "after" {
  config {
    webhook_id = %[1]q
    event_type = "transfer.expired"
  }
}

resource "terraform_data" "receiver" {
  input = "v1"

  lifecycle {
    action_trigger {
      events  = [before_destroy]
      actions = [action.hookd_webhook_test.before]
    }
    action_trigger {
      events  = [after_destroy]
      actions = [action.hookd_webhook_test.after]
    }
  }
}`, wh.ID)))
	tf.Init()
	tests := func() []string {
		t.Helper()
		var types []string
		isTest := true
		for d, err := range env.Client.AllDeliveries(context.Background(), wh.ID, client.DeliveryListOptions{Filter: deliveries.Filter{IsTest: &isTest}}) {
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != "succeeded" {
				t.Errorf("test delivery %s is %s, want succeeded", d.ID, d.Status)
			}
			types = append(types, d.EventType)
		}
		slices.Reverse(types) // oldest first
		return types
	}

	if stdout, stderr, err := tf.Run("apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		t.Fatalf("apply: %v\n%s%s", err, stdout, stderr)
	}
	if got := tests(); len(got) != 0 {
		t.Fatalf("creating terraform_data sent test events %v: only destroy events should", got)
	}

	stdout, stderr, err := tf.Run("destroy", "-auto-approve", "-input=false", "-no-color")
	out := stdout + stderr
	if err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	for _, want := range []string{
		"action.hookd_webhook_test.before (triggered by terraform_data.receiver)",
		"action.hookd_webhook_test.after (triggered by terraform_data.receiver)",
		"Destroy complete! Resources: 1 destroyed. Actions: 2 invoked.",
	} {
		if !acctest.Words(want).MatchString(out) {
			t.Errorf("the destroy's output lacks %q:\n%s", want, out)
		}
	}
	if got, want := tests(), []string{"transfer.created", "transfer.expired"}; !slices.Equal(got, want) {
		t.Errorf("test deliveries, oldest first: %v, want %v (before_destroy's, then after_destroy's)", got, want)
	}
	if got := len(rcv.Requests()); got != 2 {
		t.Errorf("the receiver got %d requests, want 2", got)
	}
	if _, err := env.Client.GetWebhook(context.Background(), wh.ID); err != nil {
		t.Errorf("the webhook made outside the configuration: %v", err)
	}
}
