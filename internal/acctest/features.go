package acctest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hookd/terraform-provider-hookd/internal/provider"
)

// Feature is a language feature of the CLI that some tests need. Whether
// the binary under test (TF_ACC_TERRAFORM_PATH, Terraform or OpenTofu) has
// it is asked of the binary itself: it validates a small configuration
// that uses the feature, with the built-in terraform_data only (no
// provider, nothing downloaded), and lacks the feature when it does not
// know the syntax. No list of versions to keep up to date. A feature of the
// provider's own schema (write-only arguments) is asked with this provider
// served in-process, as the tests serve it, and the CLI lacks it when it
// refuses the argument.
//
// A probe that misfires would skip tests silently; where the CLI under test
// is known to have a feature, HOOKD_ACC_REQUIRE_FEATURES (EnvRequireFeatures)
// turns its skip into a failure.
type Feature struct {
	// Key is how HOOKD_ACC_REQUIRE_FEATURES names it.
	Key string
	// Name is what the skip message calls it.
	Name string
	// file and probe are the configuration that uses it.
	file, probe string
	// args are the validate command's.
	args []string
	// withProvider serves this provider to the CLI for the probe, whose
	// configuration then uses it.
	withProvider bool
	// lacks are what the CLI says when it lacks the feature, besides
	// unknownSyntax.
	lacks []string
}

