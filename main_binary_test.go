package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// What only the provider binary does, tested on the binary as Terraform
// runs it (built here, installed with dev_overrides; the acceptance tests
// serve the provider in-process instead): with TF_LOG=trace Terraform's
// log holds the plugin SDK's own logs (quietLogs leaves them on) but no
// secret: not the write-only secret_wo and auth_token_wo given through
// ephemeral variables, nor the one hookd_signing_secret made, nor anything
// shaped like a signing secret; and the processes of one command read the
// event catalog once between them (CommandCache): one read for a create,
// whose plan and apply run in two provider processes, and none for a
// destroy.
func TestBinaryUnderTerraform(t *testing.T) {
	acctest.PreCheck(t)
	tfPath := cliUnderTest(t)
	srv := hookdtest.Start(t)
	plugins, work := t.TempDir(), t.TempDir()
	buildProvider(t, filepath.Join(plugins, "terraform-provider-hookd"))
	rc := filepath.Join(work, "dev.tfrc")
	writeFile(t, rc, fmt.Sprintf(`provider_installation {
  dev_overrides {
    "hookd/hookd" = %q
  }
  direct {}
}
`, plugins))
	cfg := filepath.Join(work, "cfg")
	if err := os.Mkdir(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	// The write-only values: the secret and first token from ephemeral
	// variables, then a token of the second run and a secret made by
	// hookd_signing_secret, which the test cannot know (the log is searched
	// for its shape).
	secret, err := rules.NewSigningSecret(32)
	if err != nil {
		t.Fatal(err)
	}
	tokens := []string{"tok-" + strings.Repeat(acctest.RandomName("a"), 2), "tok-" + strings.Repeat(acctest.RandomName("b"), 2)}
	config := func(events, secretWO string, version int) {
		writeFile(t, filepath.Join(cfg, "main.tf"), fmt.Sprintf(`terraform {
  required_providers {
    hookd = { source = "hookd/hookd" }
  }
}

variable "hook_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "hook_token" {
  type      = string
  sensitive = true
  ephemeral = true
}

ephemeral "hookd_signing_secret" "made" {}

resource "hookd_account_webhook" "w" {
  url                   = "https://example.com/hooks"
  events                = [%s]
  secret_wo             = %s
  secret_wo_version     = %[3]d
  auth_token_wo         = var.hook_token
  auth_token_wo_version = %[3]d
}
`, events, secretWO, version))
	}
	tfLog := filepath.Join(work, "tf.log")
	token := tokens[0]
	terraform := func(trace bool, args ...string) {
		t.Helper()
		cmd := exec.Command(tfPath, args...)
		cmd.Dir = cfg
		cmd.Env = append(withoutTFLog(os.Environ()), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
			"HOOKD_ENDPOINT="+srv.URL, "HOOKD_API_KEY="+srv.APIKey, "TF_VAR_hook_secret="+secret, "TF_VAR_hook_token="+token)
		if trace {
			cmd.Env = append(cmd.Env, "TF_LOG=trace", "TF_LOG_PATH="+tfLog)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("terraform %v: %v\n%s", args, err, out)
		}
	}

	config(`"transfer.created"`, "var.hook_secret", 1)
	before := catalogReads(t, srv)
	terraform(true, "apply", "-auto-approve", "-input=false", "-no-color")
	if n := catalogReads(t, srv) - before; n != 1 {
		t.Errorf("create: %d catalog reads, want 1 for the command's two provider processes", n)
	}
	// The values reached hookd (so their absence below means something).
	wantFingerprints(t, cfg, rules.Fingerprint(secret), rules.Fingerprint(token))

	// An update that sends both again: the secret made by the ephemeral
	// resource, installed through the rotate endpoint, and a new token.
	config(`"transfer.created", "transfer.expired"`, "ephemeral.hookd_signing_secret.made.secret", 2)
	token = tokens[1]
	terraform(true, "apply", "-auto-approve", "-input=false", "-no-color")
	made := wantFingerprints(t, cfg, "", rules.Fingerprint(token))
	if made == rules.Fingerprint(secret) {
		t.Errorf("secret_fingerprint %s did not change: hookd_signing_secret's secret was not installed", made)
	}
	log, err := os.ReadFile(tfLog)
	if err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(filepath.Join(cfg, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string][]byte{"TF_LOG=trace log": log, "state": state} {
		if err := acctest.Absent(what, string(text), append([]string{secret}, tokens...)...); err != nil {
			t.Error(err)
		}
		if loc := acctest.SigningSecretShape.FindIndex(text); loc != nil {
			t.Errorf("the %s holds a signing secret (%d characters at byte %d; not shown)", what, loc[1]-loc[0], loc[0])
		}
	}
	// The SDK's own records carry its modules; the provider's, tf_provider_addr.
	for _, want := range []string{"@module=sdk.proto", "@module=sdk.framework", "tf_provider_addr=registry.terraform.io/hookd/hookd"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("TF_LOG=trace: Terraform's log has no %q: the provider's SDK logs were turned off", want)
		}
	}

	before = catalogReads(t, srv)
	terraform(false, "destroy", "-auto-approve", "-input=false", "-no-color")
	if n := catalogReads(t, srv) - before; n != 0 {
		t.Errorf("destroy: %d catalog reads, want none", n)
	}
}

// wantFingerprints reads the webhook's fingerprints from the state file,
// as the API reported them, checks them against secret and token (secret
// left out when ""), and returns the secret's.
func wantFingerprints(t *testing.T, dir, secret, token string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Resources []struct {
			Instances []struct {
				Attributes struct {
					Secret            *string `json:"secret"`
					SecretFingerprint string  `json:"secret_fingerprint"`
					AuthToken         *string `json:"auth_token_fingerprint"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	if len(state.Resources) != 1 || len(state.Resources[0].Instances) != 1 {
		t.Fatalf("state: %d resources, want the webhook alone", len(state.Resources))
	}
	a := state.Resources[0].Instances[0].Attributes
	if a.Secret != nil {
		t.Error("state holds secret: with secret_wo it stays null")
	}
	if secret != "" && a.SecretFingerprint != secret {
		t.Errorf("secret_fingerprint %s, want %s: secret_wo did not reach hookd", a.SecretFingerprint, secret)
	}
	if a.AuthToken == nil || *a.AuthToken != token {
		t.Errorf("auth_token_fingerprint %v, want %s: auth_token_wo did not reach hookd", a.AuthToken, token)
	}
	return a.SecretFingerprint
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// withoutTFLog is env without the TF_LOG* variables of the test's own
// environment.
func withoutTFLog(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "TF_LOG") {
			out = append(out, kv)
		}
	}
	return out
}

// catalogReads is how many times hookd served the event catalog, from its
// metrics.
func catalogReads(t *testing.T, srv *hookdtest.Server) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.APIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	n := 0
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "hookd_http_requests_total{") && strings.Contains(line, `route="/v1/webhooks/events"`) && strings.Contains(line, `method="GET"`) {
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			n += int(v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// cliUnderTest is the Terraform (or OpenTofu) the binary's tests run:
// TF_ACC_TERRAFORM_PATH, or terraform on PATH.
func cliUnderTest(t *testing.T) string {
	t.Helper()
	if path := os.Getenv(acctest.EnvTerraformPath); path != "" {
		return path
	}
	path, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatalf("no terraform binary: set %s or put terraform on PATH", acctest.EnvTerraformPath)
	}
	return path
}

// buildProvider builds this provider's binary at exe.
func buildProvider(t *testing.T, exe string) {
	t.Helper()
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}
