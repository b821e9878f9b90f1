package acctest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// StateDoesNotContain fails when the state, as `terraform show -json`
// renders it, holds any of values anywhere (a write-only or ephemeral
// value that leaked). It refuses values too short to prove anything.
func StateDoesNotContain(values ...string) statecheck.StateCheck {
	return absentCheck{values: values}
}

// PlanDoesNotContain is StateDoesNotContain for the plan (`terraform show
// -json` of the saved plan: planned values, prior state, configuration).
func PlanDoesNotContain(values ...string) plancheck.PlanCheck {
	return absentCheck{values: values}
}

type absentCheck struct{ values []string }

func (c absentCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c.check("state", req.State)
}

func (c absentCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = c.check("plan", req.Plan)
}

func (c absentCheck) check(what string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(raw) < 100 {
		return fmt.Errorf("the %s is %d bytes of JSON: nothing to search", what, len(raw))
	}
	return Absent(what, string(raw), c.values...)
}

// Absent fails when text (a state file, a plan, a log) holds any of values.
// Values shorter than 16 characters are refused: absence of a short string
// proves nothing.
func Absent(what, text string, values ...string) error {
	if len(values) == 0 {
		return fmt.Errorf("no values to look for in the %s", what)
	}
	for i, v := range values {
		if len(v) < 16 {
			return fmt.Errorf("value %d is %d characters: too short to look for", i+1, len(v))
		}
		if strings.Contains(text, v) {
			return fmt.Errorf("the %s holds value %d (a write-only or ephemeral value leaked)", what, i+1)
		}
	}
	return nil
}
