package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// listAll follows next_cursor from path (which has a query) with pages of
// limit, and returns the value of key of every item.
func (c *client) listAll(path, key string, limit int) []string {
	c.t.Helper()
	var out []string
	cursor := ""
	for {
		p := path + "&limit=" + strconv.Itoa(limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		page := c.ok(req{method: "GET", path: p}, http.StatusOK)
		for _, item := range field[[]any](c.t, page, "data") {
			out = append(out, field[string](c.t, as[map[string]any](c.t, item), key))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// GET /v1/webhooks filters by active and event, with scope and group_id,
// across pages; GET /v1/groups by name_prefix.
func TestListFilters(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	gid := field[string](t, c.createGroup("team-payments"), "id")
	c.createGroup("team-search")
	c.createGroup("Team-ops")
	c.createGroup("ops")

	type hook struct {
		name   string
		group  bool
		events []string
		active bool
	}
	hooks := []hook{
		{"all", false, []string{"*"}, true},
		{"transfers", false, []string{"transfer.*"}, true},
		{"created-off", false, []string{"transfer.created"}, false},
		{"workspace", false, []string{"workspace.*", "transfer.deleted"}, true},
		{"g-created", true, []string{"transfer.created"}, true},
		{"g-all-off", true, []string{"*"}, false},
		{"g-api", true, []string{"api_key.*"}, true},
	}
	ids := map[string]string{}
	for _, h := range hooks {
		body := map[string]any{"name": h.name, "url": "https://example.com/" + h.name, "events": h.events, "active": h.active}
		path := "/v1/webhooks/account"
		if h.group {
			path = "/v1/webhooks/group/" + gid
		}
		ids[h.name] = field[string](t, c.ok(req{method: "POST", path: path, body: body}, http.StatusCreated), "id")
	}
	// g-api auto-disabled, as the engine does it: active, but not status active.
	if _, err := s.Store.UpdateWebhook(t.Context(), ids["g-api"], func(w *store.Webhook) error {
		w.Status = store.StatusAutoDisabled
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string][]string{
		"status=active":                                   {"all", "transfers", "workspace", "g-created"},
		"status=inactive":                                 {"created-off", "g-all-off"},
		"status=auto_disabled":                            {"g-api"},
		"status=active&scope=group":                       {"g-created"},
		"active=true":                                     {"all", "transfers", "workspace", "g-created", "g-api"},
		"active=false":                                    {"created-off", "g-all-off"},
		"event=transfer.created":                          {"all", "transfers", "created-off", "g-created", "g-all-off"},
		"event=transfer.deleted":                          {"all", "transfers", "workspace", "g-all-off"},
		"event=transfer.created&active=true":              {"all", "transfers", "g-created"},
		"event=transfer.created&scope=account":            {"all", "transfers", "created-off"},
		"event=api_key.created&group_id=" + gid:           {"g-all-off", "g-api"},
		"event=saml.login_failed&active=true":             {"all"},
		"event=saml.login_failed&active=true&scope=group": nil,
	} {
		got := c.listAll("/v1/webhooks?"+query, "name", 2)
		if !slices.Equal(got, want) {
			t.Errorf("GET /v1/webhooks?%s: %v, want %v", query, got, want)
		}
	}
	for prefix, want := range map[string][]string{
		"team-": {"team-payments", "team-search"},
		"Team":  {"Team-ops"},
		"o":     {"ops"},
		"x":     nil,
	} {
		got := c.listAll("/v1/groups?name_prefix="+url.QueryEscape(prefix), "name", 1)
		if !slices.Equal(got, want) {
			t.Errorf("GET /v1/groups?name_prefix=%s: %v, want %v", prefix, got, want)
		}
	}
}

// Bad filters are 422 with a pointer to the query parameter, and messages
// from package rules (the provider's too).
func TestListFilterErrors(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	long := ""
	for range 101 {
		long += "é"
	}
	for _, tc := range []struct {
		path, pointer, detail string
		invalid               bool
	}{
		{"/v1/webhooks?event=transfer.craeted", "#/event", `unknown event type "transfer.craeted" (did you mean "transfer.created"?)`, false},
		{"/v1/webhooks?event=transfer.*", "#/event", `"transfer.*" is a pattern: give one event type, such as "transfer.created"`, false},
		{"/v1/webhooks?active=maybe", "#/active", `must be true or false, got "maybe"`, true},
		{"/v1/webhooks?status=paused", "#/status", `must be one of active, inactive, auto_disabled; got "paused"`, true},
		{"/v1/groups?name_prefix=" + url.QueryEscape(long), "#/name_prefix", "must be at most 100 characters, got 101; remove 1 character", true},
		{"/v1/groups?name_prefix=a%00", "#/name_prefix", "contains U+0000 (NUL) at character 2: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it", true},
		{"/v1/groups?name_prefix=" + url.QueryEscape("pay\u200b"), "#/name_prefix", "contains U+200B (ZERO WIDTH SPACE) at character 4: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it", true},
	} {
		p := c.problem(req{method: "GET", path: tc.path, invalid: tc.invalid}, http.StatusUnprocessableEntity, "validation_failed")
		if len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer || p.Errors[0].Detail != tc.detail {
			t.Errorf("GET %s: errors %+v, want %s: %s", tc.path, p.Errors, tc.pointer, tc.detail)
		}
	}
}

// include_total=true adds how many deliveries match the filters over every
// page, whatever the page's cursor and limit; without it there is no
// total. A bad value is a 422 pointing at the parameter.
func TestDeliveriesTotal(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	wh := field[string](t, c.ok(req{method: "POST", path: "/v1/webhooks/account", body: map[string]any{
		"url": "https://example.com/hooks", "events": []string{"transfer.created"}}}, http.StatusCreated), "id")
	created := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ev := &store.Event{ID: "evt_total", Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "f", CreatedAt: created}
	var ds []store.Delivery
	for i := range 7 {
		status := store.DeliverySucceeded
		if i%3 == 0 {
			status = store.DeliveryDeadLettered
		}
		ds = append(ds, store.Delivery{ID: fmt.Sprintf("dlv_total%d", i), WebhookID: wh, EventID: ev.ID, EventType: ev.Type,
			Status: status, MaxAttempts: 12, CreatedAt: created.Add(time.Duration(i) * time.Minute), DeadlineAt: created.Add(72 * time.Hour),
			Trigger: store.TriggerEvent})
	}
	if _, err := s.Store.CreateEvent(t.Context(), ev, ds); err != nil {
		t.Fatal(err)
	}
	base := "/v1/webhooks/" + wh + "/deliveries"
	for query, want := range map[string]float64{
		"?include_total=true&limit=2":                            7,
		"?include_total=true&status=dead_lettered&limit=1":       3,
		"?include_total=true&created_after=2026-11-30T12:02:00Z": 4,
		"?include_total=true&status=canceled":                    0,
	} {
		page := c.ok(req{method: "GET", path: base + query}, http.StatusOK)
		if got, ok := page["total"].(float64); !ok || got != want {
			t.Errorf("GET %s: total %v, want %v", query, page["total"], want)
		}
	}
	// The total of a later page is the same.
	first := c.ok(req{method: "GET", path: base + "?include_total=true&limit=3"}, http.StatusOK)
	second := c.ok(req{method: "GET", path: base + "?include_total=true&limit=3&cursor=" + url.QueryEscape(field[string](t, first, "next_cursor"))}, http.StatusOK)
	if second["total"] != float64(7) {
		t.Errorf("the second page: total %v, want 7", second["total"])
	}
	if page := c.ok(req{method: "GET", path: base + "?limit=2"}, http.StatusOK); page["total"] != nil {
		t.Errorf("without include_total: total %v", page["total"])
	}
	p := c.problem(req{method: "GET", path: base + "?include_total=yes", invalid: true}, http.StatusUnprocessableEntity, "validation_failed")
	if len(p.Errors) != 1 || p.Errors[0].Pointer != "#/include_total" || p.Errors[0].Detail != `must be true or false, got "yes"` {
		t.Errorf("include_total=yes: %+v", p.Errors)
	}
}
