package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
)

var publicKeyPattern = regexp.MustCompile(`^whpk_[A-Za-z0-9+/]{43}=$`)

// signature_scheme: a v1a webhook gets a known whpk_ public key (the data
// source shows the same), imports, switches v1a -> v1 -> v1a in place (a
// new key pair), and a secret_rotation replaces the key pair.
func TestAccWebhook_signatureScheme(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	group := newGroup(t, env)
	config := func(scheme, extra string) string {
		line := ""
		if scheme != "" {
			line = fmt.Sprintf("signature_scheme = %q", scheme)
		}
		return env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url    = %q
  events = ["*"]
  %s
  %s
}

resource "hookd_group_webhook" "test" {
  group_id         = %q
  url              = %q
  events           = ["transfer.*"]
  signature_scheme = "v1a"
}

data "hookd_webhook" "test" {
  id = hookd_account_webhook.test.id
}`, rcv.URL, line, extra, group, rcv.URL))
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	keys := statecheck.CompareValue(compare.ValuesDiffer())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config("v1a", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("public_key")),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("signature_scheme"), knownvalue.StringExact("v1a")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("signature_scheme"), knownvalue.StringExact("v1a")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.StringRegexp(publicKeyPattern)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret"), knownvalue.StringRegexp(secretPattern)),
					statecheck.ExpectKnownValue(groupHook, tfjsonpath.New("public_key"), knownvalue.StringRegexp(publicKeyPattern)),
					statecheck.ExpectKnownValue("data.hookd_webhook.test", tfjsonpath.New("signature_scheme"), knownvalue.StringExact("v1a")),
					statecheck.CompareValuePairs(accountHook, tfjsonpath.New("public_key"), "data.hookd_webhook.test", tfjsonpath.New("public_key"), compare.ValuesSame()),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
					keys.AddStateValue(accountHook, tfjsonpath.New("public_key")),
				},
			},
			{
				ResourceName:            accountHook,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: importIgnore,
			},
			{
				// v1a -> v1 in place: no key, known at plan time.
				Config: config("v1", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.Null()),
						plancheck.ExpectResourceAction(groupHook, plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("signature_scheme"), knownvalue.StringExact("v1")),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.Null()),
					statecheck.ExpectKnownValue("data.hookd_webhook.test", tfjsonpath.New("public_key"), knownvalue.Null()),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
				},
			},
			{
				// Leaving it out is the default, v1: nothing to do.
				Config: config("", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// v1 -> v1a in place: a new key pair, unknown until applied.
				Config: config("v1a", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("public_key")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.StringRegexp(publicKeyPattern)),
					sameID.AddStateValue(accountHook, tfjsonpath.New("id")),
					keys.AddStateValue(accountHook, tfjsonpath.New("public_key")),
				},
			},
			{
				// An update that leaves the scheme alone keeps the key,
				// known in the plan.
				Config: config("v1a", `name = "renamed"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.StringRegexp(publicKeyPattern)),
					},
				},
			},
			{
				// A rotation replaces the key pair with the secret.
				Config: config("v1a", `name = "renamed"
  secret_rotation = { trigger = "1" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(accountHook, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(accountHook, tfjsonpath.New("public_key")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("public_key"), knownvalue.StringRegexp(publicKeyPattern)),
					keys.AddStateValue(accountHook, tfjsonpath.New("public_key")),
				},
			},
		},
	})
}

// v1a end to end: hookd signs the deliveries of a webhook Terraform made
// with signature_scheme = "v1a" with the key whose public half is the
// public_key in state, as an independent Ed25519 implementation (circl,
// through the receiver) verifies with that key alone; after a rotation
// the delivery carries two v1a signatures, one verified by the new
// public_key in state and one by the previous, during the grace window.
// Every request the receiver got verifies with those keys.
func TestAccWebhook_signatureSchemeV1aDelivery(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	rcv.VerifyWhenDone(t)
	config := func(rotation string) string {
		return env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url              = %q
  events           = ["transfer.created"]
  signature_scheme = "v1a"
  %s
}`, rcv.URL, rotation))
	}
	publicKey := tfjsonpath.New("public_key")
	var first, second string
	keys := statecheck.CompareValue(compare.ValuesDiffer())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config(""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, publicKey, knownvalue.StringRegexp(publicKeyPattern)),
					captureString(accountHook, publicKey, &first),
					rcv.TrustState(accountHook, publicKey),
					keys.AddStateValue(accountHook, publicKey),
					checkFunc(func() error { return deliveryVerifiesWith(env, rcv, first) }),
				},
			},
			{
				Config: config(`secret_rotation = { trigger = "1" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(accountHook, publicKey, knownvalue.StringRegexp(publicKeyPattern)),
					captureString(accountHook, publicKey, &second),
					rcv.TrustState(accountHook, publicKey),
					keys.AddStateValue(accountHook, publicKey),
					// The new key and, in its grace window, the old one.
					checkFunc(func() error { return deliveryVerifiesWith(env, rcv, second, first) }),
				},
			},
		},
	})
}

// captureString is a state check that stores the string at path of the
// resource at address in dst, for later checks of the same step.
func captureString(address string, path tfjsonpath.Path, dst *string) statecheck.StateCheck {
	return captureCheck{address: address, path: path, dst: dst}
}

type captureCheck struct {
	address string
	path    tfjsonpath.Path
	dst     *string
}

func (c captureCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		resp.Error = fmt.Errorf("the state is empty")
		return
	}
	for _, r := range req.State.Values.RootModule.Resources {
		if r.Address != c.address {
			continue
		}
		v, err := tfjsonpath.Traverse(r.AttributeValues, c.path)
		if err != nil {
			resp.Error = err
			return
		}
		s, ok := v.(string)
		if !ok {
			resp.Error = fmt.Errorf("%s.%s is %T, not a string", c.address, c.path, v)
			return
		}
		*c.dst = s
		return
	}
	resp.Error = fmt.Errorf("%s is not in the state", c.address)
}

func TestAccWebhook_signatureSchemeBadInput(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  url              = %q
  events           = ["*"]
  signature_scheme = "v2"
}`, rcv.URL)),
			ExpectError: diagnosticRE(`signature_scheme must be "v1" (HMAC-SHA256 with the shared secret) or "v1a" (Ed25519, verified with the public key), got "v2"; leave it out for the default, "v1".`),
		}},
	})
}

