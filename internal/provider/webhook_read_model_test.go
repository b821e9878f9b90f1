package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

func TestWebhookReadFromAPI_groupWebhookWithEverySet(t *testing.T) {
	created := time.Date(2026, 1, 2, 15, 4, 5, 123456789, time.UTC)
	rotated := created.Add(time.Hour)
	expires := rotated.Add(24 * time.Hour)
	api := &client.Webhook{
		ID:                        "wh_1",
		Scope:                     client.ScopeGroup,
		GroupID:                   new("grp_1"),
		Name:                      new("orders"),
		Description:               new("Orders to the ERP"),
		URL:                       "https://erp.example.com/hooks",
		Events:                    []string{"transfer.*", "api_key.created"},
		Active:                    false,
		Status:                    "auto_disabled",
		DisabledReason:            new("endpoint failed for 5 days"),
		Headers:                   map[string]string{"X-Team": "billing"},
		AuthTokenSet:              true,
		AuthTokenFingerprint:      new("0123456789abcdef"),
		SecretVersion:             3,
		SecretFingerprint:         "fedcba9876543210",
		PreviousSecretFingerprint: new("00112233aabbccdd"),
		SecretRotatedAt:           &rotated,
		PreviousSecretExpiresAt:   &expires,
		SignatureScheme:           client.SchemeV1a,
		PublicKey:                 new("whpk_MCowBQYDK2VwAyEAfake0000000000000000000000="),
		CreatedAt:                 created,
		UpdatedAt:                 rotated.In(time.FixedZone("CEST", 2*3600)),
	}

	got := webhookReadFromAPI(api)

	want := webhookReadModel{
		ID:             types.StringValue("wh_1"),
		Scope:          types.StringValue("group"),
		GroupID:        types.StringValue("grp_1"),
		Name:           types.StringValue("orders"),
		Description:    types.StringValue("Orders to the ERP"),
		URL:            types.StringValue("https://erp.example.com/hooks"),
		Events:         types.SetValueMust(types.StringType, []attr.Value{types.StringValue("api_key.created"), types.StringValue("transfer.*")}),
		Active:         types.BoolValue(false),
		Status:         types.StringValue("auto_disabled"),
		DisabledReason: types.StringValue("endpoint failed for 5 days"),
		Headers:        types.MapValueMust(types.StringType, map[string]attr.Value{"X-Team": types.StringValue("billing")}),
		AuthTokenSet:   types.BoolValue(true),
		SecretVersion:  types.Int64Value(3),
		// The fingerprints, not secret, are shown as the API reports them.
		AuthTokenFingerprint:      types.StringValue("0123456789abcdef"),
		SecretFingerprint:         types.StringValue("fedcba9876543210"),
		PreviousSecretFingerprint: types.StringValue("00112233aabbccdd"),
		// Times are RFC 3339 in UTC, with the API's full precision.
		SecretRotatedAt:         types.StringValue("2026-01-02T16:04:05.123456789Z"),
		PreviousSecretExpiresAt: types.StringValue("2026-01-03T16:04:05.123456789Z"),
		SignatureScheme:         types.StringValue("v1a"),
		PublicKey:               types.StringValue("whpk_MCowBQYDK2VwAyEAfake0000000000000000000000="),
		CreatedAt:               types.StringValue("2026-01-02T15:04:05.123456789Z"),
		UpdatedAt:               types.StringValue("2026-01-02T16:04:05.123456789Z"),
	}
	if g, w := readObject(t, got), readObject(t, want); !g.Equal(w) {
		t.Errorf("webhookReadFromAPI:\n got %s\nwant %s", g, w)
	}
}

