package acctest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

const testSecret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func TestSigningSecretShape(t *testing.T) {
	if !SigningSecretShape.MatchString(`{"v":"` + testSecret + `"}`) {
		t.Errorf("SigningSecretShape does not find %s", testSecret)
	}
	if SigningSecretShape.MatchString(`"whsec_short"`) {
		t.Error("SigningSecretShape finds a string too short to be a secret")
	}
}

// The echo provider's objects are left out, wherever they are; the rest
// stays as it was.
func TestWithoutEcho(t *testing.T) {
	doc := map[string]any{
		"resource_changes": []any{
			map[string]any{"address": "echo.run1", "change": map[string]any{"after": testSecret}},
			map[string]any{"address": "hookd_account_webhook.test", "change": map[string]any{"after": "kept"}},
		},
		"prior_state": map[string]any{"echo": map[string]any{"address": "echo.run2"}},
	}
	got, err := json.Marshal(WithoutEcho(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"prior_state":{},"resource_changes":[{"address":"hookd_account_webhook.test","change":{"after":"kept"}}]}`
	if string(got) != want {
		t.Errorf("WithoutEcho = %s, want %s", got, want)
	}
}

func TestAbsentFromHookdState(t *testing.T) {
	// A state as plugin-testing builds it from `terraform show -json`: one
	// root module.
	stateOf := func(resources map[string]*terraform.ResourceState) *terraform.State {
		return &terraform.State{Modules: []*terraform.ModuleState{{Path: []string{"root"}, Resources: resources}}}
	}
	state := func(addr, value string) *terraform.State {
		return stateOf(map[string]*terraform.ResourceState{
			addr:               {Primary: &terraform.InstanceState{Attributes: map[string]string{"data.secret": value}}},
			"hookd_group.test": {Primary: &terraform.InstanceState{Attributes: map[string]string{"name": "payments"}}},
		})
	}
	if err := AbsentFromHookdState(state("echo.run1", testSecret), testSecret); err != nil {
		t.Errorf("a value held by echo: %v, want nil", err)
	}
	err := AbsentFromHookdState(state("hookd_account_webhook.test", "prefix "+testSecret), testSecret)
	if err == nil || !strings.Contains(err.Error(), "hookd_account_webhook.test.data.secret") || strings.Contains(err.Error(), testSecret) {
		t.Errorf("a value held by a hookd resource: %v, want an error naming the attribute, not the value", err)
	}
	if err := AbsentFromHookdState(stateOf(nil), testSecret); err == nil {
		t.Error("a state without hookd resources passed: the check would prove nothing")
	}
}

func TestNoSigningSecretInPlan(t *testing.T) {
	check := func(plan *tfjson.Plan, known ...string) error {
		var resp plancheck.CheckPlanResponse
		NoSigningSecretInPlan("hookd_account_webhook.test", func() []string { return known }).
			CheckPlan(context.Background(), plancheck.CheckPlanRequest{Plan: plan}, &resp)
		return resp.Error
	}
	plan := func(addr string, after any) *tfjson.Plan {
		return &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			{Address: "hookd_account_webhook.test", Change: &tfjson.Change{After: map[string]any{"name": "x"}}},
			{Address: addr, Change: &tfjson.Change{After: after}},
		}}
	}
	if err := check(plan("echo.run1", testSecret)); err != nil {
		t.Errorf("a secret in echo: %v, want nil", err)
	}
	if err := check(plan("hookd_group.test", testSecret)); err == nil || strings.Contains(err.Error(), testSecret) {
		t.Errorf("a secret-shaped value in a hookd resource: %v, want an error without the value", err)
	}
	known := "a known secret of any shape"
	if err := check(plan("hookd_group.test", known), known); err == nil {
		t.Error("a known value in a hookd resource passed")
	}
	if err := check(&tfjson.Plan{}); err == nil {
		t.Error("a plan without hookd_account_webhook.test passed: the check would prove nothing")
	}
}
