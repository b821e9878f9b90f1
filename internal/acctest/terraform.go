package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/hookd/terraform-provider-hookd/internal/provider"
)

// EnvTerraformPath names the terraform binary, as for terraform-plugin-testing.
const EnvTerraformPath = "TF_ACC_TERRAFORM_PATH"

// offlineProxy is where Terraform's own HTTP traffic (registry, checkpoint)
// goes: a closed port on loopback, so an accidental download fails at once
// instead of reaching the network.
const offlineProxy = "http://127.0.0.1:9"

// Terraform runs the terraform CLI in a working directory of its own, for
// what resource.Test cannot do (terraform plan -generate-config-out on
// Terraform 1.11). For every command the provider is served in-process in
// debug mode and Terraform attaches to it (TF_REATTACH_PROVIDERS), as
// terraform-plugin-testing does: no provider binary is built or installed.
type Terraform struct {
	// Dir is the working directory; WriteFile and ReadFile work in it.
	Dir string

	t        *testing.T
	tf       *tfexec.Terraform
	execPath string
	env      map[string]string
	// address is the provider's full address as this CLI resolves
	// hookd/hookd: on OpenTofu's registry host when TF_ACC_PROVIDER_HOST
	// says so (as terraform-plugin-testing reads it).
	address string
}

// Plan is the outcome of Terraform.Plan.
type Plan struct {
	// Changes is whether terraform plan -detailed-exitcode exited 2; an
	// import counts as a change.
	Changes bool
	// Output is what terraform plan printed, such as the line
	// "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."
	Output string
	// JSON is the saved plan as terraform show -json describes it, and
	// Shown is what terraform show prints of it for people.
	JSON  *tfjson.Plan
	Shown string
}

// NewTerraform prepares a working directory with a terraform block that
// requires hookd/hookd; it skips the test unless TF_ACC is set. The binary
// is TF_ACC_TERRAFORM_PATH or terraform on PATH; nothing is downloaded.
// Terraform gets an empty CLI configuration, CHECKPOINT_DISABLE=1 and a dead
// HTTP proxy, so it never reaches the network.
func NewTerraform(t *testing.T) *Terraform {
	t.Helper()
	PreCheck(t)
	execPath := os.Getenv(EnvTerraformPath)
	if execPath == "" {
		var err error
		if execPath, err = exec.LookPath("terraform"); err != nil {
			t.Fatalf("no terraform binary: set %s or put terraform on PATH (%v)", EnvTerraformPath, err)
		}
	}
	dir := t.TempDir()
	tf, err := tfexec.NewTerraform(dir, execPath)
	if err != nil {
		t.Fatal(err)
	}
	cliConfig := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(cliConfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	env = tfexec.CleanEnv(env)
	for k, v := range map[string]string{
		"CHECKPOINT_DISABLE": "1",
		"TF_CLI_CONFIG_FILE": cliConfig,
		"HTTP_PROXY":         offlineProxy,
		"HTTPS_PROXY":        offlineProxy,
		"NO_PROXY":           "",
	} {
		env[k] = v
		delete(env, strings.ToLower(k))
	}
	delete(env, "TF_PLUGIN_CACHE_DIR")
	delete(env, "TF_DATA_DIR")
	if err := tf.SetEnv(env); err != nil {
		t.Fatal(err)
	}
	w := &Terraform{Dir: dir, t: t, tf: tf, execPath: execPath, env: env}
	w.WriteFile("terraform.tf", fmt.Sprintf(`terraform {
  required_providers {
    hookd = {
      source = %q
    }
  }
}
`, strings.TrimPrefix(provider.Address, "registry.terraform.io/")))
	w.address = providerAddress()
	return w
}

// WriteFile writes text to name in the working directory.
func (w *Terraform) WriteFile(name, text string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.Dir, name), []byte(text), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// ReadFile reads name from the working directory.
func (w *Terraform) ReadFile(name string) string {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.Dir, name))
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}

// Init runs terraform init, which installs nothing: the only provider is
// the attached one.
func (w *Terraform) Init() {
	w.t.Helper()
	err := w.withProvider(func(ctx context.Context, reattach tfexec.ReattachInfo) error {
		return w.tf.Init(ctx, tfexec.Reattach(reattach))
	})
	if err != nil {
		w.t.Fatalf("terraform init: %v", err)
	}
}

