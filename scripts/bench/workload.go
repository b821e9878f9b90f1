package main

import (
	"fmt"
	"strings"
)

// kind is what a working directory holds: the provider's resources or the
// floor's.
type kind string

const (
	kindProvider kind = "provider" // N hookd_account_webhook
	kindFloor    kind = "floor"    // N terraform_data with the same values
)

var kinds = []kind{kindProvider, kindFloor}

// phase is one measured Terraform command.
type phase string

const (
	phaseApply   phase = "apply"   // terraform apply from empty: N creates
	phasePlan    phase = "plan"    // terraform plan -detailed-exitcode right after: no change
	phaseUpdate  phase = "update"  // terraform apply of a new description on every resource: N in-place updates
	phaseDestroy phase = "destroy" // terraform destroy: N deletes
)

var phases = []phase{phaseApply, phasePlan, phaseUpdate, phaseDestroy}

// revision of the configuration each phase runs with: the update phase
// changes every resource's description.
func (p phase) revision() int {
	if p == phaseUpdate || p == phaseDestroy {
		return 2
	}
	return 1
}

// terraformArgs are the phase's command line.
func (p phase) terraformArgs(parallelism int) []string {
	par := fmt.Sprintf("-parallelism=%d", parallelism)
	switch p {
	case phasePlan:
		return []string{"plan", "-detailed-exitcode", "-input=false", "-no-color", par}
	case phaseDestroy:
		return []string{"destroy", "-auto-approve", "-input=false", "-no-color", par}
	default:
		return []string{"apply", "-auto-approve", "-input=false", "-no-color", par}
	}
}

// summary is the line Terraform ends a successful phase with, "" for a plan
// (its exit status says it all).
func (p phase) summary(n int) string {
	switch p {
	case phaseApply:
		return fmt.Sprintf("Apply complete! Resources: %d added, 0 changed, 0 destroyed.", n)
	case phaseUpdate:
		return fmt.Sprintf("Apply complete! Resources: 0 added, %d changed, 0 destroyed.", n)
	case phaseDestroy:
		return fmt.Sprintf("Destroy complete! Resources: %d destroyed.", n)
	}
	return ""
}

// webhookValues are what resource i holds, in both kinds.
type webhookValues struct {
	address, name, description, url string
}

func values(i, rev int, receiverURL string) webhookValues {
	return webhookValues{
		address:     fmt.Sprintf("w%04d", i),
		name:        fmt.Sprintf("bench-%04d", i),
		description: fmt.Sprintf("make bench, revision %d", rev),
		url:         fmt.Sprintf("%s/hooks/%04d", receiverURL, i),
	}
}

// configuration is main.tf of a working directory: n resources of the
// kind at revision rev. The provider's endpoint and API key come from
// HOOKD_ENDPOINT and HOOKD_API_KEY.
func configuration(k kind, n, rev int, receiverURL string) string {
	var b strings.Builder
	if k == kindProvider {
		b.WriteString(`terraform {
  required_providers {
    hookd = {
      source = "hookd/hookd"
    }
  }
}

provider "hookd" {}
`)
	}
	for i := range n {
		v := values(i, rev, receiverURL)
		switch k {
		case kindProvider:
			fmt.Fprintf(&b, `
resource "hookd_account_webhook" %q {
  name        = %q
  description = %q
  url         = %q
  events      = ["transfer.created"]
}
`, v.address, v.name, v.description, v.url)
		case kindFloor:
			fmt.Fprintf(&b, `
resource "terraform_data" %q {
  input = {
    name        = %q
    description = %q
    url         = %q
    events      = ["transfer.created"]
  }
}
`, v.address, v.name, v.description, v.url)
		}
	}
	return b.String()
}
