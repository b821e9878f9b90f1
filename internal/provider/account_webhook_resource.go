package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// NewAccountWebhookResource is hookd_account_webhook: a webhook that gets
// the events of the whole account.
func NewAccountWebhookResource() resource.Resource {
	return &webhookResource{s: accountScope{}}
}

type accountScope struct{}

func (accountScope) typeName() string       { return "account_webhook" }
func (accountScope) scope() client.Scope    { return client.ScopeAccount }
func (accountScope) newModel() webhookState { return &accountWebhookModel{} }

func (accountScope) create(ctx context.Context, c *client.Client, _ webhookState, req client.CreateWebhookRequest) (*client.WebhookWithSecret, error) {
	return c.CreateAccountWebhook(ctx, req)
}

func (accountScope) fromAPI(webhookState, *client.Webhook) {}

func (accountScope) description() string {
	return "A webhook at account scope: it receives the events of the whole account. " + webhookSecretDescription
}

func (accountScope) attributes() map[string]schema.Attribute { return nil }

func (accountScope) listAttributes() map[string]listschema.Attribute { return nil }

func (accountScope) listGroupID(context.Context, tfsdk.Config) (types.String, diag.Diagnostics) {
	return types.StringNull(), nil
}
