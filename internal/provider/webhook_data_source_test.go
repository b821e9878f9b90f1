package provider_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// webhookChecks checks every attribute of a webhook read model against
// what the API returned, with extra checks replacing some.
func webhookChecks(wh *client.Webhook, extra map[string]knownvalue.Check) map[string]knownvalue.Check {
	nullable := func(s *string) knownvalue.Check {
		if s == nil {
			return knownvalue.Null()
		}
		return knownvalue.StringExact(*s)
	}
	nullableTime := func(t *time.Time) knownvalue.Check {
		if t == nil {
			return knownvalue.Null()
		}
		return knownvalue.StringExact(apiTime(*t))
	}
	events := make([]knownvalue.Check, len(wh.Events))
	for i, e := range wh.Events {
		events[i] = knownvalue.StringExact(e)
	}
	headers := map[string]knownvalue.Check{}
	for k, v := range wh.Headers {
		headers[k] = knownvalue.StringExact(v)
	}
	checks := map[string]knownvalue.Check{
		"id":                          knownvalue.StringExact(wh.ID),
		"scope":                       knownvalue.StringExact(string(wh.Scope)),
		"group_id":                    nullable(wh.GroupID),
		"name":                        nullable(wh.Name),
		"description":                 nullable(wh.Description),
		"url":                         knownvalue.StringExact(wh.URL),
		"events":                      knownvalue.SetExact(events),
		"active":                      knownvalue.Bool(wh.Active),
		"status":                      knownvalue.StringExact(wh.Status),
		"disabled_reason":             nullable(wh.DisabledReason),
		"headers":                     knownvalue.MapExact(headers),
		"auth_token_set":              knownvalue.Bool(wh.AuthTokenSet),
		"auth_token_fingerprint":      nullable(wh.AuthTokenFingerprint),
		"secret_version":              knownvalue.Int64Exact(wh.SecretVersion),
		"secret_fingerprint":          knownvalue.StringExact(wh.SecretFingerprint),
		"previous_secret_fingerprint": nullable(wh.PreviousSecretFingerprint),
		"secret_rotated_at":           nullableTime(wh.SecretRotatedAt),
		"previous_secret_expires_at":  nullableTime(wh.PreviousSecretExpiresAt),
		"signature_scheme":            knownvalue.StringExact(wh.SignatureScheme),
		"public_key":                  nullable(wh.PublicKey),
		"created_at":                  knownvalue.StringExact(apiTime(wh.CreatedAt)),
		"updated_at":                  knownvalue.StringExact(apiTime(wh.UpdatedAt)),
	}
	for k, c := range extra {
		checks[k] = c
	}
	return checks
}

// rootChecks checks attributes at the root of a data source, one
// ExpectKnownValue each.
func rootChecks(address string, checks map[string]knownvalue.Check) []statecheck.StateCheck {
	out := make([]statecheck.StateCheck, 0, len(checks))
	for name, c := range checks {
		out = append(out, statecheck.ExpectKnownValue(address, tfjsonpath.New(name), c))
	}
	return out
}

func TestAccWebhookDataSource_bothScopes(t *testing.T) {
	env := acctest.Start(t)
	ctx := t.Context()
	rcv := acctest.NewReceiver(t, 200)
	account, err := env.Client.CreateAccountWebhook(ctx, client.CreateWebhookRequest{
		Name:        new(acctest.RandomName("ds")),
		Description: new("Transfers to the archive"),
		URL:         rcv.URL,
		Events:      []string{"transfer.*", "api_key.created"},
		Headers:     map[string]string{"X-Team": "archive"},
		AuthToken:   new("s3cr3t-token"),
	})
	if err != nil {
		t.Fatal(err)
	}
	group, err := env.Client.CreateGroup(ctx, client.CreateGroupRequest{Name: acctest.RandomName("ds")})
	if err != nil {
		t.Fatal(err)
	}
	grouped, err := env.Client.CreateGroupWebhook(ctx, group.ID, client.CreateWebhookRequest{URL: rcv.URL, Events: []string{"*"}, Active: new(false)})
	if err != nil {
		t.Fatal(err)
	}

	var rotated *client.SecretRotation
	// The webhook is the same object across reads.
	sameCreatedAt := statecheck.CompareValue(compare.ValuesSame())
	config := env.Config(fmt.Sprintf(`
data "hookd_webhook" "account" {
  id = %q
}

data "hookd_webhook" "group" {
  id = %q
}
`, account.ID, grouped.ID))
	// Every attribute, as the API returned it at creation.
	firstRead := rootChecks("data.hookd_webhook.account", webhookChecks(&account.Webhook, map[string]knownvalue.Check{
		"auth_token_set": knownvalue.Bool(true),
		"secret_version": knownvalue.Int64Exact(1),
		// The fingerprints of what was sent, computed here, not copied.
		"auth_token_fingerprint":      knownvalue.StringExact(rules.Fingerprint("s3cr3t-token")),
		"secret_fingerprint":          knownvalue.StringExact(rules.Fingerprint(account.Secret)),
		"previous_secret_fingerprint": knownvalue.Null(),
		"headers":                     knownvalue.MapExact(map[string]knownvalue.Check{"X-Team": knownvalue.StringExact("archive")}),
	}))
	firstRead = append(firstRead, rootChecks("data.hookd_webhook.group", webhookChecks(&grouped.Webhook, map[string]knownvalue.Check{
		"scope":                  knownvalue.StringExact("group"),
		"group_id":               knownvalue.StringExact(group.ID),
		"active":                 knownvalue.Bool(false),
		"status":                 knownvalue.StringExact("inactive"),
		"headers":                knownvalue.MapSizeExact(0),
		"auth_token_fingerprint": knownvalue.Null(),
		"secret_fingerprint":     knownvalue.StringExact(rules.Fingerprint(grouped.Secret)),
	}))...)
	firstRead = append(firstRead, sameCreatedAt.AddStateValue("data.hookd_webhook.account", tfjsonpath.New("created_at")))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: firstRead,
			},
			{
				// A rotation out of band shows on the next read: the old
				// secret's fingerprint is now the previous one.
				PreConfig: func() {
					if rotated, err = env.Client.RotateSecret(ctx, account.ID, client.RotateSecretRequest{GracePeriodHours: new(2)}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				// The new secret is known only once PreConfig has run.
				Check: func(s *terraform.State) error {
					return resource.TestCheckResourceAttr("data.hookd_webhook.account", "secret_fingerprint", rules.Fingerprint(rotated.Secret))(s)
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.hookd_webhook.account", tfjsonpath.New("previous_secret_fingerprint"), knownvalue.StringExact(rules.Fingerprint(account.Secret))),

					statecheck.ExpectKnownValue("data.hookd_webhook.account", tfjsonpath.New("secret_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("data.hookd_webhook.account", tfjsonpath.New("secret_rotated_at"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue("data.hookd_webhook.account", tfjsonpath.New("previous_secret_expires_at"), knownvalue.NotNull()),
					sameCreatedAt.AddStateValue("data.hookd_webhook.account", tfjsonpath.New("created_at")),
				},
			},
		},
	})
}

func TestAccWebhookDataSource_notFound(t *testing.T) {
	env := acctest.Start(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.Config(`
data "hookd_webhook" "test" {
  id = "wh_doesnotexist"
}
`),
			ExpectError: diagnosticRE(`No webhook has the ID "wh_doesnotexist". Check the ID (webhook IDs look like wh_...) and that the webhook was not deleted.`),
		}},
	})
}
