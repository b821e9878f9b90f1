package provider

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

const defaultGracePeriodHours = 24

// webhookSchema is the schema both webhook resources share; extra holds a
// scope's own attributes (group_id for group webhooks).
func webhookSchema(ctx context.Context, description string, extra map[string]schema.Attribute) schema.Schema {
	attrs := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "Webhook id (`wh_...`).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"scope": schema.StringAttribute{
			MarkdownDescription: "`account` or `group`.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"name": schema.StringAttribute{
			MarkdownDescription: "A name for people, up to 100 characters.",
			Optional:            true,
			Validators:          []validator.String{stringvalidator.LengthBetween(1, 100)},
		},
		"description": schema.StringAttribute{
			MarkdownDescription: "What the webhook is for, up to 1000 characters.",
			Optional:            true,
			Validators:          []validator.String{stringvalidator.LengthBetween(1, 1000)},
		},
		"url": schema.StringAttribute{
			MarkdownDescription: "Where deliveries are POSTed. Must be `https`; plain `http` is accepted only for loopback and private hosts on a server started with `--allow-private-destinations`. No credentials (`user:pass@`) and no fragment; up to 2048 characters.",
			Required:            true,
			Validators: []validator.String{
				stringvalidator.LengthBetween(1, 2048),
				stringvalidator.RegexMatches(regexp.MustCompile(`^(?i)https?://[^/?#\s]+`), "must be an absolute http(s) URL such as https://example.com/webhooks"),
			},
		},
		"events": schema.SetAttribute{
			MarkdownDescription: "Event types to deliver: catalog types (`transfer.created`), category wildcards (`transfer.*`) or `*`. Checked against the server's event catalog at plan time; `data.hookd_event_catalog` lists them.",
			Required:            true,
			ElementType:         types.StringType,
			Validators: []validator.Set{
				setvalidator.SizeBetween(1, 100),
				setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1)),
			},
		},
		"active": schema.BoolAttribute{
			MarkdownDescription: "Whether events are delivered. Defaults to `true`. Setting it back to `true` does not re-enable a webhook the server auto-disabled (see `status`).",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(true),
		},
		"headers": schema.MapAttribute{
			MarkdownDescription: "Custom HTTP headers sent with every delivery. Names are case-insensitive; hookd's own (`Authorization`, `Content-Type`, `User-Agent`, `Host`, `Webhook-*`, `Hookd-*` and the like) are reserved.",
			Optional:            true,
			ElementType:         types.StringType,
			Validators:          []validator.Map{headersValidator{}},
		},
		"auth_token": schema.StringAttribute{
			MarkdownDescription: "Bearer token sent as `Authorization: Bearer <auth_token>` on every delivery. The API never returns it: Terraform keeps the configured value, and `auth_token_set` shows whether the server has one. Null after import: configure it again (the next apply sends it once more) or leave it out to remove the server's token. The configuration is the truth here: a token set outside Terraform is removed by the next apply unless `auth_token` is configured (the plan shows `auth_token_set = true -> false`), and `ignore_changes` cannot keep it.",
			Optional:            true,
			Sensitive:           true,
			Validators:          []validator.String{stringvalidator.LengthBetween(1, 1024)},
		},
		"auth_token_set": schema.BoolAttribute{
			MarkdownDescription: "Whether the server sends an auth token on deliveries. Planned from `auth_token` (set or not); a token added or removed outside Terraform shows in the plan as a change of this attribute, and apply converges to the configuration.",
			Computed:            true,
			PlanModifiers:       []planmodifier.Bool{authTokenSetFromConfig{}},
		},
		"secret": schema.StringAttribute{
			MarkdownDescription: "The signing secret (`whsec_...`), from the create or rotate response: the API never returns it again. Null after import, and after a rotation made outside Terraform; change `secret_rotation.trigger` to get a new one into state.",
			Computed:            true,
			Sensitive:           true,
			PlanModifiers:       []planmodifier.String{unknownOnRotation{}},
		},
		"secret_version": schema.Int64Attribute{
			MarkdownDescription: "1 at creation, +1 on every rotation. A change seen on refresh means the secret was rotated outside Terraform.",
			Computed:            true,
			PlanModifiers:       []planmodifier.Int64{unknownOnRotation{}},
		},
		"secret_rotation": schema.SingleNestedAttribute{
			MarkdownDescription: "Rotates the signing secret in place, without replacing the webhook, whenever `trigger` changes.",
			Optional:            true,
			Attributes: map[string]schema.Attribute{
				"trigger": schema.StringAttribute{
					MarkdownDescription: "Any string; a new value rotates the secret (a date, a counter, or `time_rotating.x.id`).",
					Required:            true,
				},
				"grace_period_hours": schema.Int64Attribute{
					MarkdownDescription: fmt.Sprintf("Hours (0 to 168) during which the previous secret still verifies: deliveries carry a signature made with each. Defaults to `%d`.", defaultGracePeriodHours),
					Optional:            true,
					Computed:            true,
					Default:             int64default.StaticInt64(defaultGracePeriodHours),
					Validators:          []validator.Int64{int64validator.Between(0, 168)},
				},
			},
		},
		"previous_secret_expires_at": schema.StringAttribute{
			MarkdownDescription: "Until when the previous secret still verifies (RFC 3339); null when no previous secret is valid.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{unknownOnRotation{}},
		},
		"test_on_apply": schema.BoolAttribute{
			MarkdownDescription: "Send a test event after create and after every update, and fail the apply with the receiver's status and error if it does not answer 2xx. A failed test after create leaves the webhook tainted.",
			Optional:            true,
		},
		"status": schema.StringAttribute{
			MarkdownDescription: "Set by the server: `active`, `inactive` (when `active` is false) or `auto_disabled` (the endpoint answered `410 Gone`, or three deliveries in a row were dead-lettered; see `disabled_reason`).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stateUnlessActiveChanges{}},
		},
		"disabled_reason": schema.StringAttribute{
			MarkdownDescription: "Why the server auto-disabled the webhook; null otherwise.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stateUnlessActiveChanges{}},
		},
		"created_at": schema.StringAttribute{
			MarkdownDescription: "Creation time (RFC 3339).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"updated_at": schema.StringAttribute{
			MarkdownDescription: "Time of the last change (RFC 3339).",
			Computed:            true,
		},
	}
	for k, v := range extra {
		attrs[k] = v
	}
	return schema.Schema{
		MarkdownDescription: description,
		Attributes:          attrs,
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}
