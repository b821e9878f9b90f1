package main

import (
	"bufio"
	"context"
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
)

// What only the provider binary does, tested on the binary as Terraform
// runs it (built here, installed with dev_overrides; the acceptance tests
// serve the provider in-process instead): with TF_LOG=trace Terraform's
// log holds the plugin SDK's own logs (quietSDKLogs leaves them on), and
// without, the processes of one command read the event catalog once
// between them (CommandCache): one read for a create, whose plan and apply
// run in two provider processes, and none for a destroy.
func TestBinaryUnderTerraform(t *testing.T) {
	acctest.PreCheck(t)
	tfPath := os.Getenv(acctest.EnvTerraformPath)
	if tfPath == "" {
		var err error
		if tfPath, err = exec.LookPath("terraform"); err != nil {
			t.Fatalf("no terraform binary: set %s or put terraform on PATH", acctest.EnvTerraformPath)
		}
	}
	srv := hookdtest.Start(t)
	plugins, work := t.TempDir(), t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(plugins, "terraform-provider-hookd"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
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
	config := func(events string) {
		writeFile(t, filepath.Join(cfg, "main.tf"), fmt.Sprintf(`terraform {
  required_providers {
    hookd = { source = "hookd/hookd" }
  }
}

resource "hookd_account_webhook" "w" {
  url    = "https://example.com/hooks"
  events = [%s]
}
`, events))
	}
	tfLog := filepath.Join(work, "tf.log")
	terraform := func(trace bool, args ...string) {
		t.Helper()
		cmd := exec.Command(tfPath, args...)
		cmd.Dir = cfg
		cmd.Env = append(withoutTFLog(os.Environ()), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
			"HOOKD_ENDPOINT="+srv.URL, "HOOKD_API_KEY="+srv.APIKey)
		if trace {
			cmd.Env = append(cmd.Env, "TF_LOG=trace", "TF_LOG_PATH="+tfLog)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("terraform %v: %v\n%s", args, err, out)
		}
	}

	config(`"transfer.created"`)
	before := catalogReads(t, srv)
	terraform(false, "apply", "-auto-approve", "-input=false", "-no-color")
	if n := catalogReads(t, srv) - before; n != 1 {
		t.Errorf("create: %d catalog reads, want 1 for the command's two provider processes", n)
	}

	config(`"transfer.created", "transfer.expired"`)
	terraform(true, "apply", "-auto-approve", "-input=false", "-no-color")
	log, err := os.ReadFile(tfLog)
	if err != nil {
		t.Fatal(err)
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
