package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// GET /v1/events/{event_id} answers the event as published: the very bytes
// its deliveries sent (id, type, created_at, group_id, data), for a
// published event of a group and for a test event alike; an unknown id is
// a 404 naming it, an id of another shape a 400 naming the parameter.
func TestGetEvent(t *testing.T) {
	s := hookdtest.Start(t)
	c := newClient(t, s)
	bodies := make(chan []byte, 4)
	rcv := hookdtest.NewReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	})
	gid := field[string](t, c.createGroup("payments"), "id")
	wh := field[string](t, c.ok(req{method: "POST", path: "/v1/webhooks/group/" + gid, body: map[string]any{
		"url": rcv.URL + "/hooks", "events": []string{"transfer.expired"}}}, http.StatusCreated), "id")
	received := func() []byte {
		t.Helper()
		select {
		case b := <-bodies:
			return b
		case <-time.After(10 * time.Second):
			t.Fatal("no delivery")
			return nil
		}
	}

	const published = `{"id":"evt_get-me_1","type":"transfer.expired","group_id":"GID","data":{"transfer_id":"tr_8fK2mQ7xLp","workspace_id":"ws_3hT9cVb1Rn","download_count":7,"created_at":"2026-11-24T10:15:00Z","expired_at":"2026-12-01T10:15:00Z"}}`
	c.ok(req{method: "POST", path: "/v1/events", body: strings.Replace(published, "GID", gid, 1)}, http.StatusAccepted)
	delivered := received()
	res := c.do(req{method: "GET", path: "/v1/events/evt_get-me_1"})
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET the event: %d %s: %s", res.status, res.header.Get("Content-Type"), res.body)
	}
	if !bytes.Equal(res.body, delivered) {
		t.Errorf("the event\n  %s\nis not the body delivered\n  %s", res.body, delivered)
	}
	ev := decode(t, res.body)
	if ev["id"] != "evt_get-me_1" || ev["type"] != "transfer.expired" || ev["group_id"] != gid ||
		field[map[string]any](t, ev, "data")["transfer_id"] != "tr_8fK2mQ7xLp" || field[string](t, ev, "created_at") == "" {
		t.Errorf("the event: %v", ev)
	}

	// A test event, of no event the client published, is an event too.
	test := c.ok(req{method: "POST", path: "/v1/webhooks/" + wh + "/test", body: map[string]any{}}, http.StatusOK)
	delivered = received()
	d := c.ok(req{method: "GET", path: "/v1/deliveries/" + field[string](t, test, "delivery_id")}, http.StatusOK)
	if res := c.do(req{method: "GET", path: "/v1/events/" + field[string](t, d, "event_id")}); res.status != http.StatusOK || !bytes.Equal(res.body, delivered) {
		t.Errorf("the test event: %d\n  %s\nwant the body delivered\n  %s", res.status, res.body, delivered)
	}

	for _, tc := range []struct {
		name           string
		req            req
		status         int
		code, pointer  string
		detail         string
		invalidRequest bool
	}{
		{"unknown", req{method: "GET", path: "/v1/events/evt_nope"}, 404, "not_found", "",
			`event "evt_nope" not found; an event is deleted with its last delivery, once that is past the retention period`, false},
		{"a delivery id", req{method: "GET", path: "/v1/events/dlv_abc"}, 400, "bad_request", "#/event_id",
			`must be an event id such as evt_0123456789abcdefghij ("evt_" then 1 to 64 letters, digits, "_" or "-"), got "dlv_abc"`, true},
		{"too long", req{method: "GET", path: "/v1/events/evt_" + strings.Repeat("a", 65)}, 400, "bad_request", "#/event_id",
			`must be an event id such as evt_0123456789abcdefghij ("evt_" then 1 to 64 letters, digits, "_" or "-"), got "evt_` + strings.Repeat("a", 65) + `"`, true},
		{"empty", req{method: "GET", path: "/v1/events/"}, 400, "bad_request", "#/event_id",
			`must be an event id such as evt_0123456789abcdefghij ("evt_" then 1 to 64 letters, digits, "_" or "-"), got ""`, true},
		{"delete", req{method: "DELETE", path: "/v1/events/evt_get-me_1"}, 405, "method_not_allowed", "",
			"DELETE is not allowed on /v1/events/evt_get-me_1; allowed: GET, HEAD", true},
		{"no key", req{method: "GET", path: "/v1/events/evt_get-me_1", noAuth: true}, 401, "unauthorized", "",
			"missing API key: send it as `Authorization: Bearer <api key>`", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, s)
			tc.req.invalid = tc.invalidRequest
			p := c.problem(tc.req, tc.status, tc.code)
			if tc.pointer == "" {
				if p.Detail != tc.detail {
					t.Errorf("detail\n  %q\nwant\n  %q", p.Detail, tc.detail)
				}
				return
			}
			if len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer || p.Errors[0].Detail != tc.detail {
				t.Errorf("errors %+v, want one at %s: %q", p.Errors, tc.pointer, tc.detail)
			}
			if want := "path parameter event_id " + tc.detail; p.Detail != want {
				t.Errorf("detail\n  %q\nwant\n  %q", p.Detail, want)
			}
		})
	}
}
