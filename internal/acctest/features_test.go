package acctest

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

func TestRequiredFeatures(t *testing.T) {
	all := []string{"action_caller", "action_destroy_events", "action_on_failure", "actions", "ephemeral", "identity", "list_resources", "write_only"}
	for _, tc := range []struct {
		value string
		want  []string
	}{
		{"", nil},
		{" ", nil},
		{"all", all},
		{"ALL", all},
		{"actions", []string{"actions"}},
		{" ephemeral , identity,,list_resources ", []string{"ephemeral", "identity", "list_resources"}},
		{"actions,all", all},
	} {
		got, err := RequiredFeatures(tc.value)
		if err != nil {
			t.Errorf("%q: %v", tc.value, err)
			continue
		}
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, tc.want) {
			t.Errorf("%q requires %v, want %v", tc.value, keys, tc.want)
		}
	}
	// A misspelt key would require nothing: it is an error that names the
	// keys there are.
	for _, value := range []string{"action", "actions,identities", "yes"} {
		_, err := RequiredFeatures(value)
		if err == nil || !strings.Contains(err.Error(), "known: all, ephemeral, write_only, identity, actions, list_resources, action_on_failure, action_destroy_events, action_caller") {
			t.Errorf("%q: %v, want an error listing the known keys", value, err)
		}
	}
	// Every feature has a key, and no two the same.
	seen := map[string]bool{}
	for _, f := range Features {
		if f.Key == "" || seen[f.Key] {
			t.Errorf("feature %q has key %q (empty or taken)", f.Name, f.Key)
		}
		seen[f.Key] = true
	}
}

// A CLI that does not know a feature's syntax skips the test, unless
// HOOKD_ACC_REQUIRE_FEATURES names the feature: then the test fails, with
// what the CLI answered.
func TestRequireFeature_skipOrFail(t *testing.T) {
	cli := filepath.Join(t.TempDir(), "terraform")
	script := "#!/bin/sh\necho 'Error: Unsupported block type'\necho 'Blocks of type \"action\" are not expected here.'\nexit 1\n"
	if err := os.WriteFile(cli, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvTerraformPath, cli)
	check := func() tfversion.CheckTerraformVersionResponse {
		var resp tfversion.CheckTerraformVersionResponse
		RequireFeature(Actions).CheckTerraformVersion(context.Background(),
			tfversion.CheckTerraformVersionRequest{TerraformVersion: tfversion.Version1_15_0}, &resp)
		return resp
	}

	for _, value := range []string{"", "identity,ephemeral"} {
		t.Setenv(EnvRequireFeatures, value)
		resp := check()
		if resp.Error != nil || resp.Skip != "terraform (version 1.15.0) does not support actions" {
			t.Errorf("%s=%q: skip %q, error %v; want a skip", EnvRequireFeatures, value, resp.Skip, resp.Error)
		}
	}
	for _, value := range []string{"actions", "all"} {
		t.Setenv(EnvRequireFeatures, value)
		resp := check()
		if resp.Skip != "" || resp.Error == nil {
			t.Fatalf("%s=%q: skip %q, error %v; want an error", EnvRequireFeatures, value, resp.Skip, resp.Error)
		}
		for _, want := range []string{
			"terraform (version 1.15.0) does not support actions, which HOOKD_ACC_REQUIRE_FEATURES=" + value + " requires",
			`action "terraform_data" "x" {}`,
			`Blocks of type "action" are not expected here.`,
		} {
			if !strings.Contains(resp.Error.Error(), want) {
				t.Errorf("%s=%q: the error lacks %q:\n%v", EnvRequireFeatures, value, want, resp.Error)
			}
		}
	}
	t.Setenv(EnvRequireFeatures, "action")
	if resp := check(); resp.Error == nil || !strings.Contains(resp.Error.Error(), `unknown feature "action"`) {
		t.Errorf("a misspelt key: skip %q, error %v; want an error", resp.Skip, resp.Error)
	}

	// A CLI that knows the syntax passes, required or not.
	t.Setenv(EnvRequireFeatures, "all")
	ok := filepath.Join(t.TempDir(), "terraform")
	if err := os.WriteFile(ok, []byte("#!/bin/sh\necho 'Success! The configuration is valid.'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvTerraformPath, ok)
	if resp := check(); resp.Skip != "" || resp.Error != nil {
		t.Errorf("a CLI with the feature: skip %q, error %v", resp.Skip, resp.Error)
	}
}

// The write-only probe serves this provider to the CLI (init, then
// validate, with TF_REATTACH_PROVIDERS) and reads a refused write-only
// value as the feature missing.
func TestWriteOnlyProbe(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		ok           bool
	}{
		{"framework", "Error: WriteOnly Attribute Not Allowed", false},
		{"terraform", "Error: Invalid use of ephemeral value", false},
		{"no ephemeral variables", "Error: Unsupported argument", false},
		{"valid", "Success! The configuration is valid.", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			calls := filepath.Join(dir, "calls")
			cli := filepath.Join(dir, "terraform")
			script := "#!/bin/sh\n" +
				"echo \"$1 reattach=$(test -n \"$TF_REATTACH_PROVIDERS\" && echo yes || echo no)\" >>" + calls + "\n" +
				"[ \"$1\" = validate ] && echo '" + tc.answer + "'\n" +
				"exit 0\n"
			if err := os.WriteFile(cli, []byte(script), 0o700); err != nil {
				t.Fatal(err)
			}
			ok, err := Supports(cli, WriteOnly)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.ok {
				t.Errorf("Supports() = %v after %q, want %v", ok, tc.answer, tc.ok)
			}
			b, err := os.ReadFile(calls)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(b), "init reattach=yes\nvalidate reattach=yes\n"; got != want {
				t.Errorf("the CLI was run as\n%swant\n%s", got, want)
			}
		})
	}
}

// On the real CLI under test (TF_ACC), the probes that serve this provider
// (write-only arguments, caller) are real validations of its
// configuration: where the CLI has the feature, it says the configuration
// is valid (a probe that failed for another reason, say an init that found
// no provider, would otherwise count as the feature being there).
func TestProviderProbes_cliUnderTest(t *testing.T) {
	PreCheck(t)
	path, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Feature{WriteOnly, ActionCaller} {
		t.Run(f.Key, func(t *testing.T) {
			r, err := probe(path, f)
			if err != nil {
				t.Fatal(err)
			}
			if !r.ok {
				t.Skipf("%s lacks %s; it answered:\n%s", path, f.Name, r.out)
			}
			if !strings.Contains(r.out, "The configuration is valid") {
				t.Errorf("%s: the %s probe did not validate; it answered:\n%s", path, f.Name, r.out)
			}
		})
	}
}

// Terraform 1.14 and 1.15 have actions but no caller: they answer the
// caller probe that the resource "caller" is not declared, and lack the
// feature.
func TestActionCallerProbe(t *testing.T) {
	for answer, want := range map[string]bool{
		"Error: Reference to undeclared resource": false,
		"Error: Unsupported block type":           false,
		"Success! The configuration is valid.":    true,
	} {
		cli := filepath.Join(t.TempDir(), "terraform")
		if err := os.WriteFile(cli, []byte("#!/bin/sh\n[ \"$1\" = validate ] && echo '"+answer+"'\nexit 0\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		if ok, err := Supports(cli, ActionCaller); err != nil || ok != want {
			t.Errorf("Supports() = %v, %v after %q, want %v", ok, err, answer, want)
		}
	}
}
