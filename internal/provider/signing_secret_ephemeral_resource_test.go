package provider_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// withEcho adds terraform-plugin-testing's echo provider, which copies an
// ephemeral value into its own state so a test can look at it.
func withEcho() map[string]func() (tfprotov6.ProviderServer, error) {
	f := map[string]func() (tfprotov6.ProviderServer, error){"echo": echoprovider.NewProviderServer()}
	for k, v := range acctest.ProtoV6ProviderFactories {
		f[k] = v
	}
	return f
}

// hookd_signing_secret makes a valid secret of the asked size, a new one on
// every run, and its fingerprint; fed to secret_wo, the webhook reports the
// same fingerprint, and the secret is in no hookd object's state.
func TestAccSigningSecretEphemeral(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	rcv.VerifyWhenDone(t)
	var secrets []string
	// The echo provider copies a value only when its resource is created:
	// one echo resource per run.
	keep := func(s *terraform.State) error {
		echo := s.RootModule().Resources[fmt.Sprintf("echo.run%d", len(secrets)+1)].Primary.Attributes
		secret := echo["data.secret"]
		key, err := rules.ParseSigningSecret(secret)
		if err != nil {
			return fmt.Errorf("hookd_signing_secret made an invalid secret: %w", err)
		}
		if want := echo["data.bytes"]; fmt.Sprint(len(key)) != want {
			return fmt.Errorf("%d bytes, want %s", len(key), want)
		}
		if got, want := echo["data.fingerprint"], rules.Fingerprint(secret); got != want {
			return fmt.Errorf("fingerprint %s, want %s", got, want)
		}
		secrets = append(secrets, secret)
		rcv.Trust(secret)
		return nil
	}
	config := func(bytes, version int) string {
		return env.Config(fmt.Sprintf(`
ephemeral "hookd_signing_secret" "test" {
  bytes = %[1]d
}

provider "echo" {
  data = ephemeral.hookd_signing_secret.test
}

resource "echo" "run%[3]d" {}

resource "hookd_account_webhook" "test" {
  url               = %[2]q
  events            = ["transfer.created"]
  secret_wo         = ephemeral.hookd_signing_secret.test.secret
  secret_wo_version = %[3]d
}`, bytes, rcv.URL, version))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: withEcho(),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.Ephemeral)},
		Steps: []resource.TestStep{
			{
				Config:           config(24, 1),
				ConfigPlanChecks: noSecretInPlans(func() []string { return secrets }),
				Check:            keep,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.run1", tfjsonpath.New("data").AtMapKey("bytes"), knownvalue.Int64Exact(24)),
					statecheck.ExpectKnownValue("hookd_account_webhook.test", tfjsonpath.New("secret"), knownvalue.Null()),
					statecheck.CompareValuePairs("echo.run1", tfjsonpath.New("data").AtMapKey("fingerprint"),
						"hookd_account_webhook.test", tfjsonpath.New("secret_fingerprint"), compare.ValuesSame()),
				},
			},
			{
				// A new run makes a new secret; a new version installs it.
				Config:           config(64, 2),
				ConfigPlanChecks: noSecretInPlans(func() []string { return secrets }),
				Check: func(s *terraform.State) error {
					if err := keep(s); err != nil {
						return err
					}
					if secrets[0] == secrets[1] {
						return fmt.Errorf("two runs made the same secret")
					}
					if err := acctest.AbsentFromHookdState(s, secrets...); err != nil {
						return err
					}
					return deliveryVerifiesWith(env, rcv, secrets[1], secrets[0])
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.run2", tfjsonpath.New("data").AtMapKey("bytes"), knownvalue.Int64Exact(64)),
					statecheck.CompareValuePairs("echo.run2", tfjsonpath.New("data").AtMapKey("fingerprint"),
						"hookd_account_webhook.test", tfjsonpath.New("secret_fingerprint"), compare.ValuesSame()),
				},
			},
		},
	})
}

