package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/provider"
)

var _ provider.ProviderWithActions = (*hookdProvider)(nil)

// Actions are the provider's actions (Terraform 1.14+): what an operator
// runs with terraform apply -invoke, or from a resource's action_trigger.
func (p *hookdProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{
		NewWebhookTestAction,
		NewWebhookRotateSecretAction,
		NewDeliveryRetryAction,
		NewDeliveryReplayAction,
		NewWebhookRecoverAction,
	}
}
