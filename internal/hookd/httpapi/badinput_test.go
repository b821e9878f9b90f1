package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

// Every bad request gets its precise problem, and nothing is written.
func TestBadInput(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	gid := field[string](t, c.createGroup("payments"), "id")
	wid := field[string](t, c.createAccountWebhook(map[string]any{"url": "https://example.com/a", "events": []string{"*"}}), "id")
	valid := func(edit func(map[string]any)) map[string]any {
		b := map[string]any{"url": "https://example.com/hooks", "events": []string{"transfer.created"}}
		edit(b)
		return b
	}

	cases := []struct {
		name    string
		req     req
		status  int
		code    string
		pointer string // "" when the problem has no field errors
		detail  string // a substring of the detail
	}{
		{"malformed JSON", req{method: "POST", path: "/v1/webhooks/account", body: `{"url": `}, 400, "bad_request", "", "not valid JSON"},
		{"not an object", req{method: "POST", path: "/v1/webhooks/account", body: `[1]`}, 400, "bad_request", "", "must be a JSON object"},
		{"empty body", req{method: "POST", path: "/v1/webhooks/account", body: ``}, 400, "bad_request", "", "body is empty"},
		{"unknown field", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["evnts"] = []string{"*"} })}, 400, "bad_request", "", `unknown field "evnts"`},
		{"wrong type", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["active"] = "yes" })}, 422, "validation_failed", "/active", "must be a boolean"},
		{"missing url", req{method: "POST", path: "/v1/webhooks/account", body: map[string]any{"events": []string{"*"}}}, 422, "validation_failed", "/url", "is required"},
		{"missing events", req{method: "POST", path: "/v1/webhooks/account", body: map[string]any{"url": "https://example.com"}}, 422, "validation_failed", "/events", "at least one"},
		{"empty events", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["events"] = []string{} })}, 422, "validation_failed", "/events", "at least one"},
		{"http to a public host", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "http://example.com/hooks" })}, 422, "validation_failed", "/url", "must use https"},
		{"userinfo", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://user:pw@example.com/hooks" })}, 422, "validation_failed", "/url", "must not contain credentials"},
		{"fragment", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://example.com/hooks#x" })}, 422, "validation_failed", "/url", "fragment"},
		{"relative url", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "/hooks" })}, 422, "validation_failed", "/url", "absolute URL"},
		{"url too long", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://example.com/" + strings.Repeat("a", 2040) })}, 422, "validation_failed", "/url", "at most 2048"},
		{"unknown event type", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["events"] = []string{"*", "transfer.craeted"} })}, 422, "validation_failed", "/events/1", `did you mean "transfer.created"?`},
		{"unknown category", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["events"] = []string{"payment.*"} })}, 422, "validation_failed", "/events/0", `"payment.*"`},
		{"headers differing in case", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-Team": "a", "x-team": "b"} })}, 422, "validation_failed", "/headers/x-team", "case-insensitive"},
		{"reserved header", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"Webhook-Id": "x"} })}, 422, "validation_failed", "/headers/Webhook-Id", "is reserved"},
		{"reserved header authorization", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"authorization": "x"} })}, 422, "validation_failed", "/headers/authorization", "use auth_token"},
		{"header with newline", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-A": "a\r\nb"} })}, 422, "validation_failed", "/headers/X-A", "line breaks"},
		{"header value too long", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X-A": strings.Repeat("é", 1025)} })}, 422, "validation_failed", "/headers/X-A", "at most 1024 characters, got 1025"},
		{"too many headers", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = manyHeaders(21) })}, 422, "validation_failed", "/headers", "at most 20 headers are allowed, got 21"},
		{"reserved header accept-encoding", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"Accept-Encoding": "br"} })}, 422, "validation_failed", "/headers/Accept-Encoding", "is reserved"},
		{"invalid header name", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["headers"] = map[string]string{"X Team": "a"} })}, 422, "validation_failed", "/headers/X Team", "not a valid header name"},
		{"url too long in characters", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["url"] = "https://example.com/" + strings.Repeat("é", 2029) })}, 422, "validation_failed", "/url", "at most 2048 characters, got 2049"},
		{"empty name", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["name"] = "" })}, 422, "validation_failed", "/name", "must not be empty"},
		{"malformed secret", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["secret"] = "whsec_short" })}, 422, "validation_failed", "/secret", "malformed secret"},
		{"unknown signature scheme", req{method: "POST", path: "/v1/webhooks/account", body: valid(func(b map[string]any) { b["signature_scheme"] = "v2" })}, 422, "validation_failed", "/signature_scheme", `must be "v1" (HMAC-SHA256 with the shared secret) or "v1a" (Ed25519, verified with the public key), got "v2"`},
		{"patch unknown signature scheme", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"signature_scheme": "ed25519"}}, 422, "validation_failed", "/signature_scheme", `got "ed25519"`},
		{"patch signature scheme null", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"signature_scheme": nil}}, 422, "validation_failed", "/signature_scheme", "cannot be null"},
		{"unknown group", req{method: "POST", path: "/v1/webhooks/group/grp_doesnotexist", body: valid(func(map[string]any) {})}, 404, "not_found", "", `"grp_doesnotexist"`},
		{"oversized body", req{method: "POST", path: "/v1/webhooks/account", body: `{"description": "` + strings.Repeat("a", 1<<20) + `"}`}, 413, "payload_too_large", "", "larger than"},
		{"wrong media type", req{method: "POST", path: "/v1/webhooks/account", body: `url=x`, headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type", "", "application/json"},
		{"grace 169", req{method: "POST", path: "/v1/webhooks/" + wid + "/secret/rotate", body: map[string]any{"grace_period_hours": 169}}, 422, "validation_failed", "/grace_period_hours", "from 0 to 168"},
		{"rotate malformed secret", req{method: "POST", path: "/v1/webhooks/" + wid + "/secret/rotate", body: map[string]any{"secret": "nope"}}, 422, "validation_failed", "/secret", "must start with"},
		{"patch url null", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"url": nil}}, 422, "validation_failed", "/url", "cannot be null"},
		{"patch headers differing in case", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": map[string]any{"X-A": "1", "x-a": "2"}}}, 422, "validation_failed", "/headers/x-a", "case-insensitive"},
		{"patch reserved header", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": map[string]any{"Hookd-X": "1"}}}, 422, "validation_failed", "/headers/Hookd-X", "is reserved"},
		{"patch header value too long", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": map[string]any{"X-A": strings.Repeat("a", 1025)}}}, 422, "validation_failed", "/headers/X-A", "at most 1024 characters"},
		{"patch removal differing in case", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": map[string]any{"X-A": nil, "x-a": "2"}}}, 422, "validation_failed", "/headers/x-a", "case-insensitive"},
		{"patch too many headers", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"headers": manyHeaders(21)}}, 422, "validation_failed", "/headers", "at most 20 headers are allowed, got 21"},
		{"patch unknown event", req{method: "PATCH", path: "/v1/webhooks/" + wid, body: map[string]any{"events": []string{"transfer.creatd"}}}, 422, "validation_failed", "/events/0", `did you mean "transfer.created"?`},
		{"group name missing", req{method: "POST", path: "/v1/groups", body: map[string]any{}}, 422, "validation_failed", "/name", "is required"},
		{"group name too long", req{method: "POST", path: "/v1/groups", body: map[string]any{"name": strings.Repeat("n", 101)}}, 422, "validation_failed", "/name", "at most 100"},
		{"group name null", req{method: "PATCH", path: "/v1/groups/" + gid, body: map[string]any{"name": nil}}, 422, "validation_failed", "/name", "cannot be null"},
		{"idempotency key too long", req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "x"}, headers: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}}, 400, "bad_request", "", "at most 255"},
	}
	before := snapshot(c)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, s)
			tc.req.invalid = true
			p := c.problem(tc.req, tc.status, tc.code)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", p.Detail, tc.detail)
			}
			if tc.pointer == "" {
				return
			}
			for _, e := range p.Errors {
				if e.Pointer == tc.pointer && strings.Contains(e.Detail, tc.detail) {
					return
				}
			}
			t.Errorf("no error at %q containing %q in %+v", tc.pointer, tc.detail, p.Errors)
		})
	}
	if after := snapshot(c); after != before {
		t.Errorf("bad requests changed the data:\nbefore %s\nafter  %s", before, after)
	}
}