// Plan runs terraform plan -detailed-exitcode -out=tfplan with opts (such
// as tfexec.GenerateConfigOut) and reads the saved plan back. The error is
// Terraform's, with what it printed on stderr.
func (w *Terraform) Plan(opts ...tfexec.PlanOption) (*Plan, error) {
	w.t.Helper()
	var p Plan
	var out bytes.Buffer
	err := w.withProvider(func(ctx context.Context, reattach tfexec.ReattachInfo) error {
		w.tf.SetStdout(&out)
		defer w.tf.SetStdout(nil)
		var err error
		p.Changes, err = w.tf.Plan(ctx, append(opts, tfexec.Reattach(reattach), tfexec.Out("tfplan"))...)
		if err != nil {
			return err
		}
		w.tf.SetStdout(nil) // the plan's output is all Output holds
		p.JSON, err = w.tf.ShowPlanFile(ctx, "tfplan", tfexec.Reattach(reattach))
		if err != nil {
			return err
		}
		p.Shown, err = w.tf.ShowPlanFileRaw(ctx, "tfplan", tfexec.Reattach(reattach))
		return err
	})
	p.Output = out.String()
	if err != nil {
		return nil, fmt.Errorf("terraform plan: %w\n%s", err, p.Output)
	}
	return &p, nil
}

// Apply runs terraform apply on the plan saved by the last Plan.
func (w *Terraform) Apply() error {
	w.t.Helper()
	return w.withProvider(func(ctx context.Context, reattach tfexec.ReattachInfo) error {
		return w.tf.Apply(ctx, tfexec.Reattach(reattach), tfexec.DirOrPlan("tfplan"))
	})
}

// withProvider serves a fresh provider in debug mode while run runs, and
// stops it afterwards: Terraform does not stop a provider it attached to.
func (w *Terraform) withProvider(run func(ctx context.Context, reattach tfexec.ReattachInfo) error) error {
	ctx, cancel := context.WithCancel(w.t.Context())
	// Buffered: if the wait below times out, Serve's send must not block
	// forever.
	configCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	serveErr := make(chan error, 1)
	go func() {
		serveErr <- tf6server.Serve(provider.Address,
			provider.Server("test"),
			tf6server.WithDebug(ctx, configCh, closeCh),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithLoggingSink(w.t),
		)
	}()
	var config *plugin.ReattachConfig
	select {
	case config = <-configCh:
	case err := <-serveErr:
		// Serve failed before serving: closeCh is never closed.
		cancel()
		return fmt.Errorf("serve the provider: stopped before serving (%v)", err)
	case <-time.After(30 * time.Second):
		cancel()
		return errors.New("serve the provider: no reattach configuration after 30s")
	}
	defer func() {
		cancel()
		<-closeCh
	}()
	reattach := tfexec.ReattachInfo{w.address: tfexec.ReattachConfig{
		Protocol:        string(config.Protocol),
		ProtocolVersion: config.ProtocolVersion,
		Pid:             config.Pid,
		Test:            config.Test,
		Addr:            tfexec.ReattachConfigAddr{Network: config.Addr.Network(), String: config.Addr.String()},
	}}
	return run(ctx, reattach)
}

// Run runs terraform with args in the working directory, as Plan and Apply
// do (the same environment, the provider attached), for what tfexec has no
// helper for, such as terraform apply -invoke=action.x.y. It returns what
// Terraform printed on stdout and stderr; err is non-nil when it failed.
func (w *Terraform) Run(args ...string) (stdout, stderr string, err error) {
	w.t.Helper()
	var out, errOut bytes.Buffer
	err = w.withProvider(func(ctx context.Context, reattach tfexec.ReattachInfo) error {
		raw, err := json.Marshal(reattach)
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, w.execPath, args...)
		cmd.Dir = w.Dir
		cmd.Stdout, cmd.Stderr = &out, &errOut
		cmd.Env = make([]string, 0, len(w.env)+1)
		for k, v := range w.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Env = append(cmd.Env, "TF_REATTACH_PROVIDERS="+string(raw))
		return cmd.Run()
	})
	return out.String(), errOut.String(), err
}

// providerAddress is hookd/hookd on the registry host the CLI under test
// uses by default: registry.terraform.io, or TF_ACC_PROVIDER_HOST
// (registry.opentofu.org for OpenTofu).
func providerAddress() string {
	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		return provider.Address
	}
	return host + strings.TrimPrefix(provider.Address, "registry.terraform.io")
}
