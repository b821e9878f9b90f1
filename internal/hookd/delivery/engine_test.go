package delivery_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// The whole retry schedule on a fake clock: 12 attempts at the documented
// gaps, then dead letter and the webhook.delivery_failed_final event.
func TestRetryScheduleToDeadLetter(t *testing.T) {
	e := newEnv(t)
	failing := newReceiver(t, always(500))
	watcher := newReceiver(t, always(200))
	wh := e.webhook("account", map[string]any{"url": failing.URL, "events": []string{"transfer.created"}})
	e.webhook("account", map[string]any{"url": watcher.URL, "events": []string{"webhook.delivery_failed_final"}})
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})

	gaps := []time.Duration{5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, time.Hour,
		2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 18 * time.Hour, 24 * time.Hour}
	eventually(t, "attempt 1", func() bool { return failing.count() == 1 })
	for i, gap := range gaps {
		eventually(t, "the retry to be scheduled", func() bool {
			ds := e.deliveries(wh.ID, "")
			return ds[0].AttemptCount == i+1 && ds[0].Status == "retrying"
		})
		ds := e.deliveries(wh.ID, "")
		if want := e.clock.Now().Add(gap); !ds[0].NextAttemptAt.Equal(want) {
			t.Fatalf("after attempt %d: next at %v, want %v", i+1, ds[0].NextAttemptAt, want)
		}
		e.advance(gap - time.Millisecond)
		if failing.count() != i+1 {
			t.Fatalf("attempt %d ran early", i+2)
		}
		e.advance(time.Millisecond)
		eventually(t, fmt.Sprintf("attempt %d", i+2), func() bool { return failing.count() == i+2 })
	}
	// Every attempt sends the same bytes under the same webhook-id, signed
	// anew at its own time.
	first := failing.get(0)
	for i := range failing.count() {
		r := failing.get(i)
		if string(r.body) != string(first.body) || r.header.Get("Webhook-Id") != first.header.Get("Webhook-Id") || r.header.Get("Hookd-Attempt") != strconv.Itoa(i+1) {
			t.Fatalf("attempt %d differs: webhook-id %q, Hookd-Attempt %q, body %s", i+1, r.header.Get("Webhook-Id"), r.header.Get("Hookd-Attempt"), r.body)
		}
	}
	if last := failing.get(11); last.header.Get("Webhook-Timestamp") == first.header.Get("Webhook-Timestamp") {
		t.Error("the last attempt carries the first attempt's timestamp")
	}
	eventually(t, "the dead letter", func() bool { return e.deliveries(wh.ID, "")[0].Status == "dead_lettered" })
	d := e.deliveries(wh.ID, "")[0]
	if d.AttemptCount != 12 || d.NextAttemptAt != nil || d.LastError == nil || *d.LastError != "http_error" {
		t.Fatalf("dead letter %+v", d)
	}
	eventually(t, "webhook.delivery_failed_final", func() bool { return watcher.count() == 1 })
	var final struct {
		Type string `json:"type"`
		Data struct {
			WebhookID    string `json:"webhook_id"`
			DeliveryID   string `json:"delivery_id"`
			AttemptCount int    `json:"attempt_count"`
		} `json:"data"`
	}
	if err := json.Unmarshal(watcher.get(0).body, &final); err != nil {
		t.Fatal(err)
	}
	if final.Type != "webhook.delivery_failed_final" || final.Data.WebhookID != wh.ID || final.Data.DeliveryID != d.ID || final.Data.AttemptCount != 12 {
		t.Fatalf("final event %+v", final)
	}
}

