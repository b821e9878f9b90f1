package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// webhookReadModel is a webhook as the data sources show it: every field
// the API returns, read-only. There is no secret here, nor token: the API
// never returns them after creation, and a data source has nowhere to carry
// them from; their fingerprints (not secret) are here.
type webhookReadModel struct {
	ID                        types.String `tfsdk:"id"`
	Scope                     types.String `tfsdk:"scope"`
	GroupID                   types.String `tfsdk:"group_id"`
	Name                      types.String `tfsdk:"name"`
	Description               types.String `tfsdk:"description"`
	URL                       types.String `tfsdk:"url"`
	Events                    types.Set    `tfsdk:"events"`
	Active                    types.Bool   `tfsdk:"active"`
	Status                    types.String `tfsdk:"status"`
	DisabledReason            types.String `tfsdk:"disabled_reason"`
	Headers                   types.Map    `tfsdk:"headers"`
	AuthTokenSet              types.Bool   `tfsdk:"auth_token_set"`
	AuthTokenFingerprint      types.String `tfsdk:"auth_token_fingerprint"`
	SecretVersion             types.Int64  `tfsdk:"secret_version"`
	SecretFingerprint         types.String `tfsdk:"secret_fingerprint"`
	PreviousSecretFingerprint types.String `tfsdk:"previous_secret_fingerprint"`
	SecretRotatedAt           types.String `tfsdk:"secret_rotated_at"`
	PreviousSecretExpiresAt   types.String `tfsdk:"previous_secret_expires_at"`
	SignatureScheme           types.String `tfsdk:"signature_scheme"`
	PublicKey                 types.String `tfsdk:"public_key"`
	CreatedAt                 types.String `tfsdk:"created_at"`
	UpdatedAt                 types.String `tfsdk:"updated_at"`
}

// webhookReadAttributes is the schema of webhookReadModel, every attribute
// computed. hookd_webhook replaces id with its required argument;
// hookd_webhooks nests the map as is.
func webhookReadAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "ID of the webhook (`wh_...`).",
			Computed:            true,
		},
		"scope": schema.StringAttribute{
			MarkdownDescription: "`account` (receives every event) or `group` (receives the events of its group only).",
			Computed:            true,
		},
		"group_id": schema.StringAttribute{
			MarkdownDescription: "ID of the group of a group-scope webhook; `null` at account scope.",
			Computed:            true,
		},
		"name": schema.StringAttribute{
			MarkdownDescription: "Name of the webhook; `null` when it has none.",
			Computed:            true,
		},
		"description": schema.StringAttribute{
			MarkdownDescription: "Description of the webhook; `null` when it has none.",
			Computed:            true,
		},
		"url": schema.StringAttribute{
			MarkdownDescription: "URL the deliveries are sent to.",
			Computed:            true,
		},
		"events": schema.SetAttribute{
			MarkdownDescription: "Event patterns the webhook subscribes to: catalog types (`transfer.created`), category wildcards (`transfer.*`) or `*`.",
			Computed:            true,
			ElementType:         types.StringType,
		},
		"active": schema.BoolAttribute{
			MarkdownDescription: "The user's switch: `false` stops deliveries.",
			Computed:            true,
		},
		"status": schema.StringAttribute{
			MarkdownDescription: "Set by the server: `active`, `inactive` (when `active` is `false`) or `auto_disabled` (the endpoint answered `410 Gone`, or three deliveries in a row were dead-lettered; see `disabled_reason`). " + reenableHow,
			Computed:            true,
		},
		"disabled_reason": schema.StringAttribute{
			MarkdownDescription: "Why the server disabled the webhook; `null` unless `status` is `auto_disabled`.",
			Computed:            true,
		},
		"headers": schema.MapAttribute{
			MarkdownDescription: "Custom headers sent with every delivery; empty when there are none.",
			Computed:            true,
			ElementType:         types.StringType,
		},
		"auth_token_set": schema.BoolAttribute{
			MarkdownDescription: "Whether deliveries carry an `Authorization: Bearer` token. The token itself is never returned.",
			Computed:            true,
		},
		"auth_token_fingerprint": schema.StringAttribute{
			MarkdownDescription: "Fingerprint of the auth token: the first 8 bytes of the SHA-256 of the token's text, in hex; `null` when there is no token. Not reversible for a long random token, and not secret.",
			Computed:            true,
		},
		"secret_version": schema.Int64Attribute{
			MarkdownDescription: "Version of the signing secret: `1` at creation, one more on every rotation. The secret itself is never returned.",
			Computed:            true,
		},
		"secret_fingerprint": schema.StringAttribute{
			MarkdownDescription: "Fingerprint of the current signing secret: the first 8 bytes of the SHA-256 of the secret's text, in hex (`printf '%s' \"$secret\" | sha256sum | cut -c1-16`). Not reversible, not secret: compare it with your receiver's copy.",
			Computed:            true,
		},
		"previous_secret_fingerprint": schema.StringAttribute{
			MarkdownDescription: "Fingerprint of the previous signing secret while it still verifies (until `previous_secret_expires_at`); `null` when no previous secret is valid.",
			Computed:            true,
		},
		"secret_rotated_at": schema.StringAttribute{
			MarkdownDescription: "When the signing secret was last rotated (RFC 3339); `null` if it never was.",
			Computed:            true,
		},
		"previous_secret_expires_at": schema.StringAttribute{
			MarkdownDescription: "Until when the previous signing secret still verifies (RFC 3339); `null` when no previous secret is valid.",
			Computed:            true,
		},
		"signature_scheme": schema.StringAttribute{
			MarkdownDescription: signatureSchemeDescription,
			Computed:            true,
		},
		"public_key": schema.StringAttribute{
			MarkdownDescription: publicKeyDescription,
			Computed:            true,
		},
		"created_at": schema.StringAttribute{
			MarkdownDescription: "When the webhook was created (RFC 3339).",
			Computed:            true,
		},
		"updated_at": schema.StringAttribute{
			MarkdownDescription: "When the webhook was last changed (RFC 3339).",
			Computed:            true,
		},
	}
}

