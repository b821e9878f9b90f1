package acctest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// Feature is a language feature of the CLI that some tests need. Whether
// the binary under test (TF_ACC_TERRAFORM_PATH, Terraform or OpenTofu) has
// it is asked of the binary itself: it validates a small configuration
// that uses the feature, with the built-in terraform_data only (no
// provider, nothing downloaded), and lacks the feature when it does not
// know the syntax. No list of versions to keep up to date.
type Feature struct {
	// Name is what the skip message calls it.
	Name string
	// file and probe are the configuration that uses it.
	file, probe string
	// args are the validate command's.
	args []string
}

// The features the tests ask about.
var (
	// Identity is import by resource identity (Terraform 1.12+).
	Identity = Feature{Name: "resource identity (import blocks with identity)", file: "main.tf", probe: `
resource "terraform_data" "x" {}

import {
  to       = terraform_data.x
  identity = { id = "x" }
}
`}
	// Actions are action blocks, -invoke and action_trigger (Terraform 1.14+).
	Actions = Feature{Name: "actions", file: "main.tf", probe: `
action "terraform_data" "x" {}
`}
	// ActionOnFailure is action_trigger's on_failure (Terraform 1.16+).
	ActionOnFailure = Feature{Name: "action_trigger on_failure", file: "main.tf", probe: `
resource "terraform_data" "x" {
  lifecycle {
    action_trigger {
      events     = [after_create]
      actions    = []
      on_failure = continue
    }
  }
}
`}
	// ListResources are list blocks and terraform query (Terraform 1.14+).
	ListResources = Feature{Name: "list resources (terraform query)", file: "main.tfquery.hcl", args: []string{"-query"}, probe: `
list "terraform_data" "x" {
  provider = terraform
}
`}
	// Ephemeral are ephemeral values: ephemeral resources and variables
	// (Terraform 1.10+), which write-only arguments take.
	Ephemeral = Feature{Name: "ephemeral values", file: "main.tf", probe: `
variable "x" {
  type      = string
  ephemeral = true
  default   = "x"
}
`}
)

// unknownSyntax are how Terraform and OpenTofu say they do not know a
// block, an argument or a flag.
var unknownSyntax = []string{"Unsupported block type", "Unsupported argument", "flag provided but not defined", "Unsupported file"}

type probeKey struct{ binary, feature string }

var (
	probeMu    sync.Mutex
	probeCache = map[probeKey]bool{}
)

// Supports reports whether the CLI at path has f, asking it once.
func Supports(path string, f Feature) (bool, error) {
	probeMu.Lock()
	defer probeMu.Unlock()
	key := probeKey{path, f.Name}
	if ok, cached := probeCache[key]; cached {
		return ok, nil
	}
	dir, err := os.MkdirTemp("", "hookd-probe-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, f.file), []byte(f.probe), 0o600); err != nil {
		return false, err
	}
	cmd := exec.CommandContext(context.Background(), path, append([]string{"validate", "-no-color"}, f.args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "none.rc"), "TF_LOG=")
	out, _ := cmd.CombinedOutput()
	ok := true
	for _, s := range unknownSyntax {
		if strings.Contains(string(out), s) {
			ok = false
		}
	}
	probeCache[key] = ok
	return ok, nil
}

// binary is the CLI the tests run.
func binary() (string, error) {
	if p := os.Getenv(EnvTerraformPath); p != "" {
		return p, nil
	}
	return exec.LookPath("terraform")
}

// RequireFeature is a TerraformVersionCheck for resource.TestCase that
// skips the test unless the CLI under test has f, saying which CLI lacks it.
func RequireFeature(f Feature) tfversion.TerraformVersionCheck { return featureCheck{f} }

type featureCheck struct{ f Feature }

func (c featureCheck) CheckTerraformVersion(_ context.Context, req tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	path, err := binary()
	if err != nil {
		resp.Error = err
		return
	}
	ok, err := Supports(path, c.f)
	switch {
	case err != nil:
		resp.Error = err
	case !ok:
		resp.Skip = fmt.Sprintf("%s (version %s) does not support %s", filepath.Base(path), req.TerraformVersion, c.f.Name)
	}
}