// The features the tests ask about.
var (
	// Identity is import by resource identity (Terraform 1.12+).
	Identity = Feature{Key: "identity", Name: "resource identity (import blocks with identity)", file: "main.tf", probe: `
resource "terraform_data" "x" {}

import {
  to       = terraform_data.x
  identity = { id = "x" }
}
`}
	// Actions are action blocks, -invoke and action_trigger (Terraform 1.14+).
	Actions = Feature{Key: "actions", Name: "actions", file: "main.tf", probe: `
action "terraform_data" "x" {}
`}
	// ActionOnFailure is action_trigger's on_failure (Terraform 1.16+).
	ActionOnFailure = Feature{Key: "action_on_failure", Name: "action_trigger on_failure", file: "main.tf", probe: `
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
	// ActionDestroyEvents are action_trigger's before_destroy and
	// after_destroy events (Terraform 1.16+); Terraform 1.14 and 1.15 say
	// `Invalid "event" value before_destroy`.
	ActionDestroyEvents = Feature{Key: "action_destroy_events", Name: "action_trigger destroy events", file: "main.tf",
		lacks: []string{`Invalid "event" value`}, probe: `
resource "terraform_data" "x" {
  lifecycle {
    action_trigger {
      events  = [before_destroy, after_destroy]
      actions = []
    }
  }
}
`}
	// ListResources are list blocks and terraform query (Terraform 1.14+).
	ListResources = Feature{Key: "list_resources", Name: "list resources (terraform query)", file: "main.tfquery.hcl", args: []string{"-query"}, probe: `
list "terraform_data" "x" {
  provider = terraform
}
`}
	// Ephemeral are ephemeral values: ephemeral resources and variables
	// (Terraform 1.10+), which write-only arguments take.
	Ephemeral = Feature{Key: "ephemeral", Name: "ephemeral values", file: "main.tf", probe: `
variable "x" {
  type      = string
  ephemeral = true
  default   = "x"
}
`}
)

// WriteOnly are write-only arguments (Terraform 1.11+, OpenTofu 1.11+),
// asked of the CLI with this provider's own secret_wo fed by an ephemeral
// variable: a CLI without them refuses the ephemeral value ("Invalid use of
// ephemeral value", Terraform) or does not tell the provider that it
// takes write-only values (the framework's "WriteOnly Attribute Not
// Allowed"); one without ephemeral variables does not know the argument.
var WriteOnly = Feature{Key: "write_only", Name: "write-only arguments", file: "main.tf", withProvider: true,
	lacks: []string{"Invalid use of ephemeral value", "Ephemeral value not allowed", "WriteOnly Attribute Not Allowed"}, probe: `
terraform {
  required_providers {
    hookd = {
      source = "hookd/hookd"
    }
  }
}

variable "secret" {
  type      = string
  ephemeral = true
  default   = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
}

resource "hookd_account_webhook" "x" {
  url               = "https://example.com/hooks"
  events            = ["*"]
  secret_wo         = var.secret
  secret_wo_version = 1
}
`}

// ActionCaller is caller in an action's configuration, the resource whose
// action_trigger runs the action (Terraform 1.16+, which warns when the
// action names that resource by its address instead). Terraform 1.14 and
// 1.15 read caller.id as a resource of type "caller" that is not declared.
// An action's configuration is evaluated only for an action type a
// provider has, and Terraform has none of its own: this provider's
// hookd_webhook_test is the probe's.
var ActionCaller = Feature{Key: "action_caller", Name: "caller in action configuration", file: "main.tf", withProvider: true,
	lacks: []string{"Reference to undeclared resource"}, probe: `
terraform {
  required_providers {
    hookd = {
      source = "hookd/hookd"
    }
  }
}

action "hookd_webhook_test" "x" {
  config {
    webhook_id = caller.id
  }
}

resource "terraform_data" "x" {
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.hookd_webhook_test.x]
    }
  }
}
`}

// Features are all the features above, in the order the documentation of
// EnvRequireFeatures lists them.
var Features = []Feature{Ephemeral, WriteOnly, Identity, Actions, ListResources, ActionOnFailure, ActionDestroyEvents, ActionCaller}

// EnvRequireFeatures names the features the CLI under test must have, as a
// comma-separated list of keys (ephemeral, write_only, identity, actions,
// list_resources, action_on_failure, action_destroy_events, action_caller)
// or "all": a test that RequireFeature
// would skip for lack of one of them fails instead. make test sets it for
// the CLIs whose features are known, so a probe that misfires cannot turn
// their tests into silent skips.
const EnvRequireFeatures = "HOOKD_ACC_REQUIRE_FEATURES"

// RequiredFeatures parses a value of EnvRequireFeatures into the keys it
// requires. Empty requires none; "all" requires every feature; an unknown
// key is an error (a misspelt one would require nothing).
func RequiredFeatures(value string) (map[string]bool, error) {
	keys := make([]string, len(Features))
	for i, f := range Features {
		keys[i] = f.Key
	}
	required := map[string]bool{}
	for _, item := range strings.Split(value, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		switch {
		case item == "":
		case item == "all":
			for _, k := range keys {
				required[k] = true
			}
		case slices.Contains(keys, item):
			required[item] = true
		default:
			return nil, fmt.Errorf("%s=%q: unknown feature %q (known: all, %s)", EnvRequireFeatures, value, item, strings.Join(keys, ", "))
		}
	}
	return required, nil
}

// unknownSyntax are how Terraform and OpenTofu say they do not know a
// block, an argument or a flag.
var unknownSyntax = []string{"Unsupported block type", "Unsupported argument", "flag provided but not defined", "Unsupported file"}

type probeKey struct{ binary, feature string }

// probeResult is what a probe found, and what the CLI printed.
type probeResult struct {
	ok  bool
	out string
}

var (
	probeMu    sync.Mutex
	probeCache = map[probeKey]probeResult{}
)

// Supports reports whether the CLI at path has f, asking it once.
func Supports(path string, f Feature) (bool, error) {
	r, err := probe(path, f)
	return r.ok, err
}

// probe validates f's configuration with the CLI at path, once per CLI.
func probe(path string, f Feature) (probeResult, error) {
	probeMu.Lock()
	defer probeMu.Unlock()
	key := probeKey{path, f.Name}
	if r, cached := probeCache[key]; cached {
		return r, nil
	}
	dir, err := os.MkdirTemp("", "hookd-probe-")
	if err != nil {
		return probeResult{}, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, f.file), []byte(f.probe), 0o600); err != nil {
		return probeResult{}, err
	}
	cliConfig := filepath.Join(dir, "probe.rc")
	if err := os.WriteFile(cliConfig, nil, 0o600); err != nil {
		return probeResult{}, err
	}
	env := append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+cliConfig, "TF_LOG=",
		"HTTP_PROXY="+offlineProxy, "HTTPS_PROXY="+offlineProxy, "http_proxy="+offlineProxy, "https_proxy="+offlineProxy)
	var out []byte
	validate := append([]string{"validate", "-no-color"}, f.args...)
	if f.withProvider {
		out, err = runWithProvider(path, dir, env, validate)
		if err != nil {
			return probeResult{}, err
		}
	} else {
		cmd := exec.CommandContext(context.Background(), path, validate...)
		cmd.Dir, cmd.Env = dir, env
		out, _ = cmd.CombinedOutput()
	}
	r := probeResult{ok: true, out: string(out)}
	for _, s := range append(slices.Clone(unknownSyntax), f.lacks...) {
		if strings.Contains(r.out, s) {
			r.ok = false
		}
	}
	probeCache[key] = r
	return r, nil
}

// probeSink stands in for a test in the logging sink of the provider a
// probe serves (without a sink, its logs would go to stderr at trace
// level). The sink asks it only for a name, and logs as Terraform would:
// nothing unless TF_LOG says so.
type probeSink struct{ *testing.T }

func (probeSink) Name() string { return "feature-probe" }

// runWithProvider runs `init -backend=false`, then args, with the CLI at
// path in dir, this provider served in-process and attached
// (TF_REATTACH_PROVIDERS), as Terraform.Run serves it; it returns what the
// CLI printed of both. Only a failure to serve the provider is an error:
// what the CLI answered is for the caller to read.
func runWithProvider(path, dir string, env, args []string) ([]byte, error) {
	ctx, cancel := context.WithCancel(context.Background())
	configCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	serveErr := make(chan error, 1)
	go func() {
		serveErr <- tf6server.Serve(provider.Address, provider.Server("test"),
			tf6server.WithDebug(ctx, configCh, closeCh),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithLoggingSink(probeSink{}))
	}()
	var config *plugin.ReattachConfig
	select {
	case config = <-configCh:
	case err := <-serveErr:
		cancel()
		return nil, fmt.Errorf("serve the provider for a feature probe: stopped before serving (%v)", err)
	case <-time.After(30 * time.Second):
		cancel()
		return nil, errors.New("serve the provider for a feature probe: no reattach configuration after 30s")
	}
	defer func() {
		cancel()
		<-closeCh
	}()
	reattach, err := json.Marshal(tfexec.ReattachInfo{providerAddress(): tfexec.ReattachConfig{
		Protocol:        string(config.Protocol),
		ProtocolVersion: config.ProtocolVersion,
		Pid:             config.Pid,
		Test:            config.Test,
		Addr:            tfexec.ReattachConfigAddr{Network: config.Addr.Network(), String: config.Addr.String()},
	}})
	if err != nil {
		return nil, err
	}
	env = append(env, "TF_REATTACH_PROVIDERS="+string(reattach))
	var all []byte
	for _, a := range [][]string{{"init", "-backend=false", "-input=false", "-no-color"}, args} {
		cmd := exec.CommandContext(ctx, path, a...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		all = append(all, out...)
		if err != nil && a[0] == "init" {
			// validate would only say that init is needed.
			break
		}
	}
	return all, nil
}

// binary is the CLI the tests run.
func binary() (string, error) {
	if p := os.Getenv(EnvTerraformPath); p != "" {
		return p, nil
	}
	return exec.LookPath("terraform")
}

// RequireFeature is a TerraformVersionCheck for resource.TestCase that
// skips the test unless the CLI under test has f, saying which CLI lacks it;
// when EnvRequireFeatures names f, the test fails instead, with what the
// CLI answered the probe.
func RequireFeature(f Feature) tfversion.TerraformVersionCheck { return featureCheck{f} }

type featureCheck struct{ f Feature }

func (c featureCheck) CheckTerraformVersion(_ context.Context, req tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	path, err := binary()
	if err != nil {
		resp.Error = err
		return
	}
	required, err := RequiredFeatures(os.Getenv(EnvRequireFeatures))
	if err != nil {
		resp.Error = err
		return
	}
	r, err := probe(path, c.f)
	if err != nil {
		resp.Error = err
		return
	}
	if r.ok {
		return
	}
	lacks := fmt.Sprintf("%s (version %s) does not support %s", filepath.Base(path), req.TerraformVersion, c.f.Name)
	if !required[c.f.Key] {
		resp.Skip = lacks
		return
	}
	resp.Error = fmt.Errorf("%s, which %s=%s requires: the test would have been skipped. "+
		"Either the probe misfired or %s is not the CLI meant. It answered `validate` of\n%s\nwith\n%s",
		lacks, EnvRequireFeatures, os.Getenv(EnvRequireFeatures), path, strings.TrimSpace(c.f.probe), strings.TrimSpace(r.out))
}