// A v1a webhook whose (unused) HMAC secret comes from the ephemeral
// resource through secret_wo: a receiver verifies with the public key, and
// no signing secret sits in Terraform state at all (secret is null, and no
// attribute of the webhook holds anything shaped like one).
func TestAccWebhook_signatureSchemeV1aNoSecretInState(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	rcv.VerifyWhenDone(t)
	publicKey := tfjsonpath.New("public_key")
	var key string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersion,
		Steps: []resource.TestStep{{
			Config: env.Config(fmt.Sprintf(`
ephemeral "hookd_signing_secret" "v1a" {}

resource "hookd_account_webhook" "test" {
  url               = %q
  events            = ["transfer.created"]
  signature_scheme  = "v1a"
  secret_wo         = ephemeral.hookd_signing_secret.v1a.secret
  secret_wo_version = 1
}`, rcv.URL)),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret"), knownvalue.Null()),
				statecheck.ExpectKnownValue(accountHook, tfjsonpath.New("secret_wo"), knownvalue.Null()),
				statecheck.ExpectKnownValue(accountHook, publicKey, knownvalue.StringRegexp(publicKeyPattern)),
				captureString(accountHook, publicKey, &key),
				rcv.TrustState(accountHook, publicKey),
				checkFunc(func() error { return deliveryVerifiesWith(env, rcv, key) }),
			},
			Check: func(s *terraform.State) error {
				r := s.RootModule().Resources[accountHook]
				if r == nil || r.Primary == nil {
					return fmt.Errorf("%s is not in the state", accountHook)
				}
				for k, v := range r.Primary.Attributes {
					if acctest.SigningSecretShape.MatchString(v) {
						return fmt.Errorf("%s.%s holds a signing secret", accountHook, k)
					}
				}
				return nil
			},
		}},
	})
}