func manyHeaders(n int) map[string]string {
	h := map[string]string{}
	for i := range n {
		h[fmt.Sprintf("X-H%02d", i)] = "v"
	}
	return h
}

// Limits count characters, not bytes: values at every limit, in two-byte
// characters, are accepted. A patch may remove any name, even one it could
// not set; the count is that of the merged headers.
func TestLimitsCountCharacters(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	body := map[string]any{
		"name":        strings.Repeat("é", 100),
		"description": strings.Repeat("é", 1000),
		"url":         "https://example.com/" + strings.Repeat("é", 2048-len("https://example.com/")),
		"events":      []string{"*"},
		"headers":     map[string]string{"X-A": strings.Repeat("é", 1024)},
		"auth_token":  strings.Repeat("t", 1024),
	}
	wh := c.createAccountWebhook(body)
	id := field[string](t, wh, "id")
	assertFields(t, wh, map[string]any{"name": body["name"], "url": body["url"], "headers": map[string]any{"X-A": strings.Repeat("é", 1024)}})
	c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{"headers": manyHeaders(19)}}, http.StatusOK)
	patch := map[string]any{"Webhook-Id": nil, "X-H00": nil, "X-Z": "z"}
	got := c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{"headers": patch}}, http.StatusOK)
	if n := len(field[map[string]any](t, got, "headers")); n != 20 {
		t.Errorf("%d headers after the patch, want 20", n)
	}
}

// snapshot renders every group and webhook, to prove nothing was written.
func snapshot(c *client) string {
	g := c.do(req{method: "GET", path: "/v1/groups?limit=1000"})
	w := c.do(req{method: "GET", path: "/v1/webhooks?limit=1000"})
	return string(g.body) + string(w.body)
}

func TestPrivateDestinations(t *testing.T) {
	s := hookdtest.Start(t, hookdtest.WithConfig(func(cfg *server.Config) { cfg.AllowPrivateDestinations = false }))
	c := newClient(t, s)
	for _, u := range []string{"http://127.0.0.1:9000/hooks", "https://10.1.2.3/hooks", "https://169.254.169.254/latest", "https://localhost/x", "https://[::1]/x"} {
		p := c.problem(req{method: "POST", path: "/v1/webhooks/account", body: map[string]any{"url": u, "events": []string{"*"}}, invalid: true}, http.StatusUnprocessableEntity, "validation_failed")
		if !strings.Contains(p.Detail, "--allow-private-destinations") {
			t.Errorf("%s: detail %q does not say how to allow it", u, p.Detail)
		}
	}
	s2 := hookdtest.Start(t)
	c2 := newClient(t, s2)
	c2.createAccountWebhook(map[string]any{"url": "http://127.0.0.1:9000/hooks", "events": []string{"*"}})
}
