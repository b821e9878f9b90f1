package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
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
	for _, h := range hooks {
		body := map[string]any{"name": h.name, "url": "https://example.com/" + h.name, "events": h.events, "active": h.active}
		path := "/v1/webhooks/account"
		if h.group {
			path = "/v1/webhooks/group/" + gid
		}
		c.ok(req{method: "POST", path: path, body: body}, http.StatusCreated)
	}
	for query, want := range map[string][]string{
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
		{"/v1/groups?name_prefix=" + url.QueryEscape(long), "#/name_prefix", "must be at most 100 characters, got 101", true},
		{"/v1/groups?name_prefix=a%00", "#/name_prefix", "contains U+0000 (NUL) at character 2: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it", true},
		{"/v1/groups?name_prefix=" + url.QueryEscape("pay\u200b"), "#/name_prefix", "contains U+200B (ZERO WIDTH SPACE) at character 4: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it", true},
	} {
		p := c.problem(req{method: "GET", path: tc.path, invalid: tc.invalid}, http.StatusUnprocessableEntity, "validation_failed")
		if len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer || p.Errors[0].Detail != tc.detail {
			t.Errorf("GET %s: errors %+v, want %s: %s", tc.path, p.Errors, tc.pointer, tc.detail)
		}
	}
}
