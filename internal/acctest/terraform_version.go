package acctest

import (
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// VersionChecks runs checks such as tfversion.SkipBelow against the
// Terraform of w, as resource.TestCase's TerraformVersionChecks do: the
// test is skipped, or fails, as the first check that says so decides.
func (w *Terraform) VersionChecks(checks ...tfversion.TerraformVersionCheck) {
	w.t.Helper()
	have, _, err := w.tf.Version(w.t.Context(), true)
	if err != nil {
		w.t.Fatalf("terraform version: %v", err)
	}
	for _, check := range checks {
		var resp tfversion.CheckTerraformVersionResponse
		check.CheckTerraformVersion(w.t.Context(), tfversion.CheckTerraformVersionRequest{TerraformVersion: have}, &resp)
		if resp.Error != nil {
			w.t.Fatal(resp.Error)
		}
		if resp.Skip != "" {
			w.t.Skip(resp.Skip)
		}
	}
}
