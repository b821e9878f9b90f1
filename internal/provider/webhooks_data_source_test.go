package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
)

func TestAccWebhooksDataSource_filters(t *testing.T) {
	env := acctest.Start(t)
	ownServer(t, env)
	ctx := t.Context()
	var hooks []*client.Webhook
	create := func(groupID string, req client.CreateWebhookRequest) {
		t.Helper()
		var (
			wh  *client.WebhookWithSecret
			err error
		)
		if groupID == "" {
			wh, err = env.Client.CreateAccountWebhook(ctx, req)
		} else {
			wh, err = env.Client.CreateGroupWebhook(ctx, groupID, req)
		}
		if err != nil {
			t.Fatal(err)
		}
		hooks = append(hooks, &wh.Webhook)
	}
	group, err := env.Client.CreateGroup(ctx, client.CreateGroupRequest{Name: acctest.RandomName("ds")})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := env.Client.CreateGroup(ctx, client.CreateGroupRequest{Name: acctest.RandomName("ds")})
	if err != nil {
		t.Fatal(err)
	}
	create("", client.CreateWebhookRequest{Name: new(acctest.RandomName("ds")), URL: "https://a.example.com/hooks", Events: []string{"*"}})
	create(group.ID, client.CreateWebhookRequest{URL: "https://b.example.com/hooks", Events: []string{"transfer.created"}, Headers: map[string]string{"X-Env": "test"}})
	create("", client.CreateWebhookRequest{URL: "https://c.example.com/hooks", Events: []string{"api_key.*"}, Active: new(false)})

	ids := func(whs ...*client.Webhook) knownvalue.Check {
		checks := make([]knownvalue.Check, len(whs))
		for i, wh := range whs {
			checks[i] = knownvalue.StringExact(wh.ID)
		}
		return knownvalue.ListExact(checks)
	}
	ds := func(name string) string { return "data.hookd_webhooks." + name }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.Config(fmt.Sprintf(`
data "hookd_webhooks" "all" {}

data "hookd_webhooks" "account" {
  scope = "account"
}

data "hookd_webhooks" "group" {
  scope = "group"
}

data "hookd_webhooks" "in_group" {
  group_id = %[1]q
}

data "hookd_webhooks" "in_empty_group" {
  group_id = %[2]q
}

data "hookd_webhook" "grouped" {
  id = data.hookd_webhooks.in_group.ids[0]
}
`, group.ID, empty.ID)),
			ConfigStateChecks: []statecheck.StateCheck{
				// Oldest first, every page, each webhook mapped like hookd_webhook.
				statecheck.ExpectKnownValue(ds("all"), tfjsonpath.New("ids"), ids(hooks...)),
				statecheck.ExpectKnownValue(ds("all"), tfjsonpath.New("webhooks"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(webhookChecks(hooks[0], nil)),
					knownvalue.ObjectExact(webhookChecks(hooks[1], nil)),
					knownvalue.ObjectExact(webhookChecks(hooks[2], nil)),
				})),
				statecheck.ExpectKnownValue(ds("account"), tfjsonpath.New("ids"), ids(hooks[0], hooks[2])),
				statecheck.ExpectKnownValue(ds("group"), tfjsonpath.New("ids"), ids(hooks[1])),
				statecheck.ExpectKnownValue(ds("in_group"), tfjsonpath.New("ids"), ids(hooks[1])),
				statecheck.ExpectKnownValue(ds("in_group"), tfjsonpath.New("webhooks").AtSliceIndex(0).AtMapKey("group_id"), knownvalue.StringExact(group.ID)),
				statecheck.ExpectKnownValue(ds("in_empty_group"), tfjsonpath.New("ids"), knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue(ds("in_empty_group"), tfjsonpath.New("webhooks"), knownvalue.ListSizeExact(0)),
				// The list and hookd_webhook share one mapping.
				statecheck.CompareValuePairs(ds("in_group"), tfjsonpath.New("webhooks").AtSliceIndex(0).AtMapKey("headers"),
					"data.hookd_webhook.grouped", tfjsonpath.New("headers"), compare.ValuesSame()),
				statecheck.CompareValuePairs(ds("in_group"), tfjsonpath.New("webhooks").AtSliceIndex(0).AtMapKey("updated_at"),
					"data.hookd_webhook.grouped", tfjsonpath.New("updated_at"), compare.ValuesSame()),
			},
		}},
	})
}

func TestAccWebhooksDataSource_invalid(t *testing.T) {
	env := acctest.Start(t)
	step := func(args, want string) resource.TestStep {
		return resource.TestStep{
			Config:      env.Config("data \"hookd_webhooks\" \"test\" {\n" + args + "\n}\n"),
			ExpectError: diagnosticRE(want),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			step(`scope = "team"`, `scope must be "account" or "group", got "team"; leave it out for webhooks of both scopes.`),
			step(`group_id = "team-a"`, `group_id must be a group id such as grp_0123456789abcdefghij, got "team-a".`),
			step("scope = \"account\"\ngroup_id = \"grp_1\"", `group_id cannot be combined with scope = "account": account webhooks belong to no group. Remove group_id, or set scope = "group".`),
		},
	})
}