// noSecretInPlans checks the plan of the step, before the apply and after
// it, with acctest.NoSigningSecretInPlan, and that secret_wo is planned null.
func noSecretInPlans(known func() []string) resource.ConfigPlanChecks {
	checks := func() []plancheck.PlanCheck {
		return []plancheck.PlanCheck{
			acctest.NoSigningSecretInPlan("hookd_account_webhook.test", known),
			plancheck.ExpectKnownValue("hookd_account_webhook.test", tfjsonpath.New("secret_wo"), knownvalue.Null()),
		}
	}
	return resource.ConfigPlanChecks{PreApply: checks(), PostApplyPostRefresh: checks()}
}

// bytes outside 24..64 is refused at validation.
func TestAccSigningSecretEphemeral_badBytes(t *testing.T) {
	env := acctest.Start(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: withEcho(),
		Steps: []resource.TestStep{{
			Config: env.Config(`
ephemeral "hookd_signing_secret" "test" {
  bytes = 16
}

provider "echo" {
  data = ephemeral.hookd_signing_secret.test.fingerprint
}

resource "echo" "test" {}
`),
			ExpectError: acctest.Words(`bytes must be from 24 to 64, got 16; leave it out for the default, 32.`),
		}},
	})
}

// The example's secret store (examples/ephemeral-resources) follows the
// webhook's secret_fingerprint, not only the version: after a rotation
// outside Terraform, the next apply installs a new value in hookd with the
// same secret_wo_version, and the store, here a terraform_data writing a
// file whose version is the number made of the fingerprint, gets that
// same value in the same run.
func TestAccSigningSecretEphemeral_storeFollowsDrift(t *testing.T) {
	env := acctest.Start(t)
	rcv := acctest.NewReceiver(t, 200)
	store := filepath.Join(t.TempDir(), "store")
	config := env.Config(fmt.Sprintf(`
ephemeral "hookd_signing_secret" "test" {}

resource "hookd_account_webhook" "test" {
  url               = %q
  events            = ["transfer.created"]
  secret_wo         = ephemeral.hookd_signing_secret.test.secret
  secret_wo_version = 1
}

# A secret store whose write-only version is a number.
resource "terraform_data" "store" {
  triggers_replace = parseint(substr(hookd_account_webhook.test.secret_fingerprint, 0, 12), 16)

  provisioner "local-exec" {
    command     = "umask 077 && printf '%%s' \"$SECRET\" > \"$FILE\""
    environment = {
      SECRET = ephemeral.hookd_signing_secret.test.secret
      FILE   = %q
    }
  }
}`, rcv.URL, store))
	// storeHoldsHookdSecret: the store's secret is the one hookd has.
	storeHoldsHookdSecret := func(s *terraform.State) error {
		raw, err := os.ReadFile(store)
		if err != nil {
			return err
		}
		attrs := s.RootModule().Resources["hookd_account_webhook.test"].Primary.Attributes
		if got, want := rules.Fingerprint(string(raw)), attrs["secret_fingerprint"]; got != want {
			return fmt.Errorf("the store's secret has fingerprint %s, hookd's %s", got, want)
		}
		return acctest.AbsentFromHookdState(s, string(raw))
	}
	var id, outOfBand string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.WriteOnly)},
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeTestCheckFunc(storeHoldsHookdSecret, func(s *terraform.State) error {
					id = s.RootModule().Resources["hookd_account_webhook.test"].Primary.ID
					return nil
				}),
			},
			{
				// Rotated outside Terraform, same configuration: hookd gets
				// secret_wo again, and the store with it.
				PreConfig: func() {
					rot, err := env.Client.RotateSecret(context.Background(), id, client.RotateSecretRequest{})
					if err != nil {
						t.Fatal(err)
					}
					outOfBand = rot.SecretFingerprint
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("hookd_account_webhook.test", plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("terraform_data.store", plancheck.ResourceActionReplace),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(storeHoldsHookdSecret, func(s *terraform.State) error {
					if got := s.RootModule().Resources["hookd_account_webhook.test"].Primary.Attributes["secret_fingerprint"]; got == outOfBand {
						return fmt.Errorf("secret_fingerprint is still the out-of-band secret's, %s", got)
					}
					return nil
				}),
			},
		},
	})
}
