package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/hookd/terraform-provider-hookd/internal/client"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// Read sets the identity { id } when state has none: state written by
// Terraform 1.11 (or a provider without identity) and refreshed on 1.12+,
// which fails with "Missing Resource Identity After Read" otherwise. The
// framework hands Read the prior identity in its response too, so an
// acceptance test, whose state always has one after create, cannot see
// Read's own setIdentity: here Read gets what the framework builds when
// there is no prior identity (fwserver.ReadResource), a null identity of
// the resource's identity schema in request and response, against a real
// hookd.
func TestRead_setsMissingIdentity(t *testing.T) {
	ctx := context.Background()
	hookd := hookdtest.Start(t)
	t.Cleanup(client.CloseIdleConnections)
	c, err := client.New(hookd.URL, hookd.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	data := &providerData{client: c}
	grp, err := c.CreateGroup(ctx, client.CreateGroupRequest{Name: "identity"})
	if err != nil {
		t.Fatal(err)
	}

	// read runs r's Read on the state model holds, with no identity, and
	// returns the identity's id after it.
	read := func(t *testing.T, r resource.ResourceWithIdentity, model any) types.String {
		t.Helper()
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		var ir resource.IdentitySchemaResponse
		r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &ir)
		state := stateOf(t, sr.Schema, model)
		noIdentity := func() *tfsdk.ResourceIdentity {
			return &tfsdk.ResourceIdentity{Schema: ir.IdentitySchema, Raw: tftypes.NewValue(ir.IdentitySchema.Type().TerraformType(ctx), nil)}
		}
		req := resource.ReadRequest{State: state, Identity: noIdentity()}
		resp := &resource.ReadResponse{State: tfsdk.State{Schema: state.Schema, Raw: state.Raw.Copy()}, Identity: noIdentity()}
		r.Read(ctx, req, resp)
		if resp.Diagnostics.HasError() {
			t.Fatalf("Read: %v", resp.Diagnostics)
		}
		if resp.State.Raw.IsNull() {
			t.Fatal("Read removed the resource")
		}
		if resp.Identity.Raw.IsFullyNull() {
			t.Fatal("Read left the identity null: Terraform 1.12+ fails the refresh with Missing Resource Identity After Read")
		}
		var got idIdentityModel
		if d := resp.Identity.Get(ctx, &got); d.HasError() {
			t.Fatalf("identity: %v", d)
		}
		return got.ID
	}

	t.Run("hookd_group", func(t *testing.T) {
		var sr resource.SchemaResponse
		(&groupResource{}).Schema(ctx, resource.SchemaRequest{}, &sr)
		model := groupResourceModel{groupModel: groupFromAPI(grp)}
		model.Timeouts.Object = types.ObjectNull(timeoutTypes(t, sr.Schema))
		if got := read(t, &groupResource{data: data}, &model); !got.Equal(types.StringValue(grp.ID)) {
			t.Errorf("identity id = %v, want %q", got, grp.ID)
		}
	})

	for _, s := range []webhookScope{accountScope{}, groupScope{}} {
		t.Run("hookd_"+s.typeName(), func(t *testing.T) {
			r := &webhookResource{s: s, data: data}
			m := s.newModel()
			if g := m.groupID(); g != nil {
				*g = types.StringValue(grp.ID)
			}
			created, err := s.create(ctx, c, m, client.CreateWebhookRequest{URL: "http://127.0.0.1:9/identity", Events: []string{"transfer.created"}})
			if err != nil {
				t.Fatal(err)
			}
			var sr resource.SchemaResponse
			r.Schema(ctx, resource.SchemaRequest{}, &sr)
			*m.common() = benchWebhookState(t, &created.Webhook, timeoutTypes(t, sr.Schema))
			s.fromAPI(m, &created.Webhook)
			if got := read(t, r, m); !got.Equal(types.StringValue(created.ID)) {
				t.Errorf("identity id = %v, want %q", got, created.ID)
			}
		})
	}
}
