package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestConfiguration(t *testing.T) {
	const rcv = "http://127.0.0.1:9"
	p1 := configuration(kindProvider, 3, 1, rcv)
	for _, want := range []string{
		`provider "hookd" {}`,
		`resource "hookd_account_webhook" "w0000" {
  name        = "bench-0000"
  description = "make bench, revision 1"
  url         = "http://127.0.0.1:9/hooks/0000"
  events      = ["transfer.created"]
}`,
		`resource "hookd_account_webhook" "w0002" {`,
	} {
		if !strings.Contains(p1, want) {
			t.Errorf("the provider's configuration lacks %q:\n%s", want, p1)
		}
	}
	if n := strings.Count(p1, `resource "hookd_account_webhook"`); n != 3 {
		t.Errorf("%d resources, want 3", n)
	}
	names := regexp.MustCompile(`name += "([^"]+)"`).FindAllStringSubmatch(p1, -1)
	seen := map[string]bool{}
	for _, m := range names {
		if seen[m[1]] {
			t.Errorf("name %q twice", m[1])
		}
		seen[m[1]] = true
	}

	f1 := configuration(kindFloor, 3, 1, rcv)
	if strings.Contains(f1, "hookd_account_webhook") || strings.Contains(f1, `provider "hookd"`) {
		t.Errorf("the floor names hookd:\n%s", f1)
	}
	if !strings.Contains(f1, `resource "terraform_data" "w0001" {
  input = {
    name        = "bench-0001"
    description = "make bench, revision 1"
    url         = "http://127.0.0.1:9/hooks/0001"
    events      = ["transfer.created"]
  }
}`) {
		t.Errorf("unexpected floor:\n%s", f1)
	}

	// The update changes the description of every resource and nothing
	// else.
	p2 := configuration(kindProvider, 3, 2, rcv)
	if got := strings.ReplaceAll(p2, "revision 2", "revision 1"); got != p1 || strings.Count(p2, "revision 2") != 3 {
		t.Errorf("revision 2 is not revision 1 with every description changed:\n%s", p2)
	}
}

func TestPhases(t *testing.T) {
	for _, c := range []struct {
		ph      phase
		args    string
		rev     int
		summary string
	}{
		{phaseApply, "apply -auto-approve -input=false -no-color -parallelism=7", 1, "Apply complete! Resources: 5 added, 0 changed, 0 destroyed."},
		{phasePlan, "plan -detailed-exitcode -input=false -no-color -parallelism=7", 1, ""},
		{phaseUpdate, "apply -auto-approve -input=false -no-color -parallelism=7", 2, "Apply complete! Resources: 0 added, 5 changed, 0 destroyed."},
		{phaseDestroy, "destroy -auto-approve -input=false -no-color -parallelism=7", 2, "Destroy complete! Resources: 5 destroyed."},
	} {
		if got := strings.Join(c.ph.terraformArgs(7), " "); got != c.args {
			t.Errorf("%s: args %q, want %q", c.ph, got, c.args)
		}
		if got := c.ph.revision(); got != c.rev {
			t.Errorf("%s: revision %d, want %d", c.ph, got, c.rev)
		}
		if got := c.ph.summary(5); got != c.summary {
			t.Errorf("%s: summary %q, want %q", c.ph, got, c.summary)
		}
	}
}
