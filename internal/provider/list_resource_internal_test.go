package provider

import (
	"context"
	"iter"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

func TestListPageSize(t *testing.T) {
	for limit, want := range map[int64]int{1: 1, 100: 100, 1000: 1000, 1001: 1000, 50000: 1000, 0: 1000, -1: 1000} {
		if got := listPageSize(limit); got != want {
			t.Errorf("listPageSize(%d) = %d, want %d", limit, got, want)
		}
	}
}

func TestWebhookDisplayName(t *testing.T) {
	named := &client.Webhook{ID: "wh_1", Name: new("audit"), URL: "https://example.com/a"}
	unnamed := &client.Webhook{ID: "wh_2", URL: "https://example.com/b"}
	for api, want := range map[*client.Webhook]string{named: "audit (wh_1)", unnamed: "https://example.com/b (wh_2)"} {
		if got := webhookDisplayName(api); got != want {
			t.Errorf("webhookDisplayName(%s) = %q, want %q", api.ID, got, want)
		}
	}
}

func TestWebhookListConfigOptions(t *testing.T) {
	cfg := webhookListConfig{GroupID: types.StringValue("grp_1"), Active: types.BoolValue(false), Event: types.StringValue("transfer.created")}
	got := cfg.listOptions(client.ScopeGroup)
	if got.Scope != client.ScopeGroup || got.GroupID != "grp_1" || got.Active == nil || *got.Active || got.Event != "transfer.created" {
		t.Errorf("listOptions = %+v", got)
	}
	none := webhookListConfig{GroupID: types.StringNull(), Active: types.BoolNull(), Event: types.StringNull()}.listOptions(client.ScopeAccount)
	if none != (client.WebhookListOptions{Scope: client.ScopeAccount}) {
		t.Errorf("listOptions without filters = %+v", none)
	}
}

// A listed webhook with include_resource is what an import reads: the
// API's values through webhookFromAPI, nothing it never returns.
func TestWebhookListResult(t *testing.T) {
	ctx := context.Background()
	r := &webhookListResource{s: groupScope{}}
	var schemaResp resource.SchemaResponse
	(&webhookResource{s: r.s}).Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	var identityResp resource.IdentitySchemaResponse
	(&webhookResource{s: r.s}).IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &identityResp)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fp := "0123456789abcdef"
	api := &client.Webhook{
		ID: "wh_1", Scope: client.ScopeGroup, GroupID: new("grp_1"), URL: "https://example.com/a", Events: []string{"*"},
		Active: true, Status: "active", Headers: map[string]string{}, AuthTokenSet: true, AuthTokenFingerprint: &fp,
		SecretVersion: 3, SecretFingerprint: "fedcba9876543210", CreatedAt: now, UpdatedAt: now,
	}
	for _, include := range []bool{false, true} {
		req := list.ListRequest{IncludeResource: include, ResourceSchema: schemaResp.Schema, ResourceIdentitySchema: identityResp.IdentitySchema}
		res := r.result(ctx, req, api)
		if res.Diagnostics.HasError() {
			t.Fatalf("include_resource %v: %v", include, res.Diagnostics)
		}
		var id idIdentityModel
		if res.Identity.Get(ctx, &id); id.ID.ValueString() != "wh_1" || res.DisplayName != "https://example.com/a (wh_1)" {
			t.Errorf("include_resource %v: identity %v, display name %q", include, id.ID, res.DisplayName)
		}
		// A webhook with a token warns, naming it, where a resource is
		// listed (terraform query -generate-config-out asks for it).
		if warnings := res.Diagnostics.Warnings(); include != (len(warnings) == 1) || len(warnings) > 1 ||
			include && !strings.Contains(warnings[0].Detail(), "Webhook https://example.com/a (wh_1) has an auth token") {
			t.Errorf("include_resource %v: warnings %v", include, warnings)
		}
		if !include {
			if !res.Resource.Raw.IsNull() {
				t.Errorf("a resource without include_resource: %v", res.Resource.Raw)
			}
			continue
		}
		var m groupWebhookModel
		if d := res.Resource.Get(ctx, &m); d.HasError() {
			t.Fatal(d)
		}
		want := map[string]bool{
			"group_id":       m.GroupID.ValueString() == "grp_1",
			"url":            m.URL.ValueString() == api.URL,
			"headers null":   m.Headers.IsNull(),
			"auth_token_set": m.AuthTokenSet.ValueBool() && m.AuthTokenFingerprint.ValueString() == fp,
			"secret_version": m.SecretVersion.ValueInt64() == 3,
			"secret null":    m.Secret.IsNull(),
			"token null":     m.AuthToken.IsNull(),
			"write-only":     m.SecretWO.IsNull() && m.AuthTokenWO.IsNull() && m.SecretWOVersion.IsNull() && m.AuthTokenWOVersion.IsNull(),
			"timeouts null":  m.Timeouts.IsNull(),
			"created_at":     m.CreatedAt.ValueString() == "2026-01-02T03:04:05Z",
		}
		for what, ok := range want {
			if !ok {
				t.Errorf("listed resource: %s is wrong: %+v", what, m)
			}
		}
	}
	api.AuthTokenSet, api.AuthTokenFingerprint = false, nil
	req := list.ListRequest{IncludeResource: true, ResourceSchema: schemaResp.Schema, ResourceIdentitySchema: identityResp.IdentitySchema}
	if res := r.result(ctx, req, api); len(res.Diagnostics) > 0 {
		t.Errorf("a webhook without a token: %v", res.Diagnostics)
	}
}

// listResults streams a result per item, stops at the limit or when
// Terraform stops reading, and ends with one error result on an API error.
func TestListResults(t *testing.T) {
	ctx := context.Background()
	items := func(n int, fail error) iter.Seq2[int, error] {
		return func(yield func(int, error) bool) {
			for i := range n {
				if !yield(i, nil) {
					return
				}
			}
			if fail != nil {
				yield(0, fail)
			}
		}
	}
	result := func(i *int) list.ListResult { return list.ListResult{DisplayName: strconv.Itoa(*i)} }
	collect := func(s iter.Seq[list.ListResult], stopAfter int) (names []string, diags diag.Diagnostics) {
		for r := range s {
			names = append(names, r.DisplayName)
			diags.Append(r.Diagnostics...)
			if len(names) == stopAfter {
				break
			}
		}
		return names, diags
	}
	for _, tc := range []struct {
		name      string
		n         int
		fail      error
		limit     int64
		stopAfter int
		want      string
		wantError bool
	}{
		{name: "all", n: 3, limit: 100, want: "0 1 2"},
		{name: "no_limit", n: 3, limit: 0, want: "0 1 2"},
		{name: "limit", n: 5, limit: 2, want: "0 1"},
		{name: "terraform_stops", n: 5, limit: 100, stopAfter: 3, want: "0 1 2"},
		{name: "api_error", n: 2, fail: &client.APIError{StatusCode: 500, Title: "boom"}, limit: 100, want: "0 1 ", wantError: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names, diags := collect(listResults(ctx, items(tc.n, tc.fail), tc.limit, "Unable to list things", "listed things", result), tc.stopAfter)
			if got := strings.Join(names, " "); got != tc.want {
				t.Errorf("results %q, want %q", got, tc.want)
			}
			if diags.HasError() != tc.wantError || tc.wantError && (diags.ErrorsCount() != 1 || diags.Errors()[0].Summary() != "Unable to list things") {
				t.Errorf("diagnostics %v", diags)
			}
		})
	}
}
