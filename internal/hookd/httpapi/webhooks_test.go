package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

func TestWebhookLifecycle(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	s := hookdtest.Start(t, hookdtest.WithClock(clock))
	c := newClient(t, s)

	created := c.do(req{method: "POST", path: "/v1/webhooks/account", body: map[string]any{
		"name":        "billing",
		"description": "payments to the ledger",
		"url":         "https://example.com/hooks",
		"events":      []string{"transfer.created", "workspace.*", "transfer.created"},
		"headers":     map[string]string{"X-Team": "ledger"},
		"auth_token":  "tok-123",
	}})
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	wh := decode(t, created.body)
	id := field[string](t, wh, "id")
	if !strings.HasPrefix(id, "wh_") {
		t.Errorf("id %q lacks wh_ prefix", id)
	}
	if got := created.header.Get("Location"); got != "/v1/webhooks/"+id {
		t.Errorf("Location = %q", got)
	}
	secret, _ := wh["secret"].(string)
	if _, err := secrets.ParseSecret(secret); err != nil {
		t.Errorf("create returned secret %q: %v", secret, err)
	}
	want := map[string]any{
		"scope": "account", "group_id": nil, "name": "billing", "url": "https://example.com/hooks",
		"events": []any{"transfer.created", "workspace.*"}, "active": true, "status": "active",
		"disabled_reason": nil, "headers": map[string]any{"X-Team": "ledger"}, "auth_token_set": true,
		"secret_version": float64(1), "secret_rotated_at": nil, "previous_secret_expires_at": nil,
		"created_at": "2026-11-24T12:00:00Z",
	}
	assertFields(t, wh, want)
	if _, leaked := wh["auth_token"]; leaked {
		t.Error("create response returned auth_token")
	}

	got := c.ok(req{method: "GET", path: "/v1/webhooks/" + id}, http.StatusOK)
	if _, leaked := got["secret"]; leaked {
		t.Error("GET returned the secret")
	}
	assertFields(t, got, want)

	clock.Advance(time.Minute)
	patched := c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{
		"name":    nil,
		"events":  []string{"*"},
		"headers": map[string]any{"x-team": "ops", "X-Env": "prod"},
		"active":  false,
	}, headers: map[string]string{"Content-Type": "application/merge-patch+json"}}, http.StatusOK)
	assertFields(t, patched, map[string]any{
		"name": nil, "description": "payments to the ledger", "events": []any{"*"}, "active": false, "status": "inactive",
		"headers": map[string]any{"x-team": "ops", "X-Env": "prod"}, "auth_token_set": true,
		"updated_at": "2026-11-24T12:01:00Z", "created_at": "2026-11-24T12:00:00Z",
	})
	patched = c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{
		"headers": map[string]any{"X-TEAM": nil}, "auth_token": nil, "active": true,
	}}, http.StatusOK)
	assertFields(t, patched, map[string]any{"headers": map[string]any{"X-Env": "prod"}, "auth_token_set": false, "status": "active"})

	// Rotation with the default grace, then again inside the window.
	rot := c.ok(req{method: "POST", path: "/v1/webhooks/" + id + "/secret/rotate", body: map[string]any{}}, http.StatusOK)
	assertFields(t, rot, map[string]any{"secret_version": float64(2), "previous_secret_expires_at": "2026-11-25T12:01:00Z", "secret_rotated_at": "2026-11-24T12:01:00Z"})
	if rot["secret"] == secret {
		t.Error("rotation kept the old secret")
	}
	own := secrets.NewSecret()
	clock.Advance(time.Hour)
	rot = c.ok(req{method: "POST", path: "/v1/webhooks/" + id + "/secret/rotate", body: map[string]any{"secret": own, "grace_period_hours": 2}}, http.StatusOK)
	assertFields(t, rot, map[string]any{"secret": own, "secret_version": float64(3), "previous_secret_expires_at": "2026-11-24T15:01:00Z"})
	got = c.ok(req{method: "GET", path: "/v1/webhooks/" + id}, http.StatusOK)
	assertFields(t, got, map[string]any{"secret_version": float64(3), "previous_secret_expires_at": "2026-11-24T15:01:00Z"})
	clock.Advance(3 * time.Hour)
	got = c.ok(req{method: "GET", path: "/v1/webhooks/" + id}, http.StatusOK)
	assertFields(t, got, map[string]any{"previous_secret_expires_at": nil})
	rot = c.ok(req{method: "POST", path: "/v1/webhooks/" + id + "/secret/rotate", body: map[string]any{"grace_period_hours": 0}}, http.StatusOK)
	assertFields(t, rot, map[string]any{"secret_version": float64(4), "previous_secret_expires_at": nil})
	// A rotation without any body is the default rotation.
	c.ok(req{method: "POST", path: "/v1/webhooks/" + id + "/secret/rotate"}, http.StatusOK)

	c.ok(req{method: "DELETE", path: "/v1/webhooks/" + id}, http.StatusNoContent)
	c.problem(req{method: "GET", path: "/v1/webhooks/" + id}, http.StatusNotFound, "not_found")
	c.problem(req{method: "DELETE", path: "/v1/webhooks/" + id}, http.StatusNotFound, "not_found")
	c.problem(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{"active": true}}, http.StatusNotFound, "not_found")
}

