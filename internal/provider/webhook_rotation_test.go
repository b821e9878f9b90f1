package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
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

// Changing secret_rotation.trigger rotates in place: a new secret lands in
// state, and during the grace window a real delivery verifies with both the
// old and the new secret. A rotation outside Terraform nulls the secret.
func TestAccWebhook_rotation(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	rcv.VerifyWhenDone(t)
	var first, second, id string
	keep := func(dst *string, attr string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			*dst = s.RootModule().Resources[accountHook].Primary.Attributes[attr]
			return nil
		}
	}
	config := func(rotation string) string {
		return env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url    = %q
  events = ["transfer.created"]
  %s
}`, rcv.URL, rotation))
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	secrets := statecheck.CompareValue(compare.ValuesDiffer())
	// The fingerprint before the rotation is the previous one after it.
	oldFingerprint := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config(""),
				Check:  resource.ComposeTestCheckFunc(keep(&first, "secret"), keep(&id, "id")),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
					secrets.AddStateValue(accountHook, tfjsonpath.New("secret")),
					rcv.TrustState(accountHook, tfjsonpath.New("secret")),
					oldFingerprint.AddStateValue(accountHook, tfjsonpath.New("secret_fingerprint")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("previous_secret_fingerprint"), knownvalue.Null()),
				},
			},
			{
				Config: config(`secret_rotation = { trigger = "2026-11" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("secret")),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("secret_version")),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("previous_secret_fingerprint")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					oldFingerprint.AddStateValue(accountHook, tfjsonpath.New("previous_secret_fingerprint")),
					statecheck.CompareValuePairs(accountHook, tfjsonpath.New("secret_fingerprint"),
						accountHook, tfjsonpath.New("previous_secret_fingerprint"), compare.ValuesDiffer()),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
					secrets.AddStateValue(accountHook, tfjsonpath.New("secret")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_rotation").AtMapKey("grace_period_hours"), knownvalue.Int64Exact(24)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("previous_secret_expires_at"), knownvalue.NotNull()),
					rcv.TrustState(accountHook, tfjsonpath.New("secret")),
				},
				Check: resource.ComposeTestCheckFunc(keep(&second, "secret"), func(*terraform.State) error {
					return deliveryVerifiesWith(env, rcv, first, second)
				}),
			},
			{
				// Same trigger: nothing to do. Then rotate outside Terraform.
				Config: config(`secret_rotation = { trigger = "2026-11" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					rotated, err := env.Client.RotateSecret(context.Background(), id, client.RotateSecretRequest{})
					if err == nil {
						// What other tests publish on a shared hookd
						// (HOOKD_ENDPOINT) reaches this webhook too, signed
						// with whatever secret it has then.
						rcv.Trust(rotated.Secret)
					}
					return err
				},
			},
			{
				// The refresh sees version 3: the secret in state is nulled
				// (with a warning), and nothing else changes.
				RefreshState: true,
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckNoResourceAttr(accountHook, "secret"),
					resource.TestCheckResourceAttr(accountHook, "secret_version", "3"),
				),
			},
			{
				// A new trigger brings a secret back into state.
				Config: config(`secret_rotation = { trigger = "2026-12", grace_period_hours = 0 }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret"), knownvalue.StringRegexp(secretPattern)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(4)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("previous_secret_expires_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("previous_secret_fingerprint"), knownvalue.Null()),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
					rcv.TrustState(accountHook, tfjsonpath.New("secret")),
				},
			},
			{
				// A PATCH and a rotation in one update: the rotation comes
				// last, and state keeps its updated_at, as the server does;
				// the plan right after apply, before any refresh, is empty.
				Config: config(`name = "renamed"
  secret_rotation = { trigger = "2027-01", grace_period_hours = 0 }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            []plancheck.PlanCheck{plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("updated_at"))},
					PostApplyPreRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{rcv.TrustState(accountHook, tfjsonpath.New("secret"))},
				Check: func(s *terraform.State) error {
					wh, err := env.Client.GetWebhook(context.Background(), id)
					if err != nil {
						return err
					}
					attrs := s.RootModule().Resources[accountHook].Primary.Attributes
					if want := wh.UpdatedAt.UTC().Format(time.RFC3339Nano); attrs["updated_at"] != want {
						return fmt.Errorf("updated_at in state %s, on the server %s", attrs["updated_at"], want)
					}
					if attrs["name"] != "renamed" || attrs["secret_version"] != "5" || attrs["secret_fingerprint"] != wh.SecretFingerprint {
						return fmt.Errorf("name %q secret_version %s fingerprint %s, server's %s", attrs["name"], attrs["secret_version"], attrs["secret_fingerprint"], wh.SecretFingerprint)
					}
					return nil
				},
			},
		},
	})
}

// fingerprintShape is a fingerprint as the API reports it: 8 bytes in hex.
var fingerprintShape = regexp.MustCompile(`^[0-9a-f]{16}$`)

// deliveryVerifiesWith publishes an event and checks that the delivery
// carries one signature per key given ("whsec_" secrets or "whpk_" public
// keys), that each key verifies it with the receiver's independent
// verifiers (Received.SignedBy: the Standard Webhooks library and stripe-go
// for a secret, circl's Ed25519 for a public key), and that its timestamp
// is within 5 minutes of now.
func deliveryVerifiesWith(env *acctest.Env, rcv *acctest.Receiver, keys ...string) error {
	return groupDeliveryVerifiesWith(env, rcv, "", keys...)
}

// groupDeliveryVerifiesWith is deliveryVerifiesWith for an event of a
// group, which reaches the group's webhooks; "" is the account.
func groupDeliveryVerifiesWith(env *acctest.Env, rcv *acctest.Receiver, groupID string, keys ...string) error {
	ctx := context.Background()
	example, err := catalogExample(ctx, env, "transfer.created")
	if err != nil {
		return err
	}
	before := len(rcv.Requests())
	if _, err := env.Client.PublishEvent(ctx, client.PublishEventRequest{Type: "transfer.created", GroupID: groupID, Data: example}); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(rcv.Requests()) == before {
		if time.Now().After(deadline) {
			return fmt.Errorf("no delivery within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := rcv.Requests()[before]
	if n := len(strings.Fields(got.Header.Get("Webhook-Signature"))); n != len(keys) {
		return fmt.Errorf("%d signatures, want %d", n, len(keys))
	}
	for i, key := range keys {
		if err := got.SignedBy(key); err != nil {
			return fmt.Errorf("key %d does not verify the delivery: %w", i+1, err)
		}
	}
	ts, err := strconv.ParseInt(got.Header.Get("Webhook-Timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return fmt.Errorf("webhook-timestamp %q is not within 5 minutes of now", got.Header.Get("Webhook-Timestamp"))
	}
	return nil
}

func catalogExample(ctx context.Context, env *acctest.Env, eventType string) (json.RawMessage, error) {
	types, err := env.Client.EventCatalog(ctx)
	if err != nil {
		return nil, err
	}
	for _, et := range types {
		if et.Type == eventType {
			return et.Example, nil
		}
	}
	return nil, fmt.Errorf("%s is not in the catalog", eventType)
}

// An update that calls the API plans as unknown what the server may have
// moved since the plan was made (a grace window that ends, a webhook the
// engine disabled), so a saved plan applied later stays consistent; what
// only a rotation changes stays known.
func TestAccWebhook_planUnknownServerValues(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	config := func(name, trigger string) string {
		return env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  name            = %q
  url             = %q
  events          = ["transfer.created"]
  secret_rotation = { trigger = %q }
}`, name, rcv.URL, trigger))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config("a", "1")},
			{
				Config: config("a", "2"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("previous_secret_expires_at"), knownvalue.NotNull()),
				},
			},
			{
				Config: config("b", "2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("previous_secret_expires_at")),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("previous_secret_fingerprint")),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("status")),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("disabled_reason")),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(2)),
						plancheck.ExpectSensitiveValue(accountHook, tfjsonpath.New("secret")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("previous_secret_expires_at"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("previous_secret_fingerprint"), knownvalue.StringRegexp(fingerprintShape)),
				},
			},
		},
	})
}
