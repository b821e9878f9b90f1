package catalog_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
)

var wantTypes = []string{
	"transfer.created", "transfer.downloaded", "transfer.expired", "transfer.deleted", "transfer.cloned",
	"transfer.scan_clean", "transfer.scan_infected", "transfer.scan_quarantined", "transfer.limit_reached",
	"transfer.password_failed", "transfer.geo_blocked", "transfer.preview_opened", "transfer.email_sent",
	"transfer.e2e_created", "workspace.created", "workspace.plan_changed", "workspace.payment_succeeded",
	"workspace.payment_failed", "workspace.usage_limit_warning", "workspace.usage_limit_reached",
	"api_key.created", "api_key.revoked", "api_key.rotated", "api_key.expired", "api_key.suspicious_usage",
	"webhook.delivery_failed_final", "webhook.endpoint_disabled", "scim.user_provisioned",
	"scim.user_deprovisioned", "saml.login_succeeded", "saml.login_failed",
}

// The built-in catalog holds the documented types, in order, each with a
// compiling schema and an example that validates (Parse checks both).
func TestDefault(t *testing.T) {
	c := catalog.Default()
	types := c.Types()
	if len(types) != len(wantTypes) {
		t.Fatalf("%d types, want %d", len(types), len(wantTypes))
	}
	for i, et := range types {
		if et.Type != wantTypes[i] {
			t.Errorf("types[%d] = %s, want %s", i, et.Type, wantTypes[i])
		}
		wantStability := "stable"
		if et.Type == "transfer.preview_opened" || et.Type == "api_key.suspicious_usage" {
			wantStability = "beta"
		}
		if et.Stability != wantStability || et.Deprecated {
			t.Errorf("%s: stability %s deprecated %v", et.Type, et.Stability, et.Deprecated)
		}
		if problems := c.ValidateData(et.Type, et.Example); problems != nil {
			t.Errorf("%s: example: %v", et.Type, problems)
		}
	}
}

// The engine's own events must fit the schemas it is checked against.
func TestEngineEventsFitTheirSchemas(t *testing.T) {
	c := catalog.Default()
	for typ, data := range map[string]string{
		"webhook.delivery_failed_final": `{"webhook_id":"wh_1","delivery_id":"dlv_1","event_id":"evt_1","event_type":"transfer.created","attempt_count":12,"last_response_status_code":null,"last_error":"timeout","dead_lettered_at":"2026-11-24T12:00:00Z"}`,
		"webhook.endpoint_disabled":     `{"webhook_id":"wh_1","url":"https://example.com/h","reason":"the endpoint answered 410 Gone","disabled_at":"2026-11-24T12:00:00.123456Z"}`,
	} {
		if problems := c.ValidateData(typ, json.RawMessage(data)); problems != nil {
			t.Errorf("%s: %v", typ, problems)
		}
	}
}

func TestValidateDataPointers(t *testing.T) {
	c := catalog.Default()
	var example map[string]any
	et, _ := c.Lookup("webhook.endpoint_disabled")
	if err := json.Unmarshal(et.Example, &example); err != nil {
		t.Fatal(err)
	}
	example["webhook_id"] = 42
	delete(example, "url")
	raw, _ := json.Marshal(example)
	problems := c.ValidateData("webhook.endpoint_disabled", raw)
	if len(problems) != 2 {
		t.Fatalf("problems %v", problems)
	}
	pointers := []string{problems[0].Pointer, problems[1].Pointer}
	if pointers[0] != "" || pointers[1] != "/webhook_id" {
		t.Errorf("pointers %q (the missing property is reported on the object)", pointers)
	}
	if !strings.Contains(problems[0].Detail, "url") {
		t.Errorf("missing property detail %q", problems[0].Detail)
	}
	if p := c.ValidateData("nope.nope", json.RawMessage(`{}`)); len(p) != 1 {
		t.Errorf("unknown type: %v", p)
	}
	if p := c.ValidateData("webhook.endpoint_disabled", json.RawMessage(`{`)); len(p) != 1 || !strings.Contains(p[0].Detail, "not valid JSON") {
		t.Errorf("bad JSON: %v", p)
	}
}