func TestGroupWebhooks(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	g := c.createGroup("payments")
	gid := field[string](t, g, "id")
	other := field[string](t, c.createGroup("search"), "id")

	wh := c.ok(req{method: "POST", path: "/v1/webhooks/group/" + gid, body: map[string]any{
		"url": "https://example.com/g", "events": []string{"transfer.*"},
	}}, http.StatusCreated)
	assertFields(t, wh, map[string]any{"scope": "group", "group_id": gid, "name": nil, "headers": map[string]any{}, "auth_token_set": false})
	c.createAccountWebhook(map[string]any{"url": "https://example.com/a", "events": []string{"*"}})

	list := c.ok(req{method: "GET", path: "/v1/webhooks?group_id=" + gid}, http.StatusOK)
	if n := len(field[[]any](t, list, "data")); n != 1 || list["next_cursor"] != nil {
		t.Fatalf("group filter: %d webhooks, next_cursor %v", n, list["next_cursor"])
	}
	list = c.ok(req{method: "GET", path: "/v1/webhooks?group_id=" + other}, http.StatusOK)
	if n := len(field[[]any](t, list, "data")); n != 0 {
		t.Fatalf("other group lists %d webhooks", n)
	}
	list = c.ok(req{method: "GET", path: "/v1/webhooks?scope=account"}, http.StatusOK)
	if n := len(field[[]any](t, list, "data")); n != 1 {
		t.Fatalf("scope=account lists %d webhooks", n)
	}
	if n := c.countWebhooks(); n != 2 {
		t.Fatalf("%d webhooks in all", n)
	}

	p := c.problem(req{method: "DELETE", path: "/v1/groups/" + gid}, http.StatusConflict, "group_not_empty")
	if !strings.Contains(p.Detail, gid) {
		t.Errorf("detail %q does not name the group", p.Detail)
	}
	c.ok(req{method: "DELETE", path: "/v1/webhooks/" + field[string](t, wh, "id")}, http.StatusNoContent)
	c.ok(req{method: "DELETE", path: "/v1/groups/" + gid}, http.StatusNoContent)
	c.problem(req{method: "GET", path: "/v1/groups/" + gid}, http.StatusNotFound, "not_found")
}

func TestGroupLifecycle(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	created := c.do(req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "payments", "description": "money"}})
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	g := decode(t, created.body)
	id := field[string](t, g, "id")
	if !strings.HasPrefix(id, "grp_") || created.header.Get("Location") != "/v1/groups/"+id {
		t.Fatalf("id %q, Location %q", id, created.header.Get("Location"))
	}
	assertFields(t, c.ok(req{method: "GET", path: "/v1/groups/" + id}, http.StatusOK), map[string]any{"name": "payments", "description": "money"})
	assertFields(t, c.ok(req{method: "PATCH", path: "/v1/groups/" + id, body: map[string]any{"description": nil}}, http.StatusOK), map[string]any{"name": "payments", "description": nil})
	assertFields(t, c.ok(req{method: "PATCH", path: "/v1/groups/" + id, body: map[string]any{"name": "billing"}}, http.StatusOK), map[string]any{"name": "billing"})
	c.createGroup("payments")
	p := c.problem(req{method: "PATCH", path: "/v1/groups/" + id, body: map[string]any{"name": "payments"}}, http.StatusConflict, "conflict")
	if !strings.Contains(p.Detail, `"payments"`) {
		t.Errorf("detail %q does not name the group", p.Detail)
	}
	c.problem(req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "billing"}}, http.StatusConflict, "conflict")
	c.ok(req{method: "DELETE", path: "/v1/groups/" + id}, http.StatusNoContent)
	c.problem(req{method: "DELETE", path: "/v1/groups/" + id}, http.StatusNotFound, "not_found")
}

