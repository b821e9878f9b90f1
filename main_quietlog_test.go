package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// What the provider binary writes on stderr, where its logs go, as
// Terraform runs it (built here; a wrapper installed with dev_overrides
// keeps a copy of its stderr): with no TF_LOG*, and with only TF_LOG_CORE
// (Terraform's own level: it collects no provider logs for it), no record
// of the plugin SDK or of the provider itself (quietLogs); with
// TF_LOG=trace, both, the provider's API calls among them.
func TestBinaryQuietLogs(t *testing.T) {
	acctest.PreCheck(t)
	tfPath := cliUnderTest(t)
	srv := hookdtest.Start(t)
	bin, plugins, work := t.TempDir(), t.TempDir(), t.TempDir()
	exe := filepath.Join(bin, "terraform-provider-hookd")
	buildProvider(t, exe)
	// The handshake is on stdout, left alone; stderr, where the logs go,
	// is kept in a file instead of going to Terraform.
	stderr := filepath.Join(work, "provider-stderr")
	wrapper := filepath.Join(plugins, "terraform-provider-hookd")
	if err := os.WriteFile(wrapper, fmt.Appendf(nil, "#!/bin/sh\nexec %q \"$@\" 2>>%q\n", exe, stderr), 0o700); err != nil {
		t.Fatal(err)
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
	writeFile(t, filepath.Join(cfg, "main.tf"), `terraform {
  required_providers {
    hookd = { source = "hookd/hookd" }
  }
}

resource "hookd_account_webhook" "w" {
  url    = "https://example.com/hooks"
  events = ["transfer.created"]
}
`)
	// run is the provider's stderr during one terraform command.
	run := func(logEnv []string, args ...string) string {
		t.Helper()
		if err := os.WriteFile(stderr, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(tfPath, args...)
		cmd.Dir = cfg
		cmd.Env = append(withoutTFLog(os.Environ()), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
			"HOOKD_ENDPOINT="+srv.URL, "HOOKD_API_KEY="+srv.APIKey, "TF_LOG_PATH="+filepath.Join(work, "tf.log"))
		cmd.Env = append(cmd.Env, logEnv...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("terraform %v: %v\n%s", args, err, out)
		}
		b, err := os.ReadFile(stderr)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// The SDK's records carry its modules; the provider's own, its API
	// calls (tflogBridge).
	records := []string{`"@module":"sdk.proto"`, `"@module":"sdk.framework"`, `hookd API request`}

	quiet := run(nil, "apply", "-auto-approve", "-input=false", "-no-color")
	if strings.Contains(quiet, `"@module"`) || strings.Contains(quiet, "hookd API request") {
		t.Errorf("no TF_LOG: the provider logged on stderr:\n%.2000s", quiet)
	}
	core := run([]string{"TF_LOG_CORE=trace"}, "plan", "-refresh=true", "-input=false", "-no-color")
	if strings.Contains(core, `"@module"`) || strings.Contains(core, "hookd API request") {
		t.Errorf("TF_LOG_CORE=trace only: the provider logged on stderr:\n%.2000s", core)
	}
	trace := run([]string{"TF_LOG=trace"}, "plan", "-refresh=true", "-input=false", "-no-color")
	for _, want := range records {
		if !strings.Contains(trace, want) {
			t.Errorf("TF_LOG=trace: the provider's stderr has no %s", want)
		}
	}
	run(nil, "destroy", "-auto-approve", "-input=false", "-no-color")
}
