package protoserver_test

import (
	"context"
	"runtime"
	"testing"
	"weak"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/hookd/terraform-provider-hookd/internal/protoserver"
	"github.com/hookd/terraform-provider-hookd/internal/provider"
)

type requestKey struct{}

// validateOnce makes one ValidateResourceConfig RPC of a valid webhook on
// ps, with a request context carrying a large value, canceled when the RPC
// is over as gRPC does; it returns a weak pointer to that value.
func validateOnce(t *testing.T, ps tfprotov6.ProviderServer, config *tfprotov6.DynamicValue) weak.Pointer[[1 << 16]byte] {
	t.Helper()
	marker := &[1 << 16]byte{}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), requestKey{}, marker))
	defer cancel()
	resp, err := ps.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "hookd_account_webhook", Config: config})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("ValidateResourceConfig: %v %v", err, resp.Diagnostics)
	}
	return weak.Make(marker)
}

// webhookConfig is a valid hookd_account_webhook configuration for ps.
func webhookConfig(t *testing.T, ps tfprotov6.ProviderServer) *tfprotov6.DynamicValue {
	t.Helper()
	schema, err := ps.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schema.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, schema.Diagnostics)
	}
	typ, ok := schema.ResourceSchemas["hookd_account_webhook"].ValueType().(tftypes.Object)
	if !ok {
		t.Fatal("hookd_account_webhook has no object type")
	}
	values := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		values[name] = tftypes.NewValue(at, nil)
	}
	values["name"] = tftypes.NewValue(tftypes.String, "payments")
	values["url"] = tftypes.NewValue(tftypes.String, "https://example.com/hooks")
	values["events"] = tftypes.NewValue(typ.AttributeTypes["events"], []tftypes.Value{tftypes.NewValue(tftypes.String, "transfer.created")})
	config, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, values))
	if err != nil {
		t.Fatal(err)
	}
	return &config
}

func collected(p weak.Pointer[[1 << 16]byte]) bool {
	runtime.GC()
	runtime.GC()
	return p.Value() == nil
}

// The provider as served (provider.Server) keeps nothing of an RPC's
// context once the RPC returned.
func TestServer_keepsNoRequestContext(t *testing.T) {
	ps := provider.Server("test")()
	config := webhookConfig(t, ps)
	if !collected(validateOnce(t, ps, config)) {
		t.Fatal("the request context of a finished RPC is still reachable from the provider server")
	}
}

// The reason for Wrap: the framework's own server keeps every RPC's context
// until StopProvider. When this fails, the framework no longer does: drop
// internal/protoserver and serve providerserver.NewProtocol6 again.
func TestFrameworkServer_keepsRequestContexts(t *testing.T) {
	ps := providerserver.NewProtocol6(provider.New("test")())()
	config := webhookConfig(t, ps)
	p := validateOnce(t, ps, config)
	if collected(p) {
		t.Fatal("terraform-plugin-framework no longer keeps RPC contexts: internal/protoserver can go")
	}
	if _, err := ps.StopProvider(context.Background(), &tfprotov6.StopProviderRequest{}); err != nil {
		t.Fatal(err)
	}
	if !collected(p) {
		t.Fatal("the framework keeps RPC contexts even after StopProvider: something else holds them")
	}
}

// Terraform finds list resources, actions and state stores by asking the
// server for their interfaces: the wrapped server answers as the
// framework's does. A server without them is not wrapped, so it does not
// claim them either.
func TestWrap_interfaces(t *testing.T) {
	ps := provider.Server("test")()
	if _, ok := ps.(tfprotov6.ListResourceServer); !ok {
		t.Error("the served provider lost its list resources")
	}
	if _, ok := ps.(tfprotov6.ActionServer); !ok {
		t.Error("the served provider lost its actions")
	}
	if _, ok := ps.(tfprotov6.StateStoreServer); !ok {
		t.Error("the served provider lost the state store interface the framework implements")
	}

	type plain struct{ tfprotov6.ProviderServer }
	bare := plain{}
	if got := protoserver.Wrap(bare); got != tfprotov6.ProviderServer(bare) {
		t.Errorf("Wrap of a server without the optional interfaces = %T, want it unchanged", got)
	}
}
