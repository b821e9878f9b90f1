package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	t.Setenv("TERRAFORM", "")
	cfg, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.ns, []int{100, 500}) || cfg.parallelism != 10 || cfg.repeat != 3 || !cfg.check ||
		cfg.terraform != "terraform" || cfg.outDir != filepath.Join("bench", "results") {
		t.Errorf("defaults: %+v", cfg)
	}
	t.Setenv("TERRAFORM", "/opt/tf")
	cfg, err = parseFlags([]string{"-n", " 20, 40 ", "-p", "4", "-repeat", "1", "-check=false"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.ns, []int{20, 40}) || cfg.parallelism != 4 || cfg.repeat != 1 || cfg.check || cfg.terraform != "/opt/tf" {
		t.Errorf("flags: %+v", cfg)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "100,x"}, `-n: "x" is not a positive integer`},
		{[]string{"-n", "0"}, `-n: "0" is not a positive integer`},
		{[]string{"-n", ","}, "-n: give at least one count"},
		{[]string{"-p", "0"}, "-p: must be at least 1"},
		{[]string{"-repeat", "0"}, "-repeat: must be at least 1"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-nope"}, "flag provided but not defined"},
	} {
		var out, errOut bytes.Buffer
		if code := run(c.args, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", c.args, code, errOut.String(), exitUsage, c.want)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "-repeat") {
		t.Errorf("-h: %d, %q", code, errOut.String())
	}
}

func TestCLIConfig(t *testing.T) {
	want := `provider_installation {
  dev_overrides {
    "hookd/hookd" = "/tmp/x/providers"
  }
  direct {}
}
`
	if got := cliConfig("/tmp/x/providers"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestStateResources(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "terraform.tfstate")
	if n, err := stateResources(path); err != nil || n != 0 {
		t.Errorf("no state file: %d, %v", n, err)
	}
	state := `{"version":4,"resources":[{"type":"terraform_data","name":"w0000","instances":[{}]},{"type":"terraform_data","name":"w0001","instances":[{},{}]}]}`
	if err := os.WriteFile(path, []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := stateResources(path); err != nil || n != 3 {
		t.Errorf("got %d, %v; want 3", n, err)
	}
	if err := os.WriteFile(path, []byte(`{"version":4,"resources":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := stateResources(path); err != nil || n != 0 {
		t.Errorf("empty state: %d, %v", n, err)
	}
}
