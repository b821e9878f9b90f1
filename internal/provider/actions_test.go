package provider_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/hookd/terraform-provider-hookd/internal/provider"
)

// Through the provider server, as Terraform talks to it: the five actions
// are in the schema, a malformed id fails validation, and an action invoked
// on an unconfigured provider fails with a diagnostic instead of a panic.
func TestActions_protocol(t *testing.T) {
	ctx := context.Background()
	ps := provider.Server("test")()
	actions, ok := ps.(tfprotov6.ActionServer)
	if !ok {
		t.Fatalf("%T serves no actions", ps)
	}
	schema, err := ps.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schema.Diagnostics) > 0 {
		t.Fatalf("%v %v", err, schema.Diagnostics)
	}
	for _, name := range []string{"hookd_webhook_test", "hookd_webhook_rotate_secret", "hookd_delivery_retry", "hookd_delivery_replay", "hookd_webhook_recover"} {
		if _, ok := schema.ActionSchemas[name]; !ok {
			t.Errorf("no action %s in the provider schema", name)
		}
	}

	objType := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"delivery_id": tftypes.String}}
	config, err := tfprotov6.NewDynamicValue(objType, tftypes.NewValue(objType, map[string]tftypes.Value{
		"delivery_id": tftypes.NewValue(tftypes.String, "wh_0123456789abcdefghij"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	v, err := actions.ValidateActionConfig(ctx, &tfprotov6.ValidateActionConfigRequest{ActionType: "hookd_delivery_retry", Config: &config})
	if err != nil || len(v.Diagnostics) != 1 || !strings.Contains(v.Diagnostics[0].Detail, `delivery_id must be a delivery id such as dlv_0123456789abcdefghij, got "wh_0123456789abcdefghij"`) {
		t.Fatalf("validate: %v %+v", err, v)
	}

	good, _ := tfprotov6.NewDynamicValue(objType, tftypes.NewValue(objType, map[string]tftypes.Value{
		"delivery_id": tftypes.NewValue(tftypes.String, "dlv_0123456789abcdefghij"),
	}))
	stream, err := actions.InvokeAction(ctx, &tfprotov6.InvokeActionRequest{ActionType: "hookd_delivery_retry", Config: &good})
	if err != nil {
		t.Fatal(err)
	}
	var diags []*tfprotov6.Diagnostic
	for ev := range stream.Events {
		if done, ok := ev.Type.(tfprotov6.CompletedInvokeActionEventType); ok {
			diags = done.Diagnostics
		}
	}
	if len(diags) != 1 || diags[0].Summary != "Provider not configured" {
		t.Fatalf("invoke without configure: %+v", diags)
	}
}
