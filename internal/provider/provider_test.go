package provider_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/testlog"
)

// Misconfiguration gives one diagnostic that names the attribute and its
// environment variable, not a stack of HTTP errors.
func TestAccProvider_configurationErrors(t *testing.T) {
	env := acctest.Start(t)
	t.Setenv("HOOKD_ENDPOINT", "")
	t.Setenv("HOOKD_API_KEY", "")
	hook := `
resource "hookd_account_webhook" "test" {
  url    = "https://example.com/hooks"
  events = ["*"]
}`
	step := func(provider, want string) resource.TestStep {
		return resource.TestStep{Config: provider + hook, ExpectError: acctest.Words(want), PlanOnly: true}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			step(fmt.Sprintf(`provider "hookd" {
  endpoint = %q
  api_key  = "hookd_wrong"
}`, env.Endpoint), `does not accept this API key. Check api_key in the provider block or the HOOKD_API_KEY environment variable.`),
			step(`provider "hookd" {
  endpoint    = "http://127.0.0.1:1"
  api_key     = "hookd_x"
  max_retries = 0
}`, `No answer from http://127.0.0.1:1. Check endpoint in the provider block or the HOOKD_ENDPOINT environment variable, and that the server is running.`),
			// An object that calls the server itself says the same.
			{Config: `provider "hookd" {
  endpoint    = "http://127.0.0.1:1"
  api_key     = "hookd_x"
  max_retries = 0
}

data "hookd_group" "test" {
  id = "grp_aaaaaaaaaaaaaaaaaaaa"
}`, ExpectError: acctest.Words(`Unable to read group grp_aaaaaaaaaaaaaaaaaaaa`, `Check endpoint in the provider block or the HOOKD_ENDPOINT environment variable, and that the server is running.`), PlanOnly: true},
			step(`provider "hookd" {
  endpoint = "127.0.0.1:8080"
  api_key  = "hookd_x"
}`, `endpoint "127.0.0.1:8080" must be an absolute http or https URL such as http://127.0.0.1:8080. Fix endpoint in the provider block or the HOOKD_ENDPOINT environment variable.`),
			step(fmt.Sprintf(`provider "hookd" {
  endpoint = %q
}`, env.Endpoint), `Set api_key in the provider block or the HOOKD_API_KEY environment variable.`),
			step(fmt.Sprintf(`provider "hookd" {
  endpoint        = %q
  api_key         = "x"
  request_timeout = "soon"
}`, env.Endpoint), `"soon" is not a positive duration: use a number with a unit, such as 30s, 2m or 1h30m.`),
			step(fmt.Sprintf(`provider "hookd" {
  endpoint    = %q
  api_key     = "x"
  max_retries = 50
}`, env.Endpoint), `max_retries must be from 0 to 20, got 50; 0 turns retries off; leave it out for the default, 10.`),
		},
	})
}

