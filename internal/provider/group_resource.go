package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

const (
	maxGroupName        = rules.MaxNameLength
	maxGroupDescription = rules.MaxDescriptionLength
)

var (
	_ resource.Resource                = (*groupResource)(nil)
	_ resource.ResourceWithConfigure   = (*groupResource)(nil)
	_ resource.ResourceWithImportState = (*groupResource)(nil)
	_ resource.ResourceWithIdentity    = (*groupResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*groupResource)(nil)
)

// groupResource is hookd_group.
type groupResource struct {
	data *providerData
}

// NewGroupResource returns the hookd_group resource.
func NewGroupResource() resource.Resource { return &groupResource{} }

func (r *groupResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_group"
}

func (r *groupResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A group of webhooks. Group-scope webhooks (`hookd_group_webhook`) receive only the events of their group. " +
			"A group that still has webhooks cannot be deleted: delete its webhooks first.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Group id (`grp_...`), set by the server.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Name of the group, one line of 1 to %d characters without control, bidirectional or zero-width characters, unique on the server. Changing it renames the group in place.", maxGroupName),
				Required:            true,
				Validators:          []validator.String{requiredText(maxGroupName, rules.OneLine)},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("What the group is for, 1 to %d characters; tabs and line breaks are allowed, other control, bidirectional and zero-width characters are not. Leave it out for none; removing it clears the description.", maxGroupDescription),
				Optional:            true,
				Validators:          []validator.String{optionalText(maxGroupDescription, rules.MultiLine)},
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "Creation time (RFC 3339).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"updated_at": schema.StringAttribute{
				MarkdownDescription: "Time of the last change (RFC 3339); changes whenever `name` or `description` does.",
				Computed:            true,
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx, timeoutOps{
				create: "creating the group",
				read:   "reading the group (on every refresh)",
				update: "renaming the group or changing its description",
				delete: "deleting the group",
			}),
		},
	}
}

func (r *groupResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("group", "`grp_0123456789abcdefghij`")
}

func (r *groupResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	data := providerDataFrom(req.ProviderData, &resp.Diagnostics)
	if data == nil {
		return
	}
	r.data = data
}

func (r *groupResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan groupResourceModel
	resp.Diagnostics.Append(getPlan(ctx, req.Plan, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Create, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	created, err := r.data.client.CreateGroup(ctx, plan.createRequest())
	if err != nil {
		addAPIError(&resp.Diagnostics, fmt.Sprintf("Unable to create group %q", plan.Name.ValueString()), err, groupAdvice("")...)
		return
	}
	tflog.Info(ctx, "created group", map[string]any{"id": created.ID})
	// The POST response is the state: no read-after-write.
	state := groupResourceModel{groupModel: groupFromAPI(created), Timeouts: plan.Timeouts}
	resp.Diagnostics.Append(setState(ctx, &resp.State, &state)...)
	setIdentity(ctx, resp.Identity, created.ID, &resp.Diagnostics)
}

func (r *groupResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state groupResourceModel
	resp.Diagnostics.Append(getState(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, state.Timeouts.Read, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	id := state.ID.ValueString()
	// Identity first: the framework wants one after every Read that does
	// not fail, a removal included (see the webhook resource's Read).
	setIdentity(ctx, resp.Identity, id, &resp.Diagnostics)
	api, err := r.data.client.GetGroup(ctx, id)
	if errors.Is(err, client.ErrNotFound) && state.CreatedAt.IsNull() {
		importNotFound(&resp.Diagnostics, "group", id, `data.hookd_group with name = "..." finds a group's id; terraform query lists the groups (Terraform 1.14 and later).`, err)
		return
	}
	if errors.Is(err, client.ErrNotFound) {
		tflog.Warn(ctx, "group deleted outside Terraform; removing it from state", map[string]any{"id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		// Forbidden and every other failure are errors, never "gone".
		addAPIError(&resp.Diagnostics, "Unable to read group "+id, err, groupAdvice(id)...)
		return
	}
	state.groupModel = groupFromAPI(api)
	resp.Diagnostics.Append(setState(ctx, &resp.State, &state)...)
}

func (r *groupResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state groupResourceModel
	resp.Diagnostics.Append(getPlan(ctx, req.Plan, &plan)...)
	resp.Diagnostics.Append(getState(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Update, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	id := state.ID.ValueString()
	patch, changed := plan.updateRequest(state.groupModel)
	next := groupResourceModel{groupModel: state.groupModel, Timeouts: plan.Timeouts}
	if changed {
		api, err := r.data.client.UpdateGroup(ctx, id, patch)
		if err != nil {
			addAPIError(&resp.Diagnostics, "Unable to update group "+id, err, groupAdvice(id)...)
			return
		}
		tflog.Info(ctx, "updated group", map[string]any{"id": id})
		next.groupModel = groupFromAPI(api)
	}
	resp.Diagnostics.Append(setState(ctx, &resp.State, &next)...)
	setIdentity(ctx, resp.Identity, id, &resp.Diagnostics)
}

func (r *groupResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state groupResourceModel
	resp.Diagnostics.Append(getState(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, state.Timeouts.Delete, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	id := state.ID.ValueString()
	err := r.data.client.DeleteGroup(ctx, id)
	if errors.Is(err, client.ErrNotFound) {
		tflog.Info(ctx, "group already deleted", map[string]any{"id": id})
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to delete group "+id, err, groupAdvice(id)...)
	}
}

// ImportState takes a group id, as the import id or as identity. It checks
// the id's shape first, so a name given by mistake gets a useful message
// instead of a 404.
func (r *groupResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, ok := importID(ctx, req, groupID,
		"Import takes the group's id, not its name: data.hookd_group with name = \"...\" finds the id of a named group.", &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	setIdentity(ctx, resp.Identity, id, &resp.Diagnostics)
}

// ModifyPlan plans updated_at as the server will leave it: unknown when
// Update calls the API (name or description changes, as updateRequest
// decides), the prior value otherwise (only timeouts changed). The webhook
// resources plan it the same way (planUpdate).
func (r *groupResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return // create or destroy
	}
	// A group that does not change, the common case, costs no decoding:
	// a plan equal to state already holds the prior updated_at, and
	// updateRequest would find nothing to send.
	if resp.Plan.Raw.Equal(req.State.Raw) {
		return
	}
	var plan, state groupResourceModel
	resp.Diagnostics.Append(getPlan(ctx, req.Plan, &plan)...)
	resp.Diagnostics.Append(getState(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	updatedAt := state.UpdatedAt
	if _, changed := plan.updateRequest(state.groupModel); changed {
		updatedAt = types.StringUnknown()
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("updated_at"), updatedAt)...)
}
