package provider_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
)

// forbiddenCase is a resource whose Read is answered 403 Forbidden.
type forbiddenCase struct {
	name    string
	address string
	// read matches the path of the resource's Read (a GET).
	read string
	// resource is the resource's configuration, without the provider.
	resource func(t *testing.T) string
	// summary is how the error's summary begins.
	summary string
}

// Forbidden (403) on refresh is an error, never "gone": the plan and
// terraform refresh fail with the API's detail and request id, and the
// resource stays in state, so that once the API allows the read again the
// plan is empty (not a create of a second object).
func TestAccForbiddenRead(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, http.StatusOK)
	webhook := func(typ, extra string) string {
		return fmt.Sprintf(`
resource %q "test" {
  url    = %q
  events = ["*"]
  %s
}`, typ, rcv.URL, extra)
	}
	cases := []forbiddenCase{
		{
			name:    "group",
			address: "hookd_group.test",
			read:    `^/v1/groups/grp_[^/]+$`,
			resource: func(*testing.T) string {
				return fmt.Sprintf(`
resource "hookd_group" "test" {
  name = %q
}`, acctest.RandomName("group"))
			},
			summary: "Unable to read group grp_",
		},
		{
			name:     "account_webhook",
			address:  "hookd_account_webhook.test",
			read:     `^/v1/webhooks/wh_[^/]+$`,
			resource: func(*testing.T) string { return webhook("hookd_account_webhook", "") },
			summary:  "Unable to read account webhook wh_",
		},
		{
			name:    "group_webhook",
			address: "hookd_group_webhook.test",
			read:    `^/v1/webhooks/wh_[^/]+$`,
			resource: func(t *testing.T) string {
				return webhook("hookd_group_webhook", fmt.Sprintf("group_id = %q", newGroup(t, env)))
			},
			summary: "Unable to read group webhook wh_",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testForbiddenRead(t, env, tc)
		})
	}
}

func testForbiddenRead(t *testing.T, env *acctest.Env, tc forbiddenCase) {
	faults := env.NewFaults(t)
	config := env.Via(faults.URL).Config(tc.resource(t))
	const detail = "The API key lacks the read permission."
	forbidden := acctest.Forbidden(http.MethodGet, tc.read, detail)
	wantErr := acctest.Words("Error: "+tc.summary,
		detail+" The API key is not allowed to do this. (hookd request id req_faultforbidden)")
	sameID := statecheck.CompareValue(compare.ValuesSame())

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(tc.address, tfjsonpath.New("id"))},
			},
			// terraform plan (and apply) refresh first: the read fails.
			{
				PreConfig:   func() { faults.Set(forbidden) },
				Config:      config,
				ExpectError: wantErr,
			},
			// terraform refresh, which would save a removal.
			{
				RefreshState: true,
				ExpectError:  wantErr,
			},
			// Allowed again: the same object, nothing to do.
			{
				PreConfig: func() { faults.Set() },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(tc.address, tfjsonpath.New("id"))},
			},
		},
	})
	if faults.Hits() < 2 {
		t.Errorf("the 403 fault answered %d reads, want at least 2 (plan and refresh)", faults.Hits())
	}
}

// A key that may not read the event catalog can still manage webhooks: the
// provider warns and leaves event types to the server, instead of failing
// every plan as it does for a key the server rejects (401).
func TestAccForbiddenCatalog(t *testing.T) {
	env := acctest.Start(t)
	faults := env.NewFaults(t)
	faults.Set(acctest.Forbidden(http.MethodGet, `^/v1/webhooks/events$`, "The API key may not read the catalog."))
	rcv := acctest.NewReceiver(t, http.StatusOK)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.Via(faults.URL).Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url    = %q
  events = ["transfer.created"]
}`, rcv.URL)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("hookd_account_webhook.test", tfjsonpath.New("status"), knownvalue.StringExact("active")),
				},
			},
		},
	})
	if faults.Hits() == 0 {
		t.Error("the 403 fault never answered a catalog read")
	}
}