func TestPagination(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	for i := range 25 {
		c.createGroup("g" + string(rune('a'+i)))
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		path := "/v1/groups?limit=10"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		page := c.ok(req{method: "GET", path: path}, http.StatusOK)
		pages++
		for _, g := range field[[]any](t, page, "data") {
			id := field[string](t, as[map[string]any](t, g), "id")
			if seen[id] {
				t.Fatalf("group %s listed twice", id)
			}
			seen[id] = true
		}
		if pages == 1 {
			// Items added while paginating come after, never in between.
			c.createGroup("late")
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 26 || pages != 3 {
		t.Fatalf("saw %d groups in %d pages, want 26 in 3", len(seen), pages)
	}
	c.problem(req{method: "GET", path: "/v1/groups?cursor=garbage"}, http.StatusUnprocessableEntity, "validation_failed")
	c.problem(req{method: "GET", path: "/v1/groups?limit=1001", invalid: true}, http.StatusUnprocessableEntity, "validation_failed")
	c.problem(req{method: "GET", path: "/v1/groups?limit=0", invalid: true}, http.StatusUnprocessableEntity, "validation_failed")
	c.problem(req{method: "GET", path: "/v1/webhooks?scope=team", invalid: true}, http.StatusUnprocessableEntity, "validation_failed")
}

func TestCatalogAndHealth(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	cat := c.ok(req{method: "GET", path: "/v1/webhooks/events"}, http.StatusOK)
	data := field[[]any](t, cat, "data")
	if len(data) != 31 {
		t.Fatalf("catalog has %d types, want 31", len(data))
	}
	first := as[map[string]any](t, data[0])
	for _, k := range []string{"type", "category", "description", "stability", "deprecated", "schema", "example"} {
		if _, ok := first[k]; !ok {
			t.Errorf("catalog entry lacks %q", k)
		}
	}
	h := c.ok(req{method: "GET", path: "/v1/health", noAuth: true}, http.StatusOK)
	assertFields(t, h, map[string]any{"status": "ok", "version": "test"})
}

func TestAuth(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	c.problem(req{method: "GET", path: "/v1/webhooks", noAuth: true, invalid: true}, http.StatusUnauthorized, "unauthorized")
	c.problem(req{method: "GET", path: "/v1/webhooks", headers: map[string]string{"Authorization": "Bearer nope"}}, http.StatusUnauthorized, "unauthorized")
	c.problem(req{method: "GET", path: "/v1/webhooks", headers: map[string]string{"Authorization": "Basic " + s.APIKey}, invalid: true}, http.StatusUnauthorized, "unauthorized")
	res := c.do(req{method: "GET", path: "/v1/nothing-here", invalid: true})
	if res.status != http.StatusNotFound || res.header.Get("X-Request-Id") == "" {
		t.Fatalf("unknown path: %d", res.status)
	}
	res = c.do(req{method: "PUT", path: "/v1/groups", invalid: true})
	if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "GET, HEAD, POST" {
		t.Fatalf("wrong method: %d Allow=%q", res.status, res.header.Get("Allow"))
	}
}

// HEAD is answered on every GET route as GET is, without the body (RFC
// 9110 requires it of a server): the same status, Content-Type and
// Content-Length. A route without GET does not take HEAD, and says so.
func TestHeadAnswersAsGet(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	gid := field[string](t, c.createGroup("heads"), "id")
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(rcv.Close)
	wid := field[string](t, c.createAccountWebhook(map[string]any{"url": rcv.URL, "events": []string{"*"}}), "id")
	test := c.ok(req{method: "POST", path: "/v1/webhooks/" + wid + "/test"}, http.StatusOK)
	did := field[string](t, test, "delivery_id")
	d := c.ok(req{method: "GET", path: "/v1/deliveries/" + did}, http.StatusOK)
	eid := field[string](t, d, "event_id")
	for _, r := range []req{
		{path: "/healthz", noAuth: true}, {path: "/readyz", noAuth: true}, {path: "/v1/health", noAuth: true},
		{path: "/v1/groups?limit=1"}, {path: "/v1/groups/" + gid}, {path: "/v1/webhooks"}, {path: "/v1/webhooks/" + wid},
		{path: "/v1/webhooks/events"}, {path: "/v1/webhooks/" + wid + "/deliveries"}, {path: "/v1/webhooks/" + wid + "/deliveries/stats"},
		{path: "/v1/deliveries/" + did}, {path: "/v1/events/" + eid}, {path: "/metrics"},
		// Refusals too: the same status and headers.
		{path: "/v1/groups/grp_doesnotexist"}, {path: "/v1/webhooks?grup_id=x"}, {path: "/v1/groups", noAuth: true},
	} {
		r.method, r.invalid = http.MethodGet, true
		get := c.do(r)
		r.method = http.MethodHead
		head := c.do(r)
		if head.status != get.status || len(head.body) != 0 {
			t.Errorf("HEAD %s: %d with %d bytes; GET: %d", r.path, head.status, len(head.body), get.status)
		}
		for _, h := range []string{"Content-Type", "Allow", "WWW-Authenticate"} {
			if head.header.Get(h) != get.header.Get(h) {
				t.Errorf("HEAD %s: %s %q, GET's %q", r.path, h, head.header.Get(h), get.header.Get(h))
			}
		}
		// A problem names the method (and its request id differs): its
		// length may too. The metrics change between two scrapes.
		if cl := head.header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(get.body)) && get.status < 400 && r.path != "/metrics" {
			t.Errorf("HEAD %s: Content-Length %s, GET's body has %d bytes", r.path, cl, len(get.body))
		}
	}
	res := c.do(req{method: http.MethodHead, path: "/v1/webhooks/" + wid + "/test", invalid: true})
	if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "POST" {
		t.Errorf("HEAD on a POST-only route: %d Allow=%q, want 405 Allow=POST", res.status, res.header.Get("Allow"))
	}
	res = c.do(req{method: http.MethodOptions, path: "/v1/webhooks/" + wid + "/deliveries", invalid: true})
	if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("OPTIONS on deliveries: %d Allow=%q, want 405 Allow=GET, HEAD", res.status, res.header.Get("Allow"))
	}
}

