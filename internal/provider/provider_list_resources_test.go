package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
)

// What the tests of the list resources share.

// listTest is a TestCase of query steps, on Terraform 1.14+ (list
// resources are new there).
func listTest(t *testing.T, steps ...resource.TestStep) {
	t.Helper()
	for i := range steps {
		steps[i].Query = true
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{acctest.RequireFeature(acctest.ListResources)},
		Steps:                    steps,
	})
}

// ownServer skips a test that counts every object of the server unless
// the server is this test's own (not HOOKD_ENDPOINT, which others share).
func ownServer(t *testing.T, env *acctest.Env) {
	t.Helper()
	if env.Server == nil {
		t.Skip("counts every object of the server: needs the in-process hookd, not HOOKD_ENDPOINT")
	}
}

// queryConfig is a query file: the provider at endpoint, then lists.
func queryConfig(env *acctest.Env, endpoint, lists string) string {
	return fmt.Sprintf(`
provider "hookd" {
  endpoint    = %q
  api_key     = %q
  max_retries = 1
}
%s`, endpoint, env.APIKey, lists)
}

// byID keeps the result whose identity is id.
func byID(id string) queryfilter.QueryFilter {
	return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"id": knownvalue.StringExact(id)})
}

// expectIDs checks the exact set of ids list address found.
func expectIDs(address string, ids ...string) []querycheck.QueryResultCheck {
	checks := []querycheck.QueryResultCheck{querycheck.ExpectLength(address, len(ids))}
	for _, id := range ids {
		checks = append(checks, querycheck.ExpectIdentity(address, map[string]knownvalue.Check{"id": knownvalue.StringExact(id)}))
	}
	return checks
}

func checks(groups ...[]querycheck.QueryResultCheck) []querycheck.QueryResultCheck {
	var out []querycheck.QueryResultCheck
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// noResourceObjects fails when a result has a resource object: without
// include_resource a list returns identities only.
var noResourceObjects = acctest.QueryCheck(func(req querycheck.CheckQueryRequest) error {
	for _, r := range req.Query {
		if r.ResourceObject != nil {
			return fmt.Errorf("%s (%s) has a resource object without include_resource", r.Address, r.DisplayName)
		}
	}
	return nil
})
