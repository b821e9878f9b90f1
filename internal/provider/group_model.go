package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// Problem codes (api/openapi.yaml, Problem.code) the provider gives
// advice for: the two conflicts a group has (deleting a group that still
// has webhooks, and a name that is taken: group names are unique), and an
// id that names nothing.
const (
	codeGroupNotEmpty = "group_not_empty"
	codeConflict      = "conflict"
	codeNotFound      = "not_found"
)

// groupModel is a group as both hookd_group objects show it: the data
// source uses it as is, the resource embeds it next to its timeouts.
type groupModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	Description types.String `tfsdk:"description"`
	CreatedAt   types.String `tfsdk:"created_at"`
	UpdatedAt   types.String `tfsdk:"updated_at"`
}

// groupResourceModel is the hookd_group resource's state.
type groupResourceModel struct {
	groupModel
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

// groupFromAPI maps a group the API returned. Every attribute comes from
// the API: a group has nothing the API does not return.
func groupFromAPI(api *client.Group) groupModel {
	return groupModel{
		ID:          types.StringValue(api.ID),
		Name:        types.StringValue(api.Name),
		Description: types.StringPointerValue(api.Description),
		CreatedAt:   timestamp(api.CreatedAt),
		UpdatedAt:   timestamp(api.UpdatedAt),
	}
}

// createRequest is the POST body for the planned group; a null description
// is left out.
func (m groupModel) createRequest() client.CreateGroupRequest {
	return client.CreateGroupRequest{
		Name:        m.Name.ValueString(),
		Description: m.Description.ValueStringPointer(),
	}
}

// updateRequest is the merge patch that turns state into plan: only the
// members that changed, and a null description when it was removed.
// changed is false when the API has nothing to change (only Terraform-side
// settings such as timeouts differ).
func (plan groupModel) updateRequest(state groupModel) (req client.UpdateGroupRequest, changed bool) {
	if !plan.Name.Equal(state.Name) {
		req.Name, changed = plan.Name.ValueStringPointer(), true
	}
	if !plan.Description.Equal(state.Description) {
		if plan.Description.IsNull() {
			req.Description = client.Null[string]()
		} else {
			req.Description = client.Set(plan.Description.ValueString())
		}
		changed = true
	}
	return req, changed
}

// groupAdvice is what to do about the two conflicts a group has: deleting
// it while it has webhooks, and a name that is taken.
func groupAdvice(id string) []problemAdvice {
	return []problemAdvice{
		{Code: codeGroupNotEmpty, Advice: fmt.Sprintf("hookd deletes only empty groups: delete the webhooks of %s first, "+
			"or move them to another group (changing group_id of a hookd_group_webhook replaces it), then try again. "+
			"data.hookd_webhooks with group_id = %q lists them.", id, id)},
		{Code: codeConflict, Advice: "Choose another name, or bring the existing group under Terraform " +
			"with an import block or terraform import."},
	}
}