func TestWebhookReadFromAPI_accountWebhookWithNothingOptional(t *testing.T) {
	api := &client.Webhook{
		ID: "wh_2", Scope: client.ScopeAccount, URL: "https://example.com", Events: []string{"*"},
		Active: true, Status: "active", SecretVersion: 1, SecretFingerprint: "fedcba9876543210", SignatureScheme: client.SchemeV1,
		CreatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
	}

	got := webhookReadFromAPI(api)

	for name, v := range map[string]attr.Value{
		"group_id": got.GroupID, "name": got.Name, "description": got.Description, "disabled_reason": got.DisabledReason,
		"secret_rotated_at": got.SecretRotatedAt, "previous_secret_expires_at": got.PreviousSecretExpiresAt,
		"public_key": got.PublicKey, "auth_token_fingerprint": got.AuthTokenFingerprint,
		"previous_secret_fingerprint": got.PreviousSecretFingerprint,
	} {
		if !v.IsNull() {
			t.Errorf("%s = %s, want null", name, v)
		}
	}
	// No headers is an empty map, not null, so configs can index it freely.
	if got.Headers.IsNull() || len(got.Headers.Elements()) != 0 {
		t.Errorf("headers = %s, want {}", got.Headers)
	}
	if got.AuthTokenSet.ValueBool() {
		t.Error("auth_token_set = true, want false")
	}
	if want := types.StringValue("fedcba9876543210"); !got.SecretFingerprint.Equal(want) {
		t.Errorf("secret_fingerprint = %s, want %s", got.SecretFingerprint, want)
	}
	if want := "2026-01-02T00:00:00Z"; got.CreatedAt.ValueString() != want {
		t.Errorf("created_at = %s, want %s", got.CreatedAt, want)
	}
}

// readObject turns a read model into an object of the schema's type, which
// can be compared as a whole and also proves the model fits the schema.
func readObject(t *testing.T, m webhookReadModel) types.Object {
	t.Helper()
	attrTypes := map[string]attr.Type{}
	for name, a := range webhookReadAttributes() {
		attrTypes[name] = a.GetType()
	}
	obj, diags := types.ObjectValueFrom(context.Background(), attrTypes, m)
	if diags.HasError() {
		t.Fatalf("the model does not fit the schema: %v", diags)
	}
	return obj
}

// The read model and its schema must agree attribute for attribute, or
// State.Set fails at run time; both data sources rely on it.
func TestWebhookReadModel_matchesSchema(t *testing.T) {
	ctx := context.Background()
	for _, ds := range []datasource.DataSource{NewWebhookDataSource(), NewWebhooksDataSource()} {
		var resp datasource.SchemaResponse
		ds.Schema(ctx, datasource.SchemaRequest{}, &resp)
		if resp.Diagnostics.HasError() {
			t.Fatalf("schema: %v", resp.Diagnostics)
		}
		if diags := resp.Schema.ValidateImplementation(ctx); diags.HasError() {
			t.Errorf("schema implementation: %v", diags)
		}
	}
	attrs := webhookReadAttributes()
	obj := readObject(t, webhookReadFromAPI(&client.Webhook{ID: "wh_3"}))
	if len(obj.Attributes()) != len(attrs) {
		t.Errorf("model has %d attributes, schema %d", len(obj.Attributes()), len(attrs))
	}
	for name, a := range attrs {
		if a.GetMarkdownDescription() == "" {
			t.Errorf("%s has no MarkdownDescription", name)
		}
		if !a.IsComputed() || a.IsRequired() || a.IsOptional() {
			t.Errorf("%s must be computed only", name)
		}
		if name == "secret" || name == "auth_token" {
			t.Errorf("the read model must not expose %s", name)
		}
	}
	// The fingerprints are there, not sensitive (they are not secret, and a
	// sensitive value could not be compared in a plan's output).
	for _, name := range []string{"secret_fingerprint", "previous_secret_fingerprint", "auth_token_fingerprint"} {
		a, ok := attrs[name]
		if !ok {
			t.Errorf("the read model has no %s", name)
			continue
		}
		if a.IsSensitive() {
			t.Errorf("%s is sensitive; a fingerprint is not secret", name)
		}
	}
}
