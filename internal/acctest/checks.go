package acctest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
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

// SigningSecretShape matches a signing secret anywhere in a text: whsec_
// and the standard base64 of 24 bytes or more. It finds a secret no test
// can know, such as the one an ephemeral resource made for a plan.
var SigningSecretShape = regexp.MustCompile(`whsec_[A-Za-z0-9+/]{32,}={0,2}`)

// NoSigningSecretInPlan fails when the plan, as `terraform show -json`
// renders the saved plan, holds a signing secret anywhere but in the echo
// provider's resources (which copy an ephemeral value on purpose; see
// WithoutEcho): one of known (secrets from earlier runs, checked with
// Absent) or anything SigningSecretShape matches. The plan must mention
// address, or the check would prove nothing.
func NoSigningSecretInPlan(address string, known func() []string) plancheck.PlanCheck {
	return noSigningSecretInPlan{address: address, known: known}
}

type noSigningSecretInPlan struct {
	address string
	known   func() []string
}

func (c noSigningSecretInPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	raw, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
		return
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		resp.Error = err
		return
	}
	text, err := json.Marshal(WithoutEcho(doc))
	if err != nil {
		resp.Error = err
		return
	}
	if !strings.Contains(string(text), strconv.Quote(c.address)) {
		resp.Error = fmt.Errorf("the plan does not mention %s (%d bytes): the check would prove nothing", c.address, len(text))
		return
	}
	if known := c.known(); len(known) > 0 {
		if resp.Error = Absent("plan", string(text), known...); resp.Error != nil {
			return
		}
	}
	if loc := SigningSecretShape.FindIndex(text); loc != nil {
		resp.Error = fmt.Errorf("the plan holds a signing secret (%d characters at byte %d; not shown)", loc[1]-loc[0], loc[0])
	}
}

// WithoutEcho is v, a plan or state as decoded JSON, without the objects
// of the echo provider's resources (those whose address starts with
// "echo."), which hold ephemeral values on purpose.
func WithoutEcho(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if isEcho(e) {
				continue
			}
			out[k] = WithoutEcho(e)
		}
		return out
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			if !isEcho(e) {
				out = append(out, WithoutEcho(e))
			}
		}
		return out
	}
	return v
}

func isEcho(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	addr, _ := m["address"].(string)
	return strings.HasPrefix(addr, "echo.")
}

// AbsentFromHookdState fails when any attribute of a hookd_ resource in s
// holds one of values (Absent of each attribute's value); other providers'
// resources, such as echo's, are not searched.
func AbsentFromHookdState(s *terraform.State, values ...string) error {
	searched := 0
	for addr, r := range s.RootModule().Resources {
		if !strings.HasPrefix(addr, "hookd_") || r.Primary == nil {
			continue
		}
		searched++
		for k, v := range r.Primary.Attributes {
			if err := Absent(addr+"."+k, v, values...); err != nil {
				return err
			}
		}
	}
	if searched == 0 {
		return fmt.Errorf("the state has no hookd_ resource: nothing to search")
	}
	return nil
}