func TestScheduleJitterDeadlineRetryAfter(t *testing.T) {
	deadline := start.Add(delivery.Budget)
	for _, j := range []float64{-1, 0, 0.999} {
		s := delivery.Schedule{Jitter: func() float64 { return j }}
		next, ok := s.Next(3, start, deadline, 0)
		gap := next.Sub(start)
		if !ok || gap < 4*time.Minute+30*time.Second || gap > 5*time.Minute+30*time.Second {
			t.Errorf("jitter %v: gap %v outside ±10%% of 5m", j, gap)
		}
	}
	s := delivery.Schedule{Jitter: func() float64 { return 0 }}
	if next, _ := s.Next(1, start, deadline, 90*time.Second); next.Sub(start) != 90*time.Second {
		t.Errorf("Retry-After 90s: gap %v", next.Sub(start))
	}
	if next, _ := s.Next(1, start, deadline, time.Second); next.Sub(start) != 5*time.Second {
		t.Errorf("Retry-After shorter than the schedule: gap %v", next.Sub(start))
	}
	if next, ok := s.Next(11, deadline.Add(-time.Hour), deadline, 0); !ok || !next.Equal(deadline) {
		t.Errorf("near the deadline: %v %v, want the deadline", next, ok)
	}
	if next, ok := s.Next(2, deadline.Add(-time.Hour), deadline, 5*time.Hour); !ok || !next.Equal(deadline) {
		t.Errorf("a Retry-After past the deadline: %v %v, want the deadline", next, ok)
	}
	if _, ok := s.Next(5, deadline, deadline, 0); ok {
		t.Error("scheduled past the deadline")
	}
	if _, ok := s.Next(12, start, deadline, 0); ok {
		t.Error("scheduled a 13th attempt")
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, func(n int) (int, http.Header) {
		if n == 1 {
			return 503, http.Header{"Retry-After": {"600"}}
		}
		return 200, nil
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}})
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "a retry", func() bool { return e.deliveries(wh.ID, "")[0].Status == "retrying" })
	if next := e.deliveries(wh.ID, "")[0].NextAttemptAt; !next.Equal(start.Add(10 * time.Minute)) {
		t.Fatalf("next attempt %v, want 10 minutes later", next)
	}
	e.advance(10 * time.Minute)
	eventually(t, "success", func() bool { return e.deliveries(wh.ID, "")[0].Status == "succeeded" })
}

func TestGoneAutoDisables(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, always(http.StatusGone))
	watcher := newReceiver(t, always(200))
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"transfer.*"}})
	e.webhook("account", map[string]any{"url": watcher.URL, "events": []string{"webhook.endpoint_disabled"}})
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "auto-disable", func() bool {
		var got webhook
		e.call("GET", "/v1/webhooks/"+wh.ID, nil, 200, &got)
		return got.Status == "auto_disabled" && got.Reason != nil && strings.Contains(*got.Reason, "410")
	})
	if d := e.deliveries(wh.ID, "")[0]; d.Status != "dead_lettered" || d.AttemptCount != 1 {
		t.Fatalf("delivery after 410: %+v", d)
	}
	eventually(t, "webhook.endpoint_disabled", func() bool { return watcher.count() == 1 })
	// A disabled endpoint receives nothing more.
	if n := e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")}); n != 0 {
		t.Fatalf("%d deliveries to a disabled endpoint", n)
	}
	// `active` stays the user's; PATCH status re-enables.
	var got map[string]any
	e.call("GET", "/v1/webhooks/"+wh.ID, nil, 200, &got)
	if got["active"] != true {
		t.Fatalf("active = %v after auto-disable", got["active"])
	}
	e.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"active": true}, 200, &got)
	if got["status"] != "auto_disabled" {
		t.Fatalf("PATCH active re-enabled: %v", got["status"])
	}
	e.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"status": "active"}, 200, &got)
	if got["status"] != "active" || got["disabled_reason"] != nil {
		t.Fatalf("PATCH status: %v %v", got["status"], got["disabled_reason"])
	}
}

func TestThreeDeadLettersAutoDisable(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, always(500))
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	for range 3 {
		e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	}
	// 3 deliveries × 12 attempts; jump to the deadline in big steps.
	for i := 0; i < 40; i++ {
		var got webhook
		e.call("GET", "/v1/webhooks/"+wh.ID, nil, 200, &got)
		if got.Status == "auto_disabled" {
			if got.Reason == nil || !strings.Contains(*got.Reason, "3 consecutive") {
				t.Fatalf("reason %v", got.Reason)
			}
			return
		}
		eventually(t, "the deliveries to settle", func() bool {
			for _, d := range e.deliveries(wh.ID, "") {
				if d.Status == "pending" {
					return false
				}
			}
			return true
		})
		e.advance(25 * time.Hour)
	}
	t.Fatal("never auto-disabled")
}