func TestValidatePattern(t *testing.T) {
	c := catalog.Default()
	for _, ok := range []string{"*", "transfer.*", "api_key.*", "transfer.created", "saml.login_failed"} {
		if err := c.ValidatePattern(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for p, want := range map[string]string{
		"transfer.craeted": `unknown event type "transfer.craeted" (did you mean "transfer.created"?)`,
		"Transfer.Created": `unknown event type "Transfer.Created" (did you mean "transfer.created"?)`,
		"transfr.*":        `unknown event category "transfr.*" (did you mean "transfer.*"?)`,
		"payment.*":        `unknown event category "payment.*"; categories: api_key, saml, scim, transfer, webhook, workspace`,
		"transfer.*.x":     `"transfer.*.x" is not a valid pattern`,
		"*.created":        `"*.created" is not a valid pattern`,
		"completely_wrong": `unknown event type "completely_wrong"`,
		"":                 `unknown event type ""`,
	} {
		err := c.ValidatePattern(p)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %v, want prefix %s", p, err, want)
		}
		if p == "completely_wrong" && strings.Contains(err.Error(), "did you mean") {
			t.Errorf("a far miss gets a suggestion: %v", err)
		}
	}
}

// An operator's catalog file is validated at start, with errors that say
// which entry is wrong and why.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "catalog.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"data":[{"type":"order.paid","description":"An order was paid.","schema":{"type":"object","required":["order_id"],"properties":{"order_id":{"type":"string"}}},"example":{"order_id":"o_1"}}]}`
	c, err := catalog.Load(write(good))
	if err != nil {
		t.Fatal(err)
	}
	if et, ok := c.Lookup("order.paid"); !ok || et.Category != "order" || et.Stability != "stable" {
		t.Errorf("defaults not applied: %+v", et)
	}
	for body, want := range map[string]string{
		`{`:            "not a catalog document",
		`{"data":[]}`:  "no event types",
		`{"types":[]}`: `unknown field "types"`,
		`{"data":[{"type":"Order","description":"x","schema":{},"example":{}}]}`:                                                         `type must look like "category.name"`,
		`{"data":[{"type":"a.b","description":"x","schema":{"type":"string"},"example":{}}]}`:                                            "the example does not match the schema",
		`{"data":[{"type":"a.b","description":"x","schema":{"type":"bogus"},"example":{}}]}`:                                             "schema",
		`{"data":[{"type":"a.b","description":"x","schema":{},"example":{}},{"type":"a.b","description":"x","schema":{},"example":{}}]}`: "duplicate type",
		`{"data":[{"type":"a.b","category":"c","description":"x","schema":{},"example":{}}]}`:                                            `category "c" does not match`,
		`{"data":[{"type":"a.b","description":"","schema":{},"example":{}}]}`:                                                            "description is required",
		`{"data":[{"type":"a.b","description":"x","stability":"alpha","schema":{},"example":{}}]}`:                                       "stability must be",
		`{"data":[{"type":"a.b","description":"x","schema":{}}]}`:                                                                        "example is required",
	} {
		_, err := catalog.Load(write(body))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "catalog.json") {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
	if _, err := catalog.Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file loads")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"data":[{"type":"a.b","description":"x","schema":{},"example":{}}]}`))
	f.Add([]byte(`{"data":[{"type":"a.b","description":"x","schema":{"type":"object","properties":{"n":{"type":"integer"}}},"example":{"n":1}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := catalog.Parse(raw)
		if err != nil {
			return
		}
		for _, et := range c.Types() {
			_ = c.ValidateData(et.Type, raw)
			_ = c.ValidatePattern(string(raw))
		}
	})
}
