package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// NewGroupWebhookResource is hookd_group_webhook: a webhook that gets the
// events of one group.
func NewGroupWebhookResource() resource.Resource {
	return &webhookResource{s: groupScope{}}
}

type groupScope struct{}

func (groupScope) typeName() string       { return "group_webhook" }
func (groupScope) scope() client.Scope    { return client.ScopeGroup }
func (groupScope) newModel() webhookState { return &groupWebhookModel{} }

func (groupScope) create(ctx context.Context, c *client.Client, m webhookState, req client.CreateWebhookRequest) (*client.WebhookWithSecret, error) {
	return c.CreateGroupWebhook(ctx, m.groupID().ValueString(), req)
}

func (groupScope) fromAPI(m webhookState, api *client.Webhook) {
	*m.groupID() = types.StringPointerValue(api.GroupID)
}

func (groupScope) description() string {
	return "A webhook at group scope: it receives the events of one group (`hookd_group`). " + webhookSecretDescription
}

func (groupScope) attributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"group_id": schema.StringAttribute{
			MarkdownDescription: "The group (`grp_...`) whose events the webhook receives. Changing it replaces the webhook.",
			Required:            true,
			Validators:          []validator.String{groupID.validator()},
			PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
		},
	}
}

func (groupScope) listAttributes() map[string]listschema.Attribute {
	return map[string]listschema.Attribute{
		"group_id": listschema.StringAttribute{
			MarkdownDescription: "Only the webhooks of this group (`grp_...`). Leave it out for the webhooks of every group.",
			Optional:            true,
			Validators:          []validator.String{inListConfig(groupID.validator())},
		},
	}
}

func (groupScope) listGroupID(ctx context.Context, config tfsdk.Config) (types.String, diag.Diagnostics) {
	var id types.String
	d := config.GetAttribute(ctx, path.Root("group_id"), &id)
	return id, d
}