// Replays keep the event id (webhook-id) and the exact body; a test
// delivery is marked as such.
func TestReplayAndTest(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, always(200))
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "delivery", func() bool { return rcv.count() == 1 })
	orig := e.deliveries(wh.ID, "")[0]
	eventually(t, "success", func() bool { return e.delivery(orig.ID).Status == "succeeded" })

	var replay deliveryJSON
	e.call("POST", "/v1/deliveries/"+orig.ID+"/replay", nil, http.StatusAccepted, &replay)
	if replay.Trigger != "replay" || replay.ReplayOf == nil || *replay.ReplayOf != orig.ID || replay.EventID != orig.EventID {
		t.Fatalf("replay %+v", replay)
	}
	eventually(t, "the replay", func() bool { return rcv.count() == 2 })
	first, second := rcv.get(0), rcv.get(1)
	if first.header.Get("Webhook-Id") != second.header.Get("Webhook-Id") || string(first.body) != string(second.body) {
		t.Fatalf("replay differs: %q vs %q", first.header.Get("Webhook-Id"), second.header.Get("Webhook-Id"))
	}
	// A non-terminal delivery cannot be replayed, a succeeded one not retried.
	e.call("POST", "/v1/deliveries/"+orig.ID+"/retry", nil, http.StatusConflict, nil)

	// Test deliveries work while inactive and are never retried.
	e.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"active": false}, 200, nil)
	var res struct {
		DeliveryID         string  `json:"delivery_id"`
		Succeeded          bool    `json:"succeeded"`
		ResponseStatusCode *int    `json:"response_status_code"`
		Error              *string `json:"error"`
	}
	e.call("POST", "/v1/webhooks/"+wh.ID+"/test", map[string]any{}, 200, &res)
	if !res.Succeeded || res.ResponseStatusCode == nil || *res.ResponseStatusCode != 200 {
		t.Fatalf("test result %+v", res)
	}
	got := rcv.get(2)
	if got.header.Get("Hookd-Test-Delivery") != "true" {
		t.Error("test delivery lacks Hookd-Test-Delivery: true")
	}
	tests := e.deliveries(wh.ID, "?is_test=true")
	if len(tests) != 1 || tests[0].ID != res.DeliveryID || !tests[0].IsTest || tests[0].Trigger != "test" {
		t.Fatalf("test deliveries %+v", tests)
	}
}

func TestFailedTestDelivery(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, always(500))
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	var res struct {
		Succeeded          bool    `json:"succeeded"`
		ResponseStatusCode *int    `json:"response_status_code"`
		Error              *string `json:"error"`
		DeliveryID         string  `json:"delivery_id"`
	}
	e.call("POST", "/v1/webhooks/"+wh.ID+"/test", map[string]any{"event_type": "workspace.created"}, 200, &res)
	if res.Succeeded || *res.ResponseStatusCode != 500 || *res.Error != "http_error" {
		t.Fatalf("test result %+v", res)
	}
	if d := e.delivery(res.DeliveryID); d.Status != "dead_lettered" || d.EventType != "workspace.created" {
		t.Fatalf("failed test delivery %+v", d)
	}
	e.advance(time.Hour)
	if rcv.count() != 1 {
		t.Fatalf("a test delivery was retried: %d requests", rcv.count())
	}
}

// Group webhooks get only their group's events; inactive webhooks nothing.
func TestFanOut(t *testing.T) {
	e := newEnv(t)
	acct, g1rcv, g2rcv, off := newReceiver(t, always(200)), newReceiver(t, always(200)), newReceiver(t, always(200)), newReceiver(t, always(200))
	var g1, g2 struct {
		ID string `json:"id"`
	}
	e.call("POST", "/v1/groups", map[string]any{"name": "one"}, 201, &g1)
	e.call("POST", "/v1/groups", map[string]any{"name": "two"}, 201, &g2)
	e.webhook("account", map[string]any{"url": acct.URL, "events": []string{"*"}})
	e.webhook("group/"+g1.ID, map[string]any{"url": g1rcv.URL, "events": []string{"transfer.*"}})
	e.webhook("group/"+g2.ID, map[string]any{"url": g2rcv.URL, "events": []string{"transfer.created"}})
	e.webhook("account", map[string]any{"url": off.URL, "events": []string{"*"}, "active": false})

	if n := e.publish(map[string]any{"type": "transfer.created", "group_id": g1.ID, "data": e.example("transfer.created")}); n != 2 {
		t.Fatalf("group one event: %d deliveries, want account + group one", n)
	}
	if n := e.publish(map[string]any{"type": "workspace.created", "group_id": g2.ID, "data": e.example("workspace.created")}); n != 1 {
		t.Fatalf("group two workspace event: %d deliveries, want the account webhook only", n)
	}
	if n := e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")}); n != 1 {
		t.Fatalf("event of no group: %d deliveries", n)
	}
	eventually(t, "deliveries", func() bool { return acct.count() == 3 && g1rcv.count() == 1 })
	if g2rcv.count() != 0 || off.count() != 0 {
		t.Fatalf("group two got %d, inactive got %d", g2rcv.count(), off.count())
	}
	var body struct {
		GroupID string `json:"group_id"`
	}
	_ = json.Unmarshal(g1rcv.get(0).body, &body)
	if body.GroupID != g1.ID {
		t.Fatalf("group_id in body %q", body.GroupID)
	}
}

