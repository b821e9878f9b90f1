package provider_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// A plan saved before the auth token was removed outside Terraform, applied
// afterwards: the apply must end with the token the plan promised, not with
// "Provider produced inconsistent result" (the PATCH of another attribute
// carries the configured token).
func TestAccAccountWebhook_savedPlanAfterTokenRemoved(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, http.StatusOK)
	ctx := context.Background()
	config := func(name string) string {
		return env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  name       = %q
  url        = %q
  events     = ["*"]
  auth_token = "tok-saved-plan"
}`, name, rcv.URL))
	}
	tf := acctest.NewTerraform(t)
	tf.WriteFile("main.tf", config("before"))
	tf.Init()
	if _, err := tf.Plan(); err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(); err != nil {
		t.Fatalf("create: %v", err)
	}
	var id string
	for wh, err := range env.Client.AllWebhooks(ctx, client.WebhookListOptions{Scope: client.ScopeAccount}) {
		if err != nil {
			t.Fatal(err)
		}
		if wh.URL == rcv.URL {
			id = wh.ID
		}
	}
	if id == "" {
		t.Fatal("the webhook was not created")
	}

	tf.WriteFile("main.tf", config("after"))
	if _, err := tf.Plan(); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.UpdateWebhook(ctx, id, client.UpdateWebhookRequest{AuthToken: client.Null[string]()}); err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(); err != nil {
		t.Fatalf("applying the saved plan: %v", err)
	}
	wh, err := env.Client.GetWebhook(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !wh.AuthTokenSet || wh.Name == nil || *wh.Name != "after" {
		t.Fatalf("after the apply: auth_token_set %v, name %v; want true and \"after\"", wh.AuthTokenSet, wh.Name)
	}
	plan, err := tf.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if plan.Changes {
		t.Errorf("after the apply, the plan is not empty:\n%s", plan.Output)
	}
}
