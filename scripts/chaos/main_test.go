package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerdict(t *testing.T) {
	good := result{Name: "crash", N: 3, Crash: true, Kills: []int{1}, WantKills: 1, OnServer: 3, InState: 3}
	if v := good.verdict(); v != "" {
		t.Fatalf("a clean run: %q", v)
	}
	for _, tc := range []struct {
		name string
		edit func(*result)
		want string
	}{
		{"plan not empty", func(r *result) { r.PlanExit = 2 }, "exited 2"},
		{"duplicate", func(r *result) { r.OnServer, r.Duplicates, r.Orphans = 4, 1, 1 }, "4 webhooks on hookd"},
		{"orphan after destroy", func(r *result) { r.LeftAfterDestroy = 1 }, "1 webhooks left"},
		{"missing", func(r *result) { r.Missing = 1 }, "1 missing"},
		{"never killed", func(r *result) { r.Kills = nil }, "killed 0 times"},
		{"apply failed", func(r *result) { r.ApplyExit = 1 }, "apply exited 1"},
	} {
		r := good
		tc.edit(&r)
		if v := r.verdict(); !strings.Contains(v, tc.want) || r.ok() {
			t.Errorf("%s: verdict %q, want it to say %q", tc.name, v, tc.want)
		}
	}
}

func TestConfigurationAndState(t *testing.T) {
	cfg := configuration("faults", 2, 8)
	for _, want := range []string{`max_retries = 8`, `resource "hookd_account_webhook" "w000"`, `name   = "faults-001"`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("configuration lacks %q:\n%s", want, cfg)
		}
	}
	// By default the provider's own max_retries is the one tested.
	if cfg := configuration("faults", 1, -1); strings.Contains(cfg, "max_retries") || !strings.Contains(cfg, "provider \"hookd\" {\n}\n") {
		t.Errorf("configuration without max_retries:\n%s", cfg)
	}
	path := filepath.Join(t.TempDir(), "terraform.tfstate")
	state := `{"resources":[
		{"type":"hookd_account_webhook","instances":[{"attributes":{"id":"wh_1"}},{"attributes":{"id":"wh_2"}}]},
		{"type":"terraform_data","instances":[{"attributes":{"id":"x"}}]}]}`
	if err := os.WriteFile(path, []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}
	ids, err := stateIDs(path)
	if err != nil || len(ids) != 2 || !ids["wh_1"] || !ids["wh_2"] {
		t.Fatalf("stateIDs = %v, %v", ids, err)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "0"}, {"-rate", "1.5"}, {"-p", "0"}, {"extra"}, {"-kinds", "500,teapot"}, {"-kills", "0"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if c, err := parseFlags([]string{"-kinds", "500, drop-after"}, io.Discard); err != nil || len(c.kinds) != 2 || c.kinds[1] != "drop-after" {
		t.Errorf("-kinds: %+v, %v", c, err)
	}
	c, err := parseFlags(nil, io.Discard)
	if err != nil || c.n != 200 || c.rate != 0.2 || c.seed == 0 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
}
