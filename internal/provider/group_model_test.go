package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

func TestGroupFromAPI(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
	updated := created.Add(time.Hour)
	tests := map[string]struct {
		api  client.Group
		want groupModel
	}{
		"with description": {
			api: client.Group{ID: "grp_1", Name: "payments", Description: new("Payment events"), CreatedAt: created, UpdatedAt: updated},
			want: groupModel{
				ID: types.StringValue("grp_1"), Name: types.StringValue("payments"), Description: types.StringValue("Payment events"),
				CreatedAt: types.StringValue("2026-03-01T12:00:00.123456Z"), UpdatedAt: types.StringValue("2026-03-01T13:00:00.123456Z"),
			},
		},
		"without description, non-UTC times": {
			api: client.Group{ID: "grp_2", Name: "ops", CreatedAt: created.In(time.FixedZone("CET", 3600)), UpdatedAt: created},
			want: groupModel{
				ID: types.StringValue("grp_2"), Name: types.StringValue("ops"), Description: types.StringNull(),
				CreatedAt: types.StringValue("2026-03-01T12:00:00.123456Z"), UpdatedAt: types.StringValue("2026-03-01T12:00:00.123456Z"),
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := groupFromAPI(&tt.api); got != tt.want {
				t.Errorf("groupFromAPI() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestGroupCreateRequest(t *testing.T) {
	tests := map[string]struct {
		model groupModel
		want  string
	}{
		"name only": {
			model: groupModel{Name: types.StringValue("ops"), Description: types.StringNull()},
			want:  `{"name":"ops"}`,
		},
		"name and description": {
			model: groupModel{Name: types.StringValue("ops"), Description: types.StringValue("On call")},
			want:  `{"name":"ops","description":"On call"}`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := groupRequestJSON(t, tt.model.createRequest()); got != tt.want {
				t.Errorf("createRequest() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestGroupUpdateRequest(t *testing.T) {
	state := groupModel{
		ID: types.StringValue("grp_1"), Name: types.StringValue("ops"), Description: types.StringValue("On call"),
		CreatedAt: types.StringValue("2026-03-01T12:00:00Z"), UpdatedAt: types.StringValue("2026-03-01T12:00:00Z"),
	}
	with := func(edit func(*groupModel)) groupModel {
		m := state
		m.UpdatedAt = types.StringUnknown() // as planned: it changes
		edit(&m)
		return m
	}
	tests := map[string]struct {
		plan        groupModel
		state       groupModel
		want        string
		wantChanged bool
	}{
		"nothing changed": {
			plan: with(func(*groupModel) {}), state: state,
			want: `{}`,
		},
		"rename": {
			plan: with(func(m *groupModel) { m.Name = types.StringValue("operations") }), state: state,
			want: `{"name":"operations"}`, wantChanged: true,
		},
		"new description": {
			plan: with(func(m *groupModel) { m.Description = types.StringValue("Paging") }), state: state,
			want: `{"description":"Paging"}`, wantChanged: true,
		},
		"description removed is sent as null": {
			plan: with(func(m *groupModel) { m.Description = types.StringNull() }), state: state,
			want: `{"description":null}`, wantChanged: true,
		},
		"description added": {
			plan:  with(func(m *groupModel) {}),
			state: func() groupModel { s := state; s.Description = types.StringNull(); return s }(),
			want:  `{"description":"On call"}`, wantChanged: true,
		},
		"both": {
			plan: with(func(m *groupModel) {
				m.Name = types.StringValue("operations")
				m.Description = types.StringNull()
			}), state: state,
			want: `{"name":"operations","description":null}`, wantChanged: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			req, changed := tt.plan.updateRequest(tt.state)
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if got := groupRequestJSON(t, req); got != tt.want {
				t.Errorf("updateRequest() = %s, want %s", got, tt.want)
			}
		})
	}
}

// Group failures go through addAPIError like every other, with the
// advice of groupAdvice for its two conflicts.
func TestAddAPIError_groupAdvice(t *testing.T) {
	conflict := func(code, detail string) error {
		return fmt.Errorf("wrapped: %w", &client.APIError{StatusCode: http.StatusConflict, Code: code, Detail: detail, RequestID: "req_42"})
	}
	tests := map[string]struct {
		err  error
		want []string
	}{
		"group not empty": {
			err: conflict(codeGroupNotEmpty, `group "grp_1" still has webhooks; delete them first`),
			want: []string{
				`group "grp_1" still has webhooks; delete them first. hookd deletes only empty groups: delete the webhooks of grp_1 first`,
				`group_id = "grp_1" lists them. (hookd request id req_42)`,
			},
		},
		"name taken": {
			err: conflict("conflict", `a group named "ops" already exists; group names are unique`),
			want: []string{
				`a group named "ops" already exists; group names are unique. Choose another name`,
				"import block or terraform import. (hookd request id req_42)",
			},
		},
		"timeout": {
			err:  fmt.Errorf("DELETE /v1/groups/grp_1: %w", context.DeadlineExceeded),
			want: []string{"DELETE /v1/groups/grp_1: context deadline exceeded.", "timeouts block"},
		},
		"other conflicts get no name advice": {
			err:  conflict("idempotency_key_in_flight", "a request with this key is in flight"),
			want: []string{"a request with this key is in flight.", "req_42"},
		},
		"forbidden is not a conflict": {
			err:  &client.APIError{StatusCode: http.StatusForbidden, Detail: "not allowed", RequestID: "req_7"},
			want: []string{"not allowed.", "req_7"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var diags diag.Diagnostics
			addAPIError(&diags, "Unable to delete group grp_1", tt.err, groupAdvice("grp_1")...)
			if len(diags) != 1 || diags[0].Summary() != "Unable to delete group grp_1" {
				t.Fatalf("diagnostics = %v, want one error with the given summary", diags)
			}
			if name != "name taken" && strings.Contains(diags[0].Detail(), "Choose another name") {
				t.Errorf("detail %q gives the advice of a taken name", diags[0].Detail())
			}
			for _, w := range tt.want {
				if !strings.Contains(diags[0].Detail(), w) {
					t.Errorf("detail %q does not contain %q", diags[0].Detail(), w)
				}
			}
		})
	}
}

func groupRequestJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
