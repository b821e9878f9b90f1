package provider_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/provider"
)

// diagnosticRE matches a diagnostic's text exactly, wherever Terraform
// wraps its lines.
func diagnosticRE(text string) *regexp.Regexp {
	return regexp.MustCompile(strings.Join(strings.Fields(regexp.QuoteMeta(text)), `\s+`))
}

// typeSet is a knownvalue check of a set of strings.
func typeSet(names ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(names))
	for i, n := range names {
		checks[i] = knownvalue.StringExact(n)
	}
	return knownvalue.SetExact(checks)
}

func TestAccEventCatalogDataSource_filters(t *testing.T) {
	env := acctest.Start(t)
	first := catalog.Default().Types()[0]
	var schema bytes.Buffer
	if err := json.Compact(&schema, first.Schema); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.Config(`
data "hookd_event_catalog" "all" {}

data "hookd_event_catalog" "api_key" {
  category = "api_key"
}

data "hookd_event_catalog" "beta" {
  stability = "beta"
}

data "hookd_event_catalog" "transfer_beta" {
  category           = "transfer"
  stability          = "beta"
  include_deprecated = true
}

output "has_transfer_created" {
  value = contains(data.hookd_event_catalog.all.types, "transfer.created")
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.hookd_event_catalog.all", tfjsonpath.New("id"), knownvalue.StringExact("catalog")),
					statecheck.ExpectKnownValue("data.hookd_event_catalog.all", tfjsonpath.New("events"), knownvalue.ListSizeExact(31)),
					statecheck.ExpectKnownValue("data.hookd_event_catalog.all", tfjsonpath.New("types"), knownvalue.SetSizeExact(31)),
					statecheck.ExpectKnownValue("data.hookd_event_catalog.all", tfjsonpath.New("events").AtSliceIndex(0), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"type":        knownvalue.StringExact(first.Type),
						"category":    knownvalue.StringExact(first.Category),
						"description": knownvalue.StringExact(first.Description),
						"stability":   knownvalue.StringExact("stable"),
						"deprecated":  knownvalue.Bool(false),
						"schema":      knownvalue.StringExact(schema.String()),
						"example":     knownvalue.StringExact(string(first.Example)),
					})),
					statecheck.ExpectKnownOutputValue("has_transfer_created", knownvalue.Bool(true)),

					statecheck.ExpectKnownValue("data.hookd_event_catalog.api_key", tfjsonpath.New("types"),
						typeSet("api_key.created", "api_key.revoked", "api_key.rotated", "api_key.expired", "api_key.suspicious_usage")),
					statecheck.ExpectKnownValue("data.hookd_event_catalog.api_key", tfjsonpath.New("events"), knownvalue.ListSizeExact(5)),

					statecheck.ExpectKnownValue("data.hookd_event_catalog.beta", tfjsonpath.New("types"),
						typeSet("transfer.preview_opened", "api_key.suspicious_usage")),
					statecheck.ExpectKnownValue("data.hookd_event_catalog.beta", tfjsonpath.New("events"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"type": knownvalue.StringExact("transfer.preview_opened"), "stability": knownvalue.StringExact("beta")}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"type": knownvalue.StringExact("api_key.suspicious_usage"), "stability": knownvalue.StringExact("beta")}),
					})),

					statecheck.ExpectKnownValue("data.hookd_event_catalog.transfer_beta", tfjsonpath.New("types"), typeSet("transfer.preview_opened")),
				},
			},
			{
				// A category the catalog lacks warns and matches nothing.
				Config: env.Config(`
data "hookd_event_catalog" "typo" {
  category = "transfers"
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.hookd_event_catalog.typo", tfjsonpath.New("events"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue("data.hookd_event_catalog.typo", tfjsonpath.New("types"), knownvalue.SetSizeExact(0)),
				},
			},
		},
	})
}

func TestAccEventCatalogDataSource_invalidStability(t *testing.T) {
	env := acctest.Start(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.Config(`
data "hookd_event_catalog" "test" {
  stability = "alpha"
}
`),
			ExpectError: diagnosticRE(`stability must be "stable" or "beta", got "alpha"; leave it out for event types of every stability.`),
		}},
	})
}

// Deprecated types are left out unless asked for. The built-in catalog has
// none, so this test serves its own catalog (in-process hookd only).
func TestAccEventCatalogDataSource_deprecated(t *testing.T) {
	acctest.PreCheck(t)
	if os.Getenv(provider.EnvEndpoint) != "" && os.Getenv(provider.EnvAPIKey) != "" {
		t.Skip("needs a catalog of its own, so an in-process hookd")
	}
	types := catalog.Default().Types()
	custom := []catalog.EventType{types[0], types[1]}
	custom[1].Deprecated = true
	raw, err := json.Marshal(map[string]any{"data": custom})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "catalog.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := hookdtest.Start(t, hookdtest.WithConfig(func(c *server.Config) { c.CatalogPath = file }))
	t.Cleanup(client.CloseIdleConnections) // before the server stops
	env := &acctest.Env{Endpoint: srv.URL, APIKey: srv.APIKey}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.Config(`
data "hookd_event_catalog" "default" {}

data "hookd_event_catalog" "without" {
  include_deprecated = false
}

data "hookd_event_catalog" "with" {
  include_deprecated = true
}
`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.hookd_event_catalog.default", tfjsonpath.New("types"), typeSet(custom[0].Type)),
				statecheck.ExpectKnownValue("data.hookd_event_catalog.without", tfjsonpath.New("types"), typeSet(custom[0].Type)),
				statecheck.ExpectKnownValue("data.hookd_event_catalog.with", tfjsonpath.New("types"), typeSet(custom[0].Type, custom[1].Type)),
				statecheck.ExpectKnownValue("data.hookd_event_catalog.with", tfjsonpath.New("events").AtSliceIndex(1).AtMapKey("deprecated"), knownvalue.Bool(true)),
			},
		}},
	})
}