func TestRateLimit(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithConfig(func(cfg *server.Config) {
		cfg.RateLimit, cfg.RateBurst = 1, 2
	}))
	c := newClient(t, s)
	c.ok(req{method: "GET", path: "/v1/groups"}, http.StatusOK)
	c.ok(req{method: "GET", path: "/v1/groups"}, http.StatusOK)
	res := c.do(req{method: "GET", path: "/v1/groups"})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "1" || decode(t, res.body)["code"] != "rate_limited" {
		t.Fatalf("third call: %d Retry-After=%q %s", res.status, res.header.Get("Retry-After"), res.body)
	}
	clock.Advance(time.Second)
	c.ok(req{method: "GET", path: "/v1/groups"}, http.StatusOK)
}

func assertFields(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if g := got[k]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", k, g, w)
		}
	}
}

// With --metrics-addr, GET /metrics on the API's listener says where the
// metrics are.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	s := hookdtest.Start(t, hookdtest.WithConfig(func(cfg *server.Config) { cfg.MetricsOwnListener = true }))
	c := newClient(t, s)
	p := c.problem(req{method: "GET", path: "/metrics"}, http.StatusNotFound, "not_found")
	if want := "no such endpoint: GET /metrics; this hookd serves its metrics on its --metrics-addr listener (GET /metrics there, without an API key), not on this one"; p.Detail != want {
		t.Errorf("detail\n  %q\nwant\n  %q", p.Detail, want)
	}
}