// The provider's trace logs and hookd's own log (at debug level) never hold
// the signing secret, the auth token or the API key, through a create, an
// update and a rotation; nor the write-only secret and token, through a
// create and an install in place; nor any secret hookd_signing_secret made
// (ephemeral, fed to secret_wo) for a plan or an apply: no text shaped like
// a signing secret is in the logs at all. make test runs it on the floor
// Terraform and on the newest. Terraform's trace log goes to t.ArtifactDir:
// removed after the test unless go test -artifacts keeps it; a failure
// says where it is.
func TestAccProvider_logsHoldNoSecrets(t *testing.T) {
	hookdLog := &testlog.Buffer{}
	env := acctest.Start(t, hookdtest.WithConfig(func(cfg *server.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(hookdLog, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}))
	// rcv gets the test deliveries of hookd_account_webhook.wo and .test,
	// each verified; .ephemeral's go to unknowable, unverified: it signs
	// with the secret hookd_signing_secret made, which by design leaves
	// Terraform only as its fingerprint (checked in keepSecret).
	rcv, unknowable := acctest.NewReceiver(t, 200), acctest.NewReceiver(t, 200)
	rcv.VerifyWhenDone(t)
	logFile := filepath.Join(t.ArtifactDir(), "tf-trace.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Terraform's trace log is %s (removed after the test unless go test -artifacts keeps it)", logFile)
		}
	})
	const token = "tok-very-secret-0123456789"
	var secrets, fingerprints []string
	keepSecret := func(s *terraform.State) error {
		secrets = append(secrets, s.RootModule().Resources[accountHook].Primary.Attributes["secret"])
		// The ephemeral secret of this apply reached hookd: the webhook
		// has its fingerprint, which the echo provider kept.
		echo := s.RootModule().Resources[fmt.Sprintf("echo.run%d", len(secrets))]
		if echo == nil {
			return fmt.Errorf("no echo.run%d in state", len(secrets))
		}
		made := echo.Primary.Attributes["data"]
		if got := s.RootModule().Resources["hookd_account_webhook.ephemeral"].Primary.Attributes["secret_fingerprint"]; got != made || made == "" {
			return fmt.Errorf("the webhook has secret_fingerprint %q, hookd_signing_secret made %q", got, made)
		}
		if slices.Contains(fingerprints, made) {
			return fmt.Errorf("run %d made the secret of an earlier run", len(secrets))
		}
		fingerprints = append(fingerprints, made)
		return nil
	}
	// The values come from the environment, not the configuration text,
	// since the test harness itself logs the configuration.
	t.Setenv("HOOKD_ENDPOINT", env.Endpoint)
	t.Setenv("HOOKD_API_KEY", env.APIKey)
	t.Setenv("TF_VAR_token", token)
	woSecret, woToken := newSecret(t), "wo-tok-"+newSecret(t)[6:40]
	rcv.Trust(woSecret)
	t.Setenv("TF_VAR_wo_secret", woSecret)
	t.Setenv("TF_VAR_wo_token", woToken)
	config := func(trigger string) string {
		return fmt.Sprintf(`
variable "token" {
  type      = string
  sensitive = true
}

variable "wo_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "wo_token" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "hookd_account_webhook" "wo" {
  url                   = %[1]q
  events                = ["transfer.created"]
  test_on_apply         = true
  secret_wo             = var.wo_secret
  secret_wo_version     = %[2]q
  auth_token_wo         = var.wo_token
  auth_token_wo_version = %[2]q
}

resource "hookd_account_webhook" "test" {
  url           = %[1]q
  events        = ["transfer.created"]
  auth_token    = var.token
  test_on_apply = true
  secret_rotation = { trigger = %[2]q }
}

ephemeral "hookd_signing_secret" "made" {}

# The echo provider keeps the fingerprint of each apply's secret (one
# resource per run), not the secret: Terraform's own debug log prints the
# echo resource's state.
provider "echo" {
  data = ephemeral.hookd_signing_secret.made.fingerprint
}

resource "echo" "run%[2]s" {}

resource "hookd_account_webhook" "ephemeral" {
  url               = %[3]q
  events            = ["transfer.created"]
  test_on_apply     = true
  secret_wo         = ephemeral.hookd_signing_secret.made.secret
  secret_wo_version = %[2]q
}`, rcv.URL, trigger, unknowable.URL)
	}
	// .test's secret before and after its rotation: during the grace
	// window hookd signs with both, and either verifies.
	trustSecret := []statecheck.StateCheck{rcv.TrustState(accountHook, tfjsonpath.New("secret"))}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: withEcho(),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.Ephemeral)},
		Steps: []resource.TestStep{
			{Config: config("1"), Check: keepSecret, ConfigStateChecks: trustSecret},
			{Config: config("2"), Check: keepSecret, ConfigStateChecks: trustSecret},
		},
	})
	raw, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	logs := string(raw)
	if !strings.Contains(logs, "hookd API request") {
		t.Fatalf("the log file holds no provider HTTP logs (%d bytes); the check would prove nothing", len(raw))
	}
	served := hookdLog.String()
	for _, want := range []string{"msg=request", "path=/v1/webhooks/account", "secret/rotate"} {
		if !strings.Contains(served, want) {
			t.Fatalf("hookd's log holds no %q (%d bytes); the check would prove nothing", want, len(served))
		}
	}
	for name, value := range map[string]string{"auth_token": token, "api key": env.APIKey, "secret 1": secrets[0], "secret 2": secrets[1],
		"secret_wo": woSecret, "auth_token_wo": woToken} {
		if len(value) < 8 {
			t.Fatalf("%s is %q: nothing to look for", name, value)
		}
		if strings.Contains(logs, value) {
			t.Errorf("the trace logs contain the %s", name)
		}
		if strings.Contains(served, value) {
			t.Errorf("hookd's log contains the %s", name)
		}
	}
	// Every value hookd_signing_secret made, for each plan and each apply
	// (no test can know them), and any other signing secret: nothing in
	// either log is shaped like one.
	if !acctest.SigningSecretShape.MatchString(secrets[1]) || !acctest.SigningSecretShape.MatchString(woSecret) {
		t.Fatalf("acctest.SigningSecretShape does not match the secrets: the check would prove nothing")
	}
	for what, text := range map[string]string{"the trace logs": logs, "hookd's log": served} {
		if loc := acctest.SigningSecretShape.FindStringIndex(text); loc != nil {
			t.Errorf("%s hold a signing secret (%d characters at byte %d; not shown)", what, loc[1]-loc[0], loc[0])
		}
	}
}

// The event catalog is read only when a plan has event types to check: a
// create, a change of events; never for a refresh, a no-change plan, an
// update of something else or a destroy.
func TestAccProvider_catalogOnlyWhenEventsChange(t *testing.T) {
	env := acctest.Start(t)
	counter := env.NewCounter(t)
	rcv := acctest.NewReceiver(t, 200)
	fetches := func() int { return counter.Count("GET", "/v1/webhooks/events") }
	config := func(name, events string) string {
		return env.Via(counter.URL).Config(fmt.Sprintf(`
resource "hookd_account_webhook" "test" {
  name   = %q
  url    = %q
  events = %s
}`, name, rcv.URL, events))
	}
	last := 0
	// reads checks the catalog reads since the last check: some (events to
	// check) or none.
	reads := func(what string, some bool) resource.TestCheckFunc {
		return func(*terraform.State) error {
			got := fetches()
			defer func() { last = got }()
			if some && got == last {
				return fmt.Errorf("%s: no catalog read, so its event types went unchecked", what)
			}
			if !some && got != last {
				return fmt.Errorf("%s: %d catalog reads, want none", what, got-last)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             reads("destroy", false),
		Steps: []resource.TestStep{
			{Config: config("a", `["transfer.created"]`), Check: reads("create", true)},
			{Config: config("b", `["transfer.created"]`), Check: reads("rename, refresh and no-change plans", false)},
			{Config: config("b", `["transfer.*"]`), Check: reads("new events", true)},
		},
	})
}
