package main

import (
	"bytes"
	"os"
	"os/exec"
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
	if !slices.Equal(cfg.ns, []int{20, 40}) || cfg.parallelism != 4 || cfg.repeat != 1 || cfg.check || cfg.terraform != "/opt/tf" || cfg.gc.set() {
		t.Errorf("flags: %+v", cfg)
	}
	cfg, err = parseFlags([]string{"-gogc", "off", "-gomemlimit", "64MiB"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.gc != (gcSettings{GOGC: "off", GOMemLimit: "64MiB"}) {
		t.Errorf("GC flags: %+v", cfg.gc)
	}
}

// With GC settings, Terraform runs the provider through a script that sets
// them for the provider alone and execs the real binary with its
// arguments; without, straight from the binary's directory.
func TestProviderInstallDir(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "terraform-provider-hookd")
	// A stand-in for the provider: it says what it got.
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho \"GOGC=$GOGC GOMEMLIMIT=$GOMEMLIMIT args=$*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if dir, err := providerInstallDir(bin, gcSettings{}, filepath.Join(t.TempDir(), "gc")); err != nil || dir != filepath.Dir(bin) {
		t.Errorf("no GC settings: %q, %v; want the binary's directory", dir, err)
	}
	for _, tc := range []struct {
		gc   gcSettings
		want string
	}{
		{gcSettings{GOGC: "200", GOMemLimit: "64MiB"}, "GOGC=200 GOMEMLIMIT=64MiB args=-debug x"},
		{gcSettings{GOGC: "off"}, "GOGC=off GOMEMLIMIT= args=-debug x"},
		{gcSettings{GOMemLimit: "1GiB"}, "GOGC= GOMEMLIMIT=1GiB args=-debug x"},
	} {
		dir, err := providerInstallDir(bin, tc.gc, filepath.Join(t.TempDir(), "gc"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(dir, "terraform-provider-hookd"), "-debug", "x")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.Output()
		if err != nil || strings.TrimSpace(string(out)) != tc.want {
			t.Errorf("%+v: %q, %v; want %q", tc.gc, out, err, tc.want)
		}
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
		{[]string{"-gogc", "-1"}, `-gogc: "-1" is not a percentage`},
		{[]string{"-gogc", "100; rm -rf /"}, `-gogc: "100; rm -rf /" is not a percentage`},
		{[]string{"-gomemlimit", "48M"}, `-gomemlimit: "48M" is not a size`},
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