// webhookReadFromAPI maps an API webhook onto the read model. It is pure
// and cannot fail: the collections hold plain strings.
func webhookReadFromAPI(api *client.Webhook) webhookReadModel {
	events := make([]attr.Value, 0, len(api.Events))
	for _, e := range api.Events {
		events = append(events, types.StringValue(e))
	}
	headers := make(map[string]attr.Value, len(api.Headers))
	for k, v := range api.Headers {
		headers[k] = types.StringValue(v)
	}
	return webhookReadModel{
		ID:                        types.StringValue(api.ID),
		Scope:                     types.StringValue(string(api.Scope)),
		GroupID:                   types.StringPointerValue(api.GroupID),
		Name:                      types.StringPointerValue(api.Name),
		Description:               types.StringPointerValue(api.Description),
		URL:                       types.StringValue(api.URL),
		Events:                    types.SetValueMust(types.StringType, events),
		Active:                    types.BoolValue(api.Active),
		Status:                    types.StringValue(api.Status),
		DisabledReason:            types.StringPointerValue(api.DisabledReason),
		Headers:                   types.MapValueMust(types.StringType, headers),
		AuthTokenSet:              types.BoolValue(api.AuthTokenSet),
		AuthTokenFingerprint:      types.StringPointerValue(api.AuthTokenFingerprint),
		SecretVersion:             types.Int64Value(api.SecretVersion),
		SecretFingerprint:         types.StringValue(api.SecretFingerprint),
		PreviousSecretFingerprint: types.StringPointerValue(api.PreviousSecretFingerprint),
		SecretRotatedAt:           timestampPtr(api.SecretRotatedAt),
		PreviousSecretExpiresAt:   timestampPtr(api.PreviousSecretExpiresAt),
		SignatureScheme:           types.StringValue(api.SignatureScheme),
		PublicKey:                 types.StringPointerValue(api.PublicKey),
		CreatedAt:                 timestamp(api.CreatedAt),
		UpdatedAt:                 timestamp(api.UpdatedAt),
	}
}