func TestEventValidation(t *testing.T) {
	e := newEnv(t)
	var p struct {
		Code   string `json:"code"`
		Errors []struct {
			Pointer string `json:"pointer"`
			Detail  string `json:"detail"`
		} `json:"errors"`
	}
	e.call("POST", "/v1/events", map[string]any{"type": "transfer.craeted", "data": map[string]any{}}, 422, &p)
	if p.Errors[0].Pointer != "/type" || !strings.Contains(p.Errors[0].Detail, `did you mean "transfer.created"`) {
		t.Fatalf("unknown type: %+v", p)
	}
	e.call("POST", "/v1/events", map[string]any{"type": "transfer.created", "data": map[string]any{}}, 422, &p)
	if len(p.Errors) == 0 || !strings.HasPrefix(p.Errors[0].Pointer, "/data") {
		t.Fatalf("invalid data: %+v", p)
	}
	e.call("POST", "/v1/events", map[string]any{"type": "transfer.created", "group_id": "grp_nope", "data": e.example("transfer.created")}, 404, nil)
	// A client id makes publishing idempotent; other content under it is a conflict.
	body := map[string]any{"id": "evt_mine", "type": "transfer.created", "data": e.example("transfer.created")}
	var first, again map[string]any
	e.call("POST", "/v1/events", body, 202, &first)
	e.call("POST", "/v1/events", body, 202, &again)
	if first["event_id"] != "evt_mine" || again["event_id"] != "evt_mine" {
		t.Fatalf("%v %v", first, again)
	}
	body["type"] = "workspace.created"
	body["data"] = e.example("workspace.created")
	e.call("POST", "/v1/events", body, 409, nil)
}

// Without --allow-private-destinations, a name that resolves to loopback
// is refused when dialled, whatever the API saw.
func TestRefusedPrivateDestination(t *testing.T) {
	e := newEnv(t, hookdtest.WithConfig(func(c *server.Config) { c.AllowPrivateDestinations = false }))
	rcv := newReceiver(t, always(200))
	wh := e.webhook("account", map[string]any{"url": "https://hooks.example.com/x", "events": []string{"*"}})
	port := rcv.URL[strings.LastIndex(rcv.URL, ":")+1:]
	if _, err := e.s.Store.UpdateWebhook(t.Context(), wh.ID, func(w *store.Webhook) error {
		w.URL = "http://localhost:" + port + "/x"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "the refusal", func() bool {
		d := e.deliveries(wh.ID, "")[0]
		return d.LastError != nil && *d.LastError == "refused_destination"
	})
	if rcv.count() != 0 {
		t.Fatal("the receiver was reached")
	}
	// The attempt says which address was refused, what it is and how to
	// allow it (localhost may resolve to 127.0.0.1 or ::1 first).
	d := e.delivery(e.deliveries(wh.ID, "")[0].ID)
	got := d.Attempts[0].ResponseBody
	var want []string
	for _, addr := range []string{"127.0.0.1:" + port, "[::1]:" + port} {
		want = append(want, "hookd did not connect: localhost resolved to "+addr+", a loopback address, and this server delivers only to public addresses. Point the webhook at a public address, or start hookd with --allow-private-destinations to deliver to private and loopback addresses (development).")
	}
	if !slices.Contains(want, got) {
		t.Errorf("the refused attempt's response_body\n  %q\nwant one of\n  %q", got, want)
	}
}
