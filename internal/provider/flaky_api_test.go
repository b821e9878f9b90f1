package provider_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/faultproxy"
)

// Terraform converges through an API that fails 30 % of its requests in
// every way (500, 503, 429, latency, connections dropped before and after
// hookd saw them): create, update, an empty plan and destroy succeed, and
// hookd ends up holding exactly what the state says, no duplicate, no
// orphan. (make chaos does the same with 200 webhooks and a killed hookd.)
func TestAccFlakyAPI(t *testing.T) {
	env := acctest.Start(t)
	if env.Server == nil {
		t.Skip("counts every webhook on hookd: it needs a hookd of its own")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("fault seed %d", seed)
	proxy, endpoint := env.NewFlaky(t, faultproxy.Options{Rate: 0.3, Seed: seed, Latency: 50 * time.Millisecond})
	const accountN, groupN = 12, 4
	group := acctest.RandomName("flaky")
	config := func(description string) string {
		return fmt.Sprintf(`
provider "hookd" {
  endpoint    = %q
  api_key     = %q
  max_retries = 10
}

resource "hookd_group" "g" {
  name        = %q
  description = %q
}

resource "hookd_account_webhook" "a" {
  count       = %d
  name        = "flaky-account-${count.index}"
  description = %q
  url         = "https://example.com/hooks/${count.index}"
  events      = ["transfer.created"]
}

resource "hookd_group_webhook" "g" {
  count       = %d
  group_id    = hookd_group.g.id
  name        = "flaky-group-${count.index}"
  description = %q
  url         = "https://example.com/group-hooks/${count.index}"
  events      = ["transfer.*"]
}
`, endpoint, env.APIKey, group, description, accountN, description, groupN, description)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             exactlyOnHookd(env, 0, 0),
		Steps: []resource.TestStep{
			{Config: config("first"), Check: exactlyOnHookd(env, accountN+groupN, 1)},
			{
				Config: config("second"),
				Check:  exactlyOnHookd(env, accountN+groupN, 1),
			},
			{
				Config: config("second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
	st := proxy.Stats()
	t.Logf("through the proxy: %v", st)
	if st.Total() == 0 || st.Retries == 0 {
		t.Errorf("no fault was injected or retried (%v): the test proved nothing", st)
	}
}

// exactlyOnHookd checks, straight against hookd (not through the proxy),
// that it holds webhooks webhooks and groups groups, each in the state
// and none twice.
func exactlyOnHookd(env *acctest.Env, webhooks, groups int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		inState := map[string]bool{}
		if s != nil {
			for _, r := range s.RootModule().Resources {
				inState[r.Primary.ID] = true
			}
		}
		seen := map[string]bool{}
		for w, err := range env.Client.AllWebhooks(ctx, client.WebhookListOptions{}) {
			if err != nil {
				return err
			}
			if w.Name == nil || seen[*w.Name] {
				return fmt.Errorf("webhook %s named %v is a duplicate", w.ID, w.Name)
			}
			seen[*w.Name] = true
			if webhooks > 0 && !inState[w.ID] {
				return fmt.Errorf("webhook %s (%s) is on hookd but not in the state: an orphan", w.ID, *w.Name)
			}
		}
		if len(seen) != webhooks {
			return fmt.Errorf("%d webhooks on hookd, want %d", len(seen), webhooks)
		}
		n := 0
		for _, err := range env.Client.AllGroups(ctx, client.GroupListOptions{}) {
			if err != nil {
				return err
			}
			n++
		}
		if n != groups {
			return fmt.Errorf("%d groups on hookd, want %d", n, groups)
		}
		return nil
	}
}
