package delivery_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

type problemJSON struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// A retrying delivery can be tried again at once: one manual attempt, and
// a delivery that is not terminal cannot be replayed.
func TestManualRetryOfRetryingDelivery(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, func(n int) (int, http.Header) {
		if n == 1 {
			return 500, nil
		}
		return 200, nil
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}})
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "a retry", func() bool { return e.deliveries(wh.ID, "")[0].Status == "retrying" })
	d := e.deliveries(wh.ID, "")[0]

	var p problemJSON
	e.call("POST", "/v1/deliveries/"+d.ID+"/replay", nil, http.StatusConflict, &p)
	if p.Code != "conflict" || !strings.Contains(p.Detail, "retrying") {
		t.Fatalf("replay of a retrying delivery: %+v", p)
	}
	var queued deliveryJSON
	e.call("POST", "/v1/deliveries/"+d.ID+"/retry", nil, http.StatusAccepted, &queued)
	if queued.ID != d.ID {
		t.Fatalf("retry answered %+v", queued)
	}
	eventually(t, "the manual attempt", func() bool { return e.delivery(d.ID).Status == "succeeded" })
	got := e.delivery(d.ID)
	if len(got.Attempts) != 2 || got.Attempts[0].Trigger != "scheduled" || got.Attempts[1].Trigger != "manual" || rcv.count() != 2 {
		t.Fatalf("attempts %+v after %d requests", got.Attempts, rcv.count())
	}
	e.call("POST", "/v1/deliveries/"+d.ID+"/retry", nil, http.StatusConflict, &p)
	if !strings.Contains(p.Detail, "succeeded") {
		t.Fatalf("retry of a succeeded delivery: %+v", p)
	}
	e.call("POST", "/v1/deliveries/dlv_nope/retry", nil, http.StatusNotFound, nil)
	e.call("GET", "/v1/deliveries/dlv_nope", nil, http.StatusNotFound, nil)
}

// 410, the endpoint is fixed, re-enabled, and its dead letter retried.
func TestRetryDeadLetterAfterReEnabling(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, func(n int) (int, http.Header) {
		if n == 1 {
			return http.StatusGone, nil
		}
		return 200, nil
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "the dead letter", func() bool { return e.deliveries(wh.ID, "")[0].Status == "dead_lettered" })
	eventually(t, "auto-disable", func() bool {
		var got webhook
		e.call("GET", "/v1/webhooks/"+wh.ID, nil, 200, &got)
		return got.Status == "auto_disabled"
	})
	d := e.deliveries(wh.ID, "")[0]

	// A manual attempt would only be canceled: refused, with the way out.
	var p problemJSON
	e.call("POST", "/v1/deliveries/"+d.ID+"/retry", nil, http.StatusConflict, &p)
	if !strings.Contains(p.Detail, `"status": "active"`) {
		t.Fatalf("retry while auto-disabled: %+v", p)
	}
	e.call("POST", "/v1/deliveries/"+d.ID+"/replay", nil, http.StatusConflict, nil)

	e.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"status": "active"}, 200, nil)
	e.call("POST", "/v1/deliveries/"+d.ID+"/retry", nil, http.StatusAccepted, nil)
	eventually(t, "the retried dead letter", func() bool { return e.delivery(d.ID).Status == "succeeded" })
	if got := e.delivery(d.ID); len(got.Attempts) != 2 || got.Attempts[1].Trigger != "manual" {
		t.Fatalf("attempts %+v", got.Attempts)
	}
}

// A failed test delivery is dead-lettered at once and can be retried, even
// while the webhook is inactive.
func TestRetryFailedTestDelivery(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, func(n int) (int, http.Header) {
		if n == 1 {
			return 500, nil
		}
		return 200, nil
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}, "active": false})
	var res struct {
		DeliveryID string `json:"delivery_id"`
		Succeeded  bool   `json:"succeeded"`
	}
	e.call("POST", "/v1/webhooks/"+wh.ID+"/test", nil, 200, &res)
	if res.Succeeded || e.delivery(res.DeliveryID).Status != "dead_lettered" {
		t.Fatalf("test %+v", res)
	}
	e.call("POST", "/v1/deliveries/"+res.DeliveryID+"/retry", nil, http.StatusAccepted, nil)
	eventually(t, "the retried test", func() bool { return e.delivery(res.DeliveryID).Status == "succeeded" })
	if got := rcv.get(1); got.header.Get("Hookd-Test-Delivery") != "true" || got.header.Get("Hookd-Attempt") != "2" {
		t.Fatalf("retried test headers %v", got.header)
	}
}

// Two attempts of one delivery never overlap: a manual retry while the
// scheduled attempt runs is refused.
func TestOneAttemptAtATime(t *testing.T) {
	g := newGate()
	defer g.open()
	e := newEnv(t)
	rcv := newReceiver(t, func(n int) (int, http.Header) {
		if n == 1 {
			return 500, nil
		}
		g.wait()
		return 200, nil
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}})
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "a retry", func() bool { return e.deliveries(wh.ID, "")[0].Status == "retrying" })
	d := e.deliveries(wh.ID, "")[0]
	e.advance(5 * time.Second)
	eventually(t, "attempt 2 to be running", func() bool { return rcv.count() == 2 })

	var p problemJSON
	e.call("POST", "/v1/deliveries/"+d.ID+"/retry", nil, http.StatusConflict, &p)
	if !strings.Contains(p.Detail, "running") {
		t.Fatalf("retry during an attempt: %+v", p)
	}
	g.open()
	eventually(t, "attempt 2 to finish", func() bool { return e.delivery(d.ID).Status == "succeeded" })
	if got := e.delivery(d.ID); rcv.count() != 2 || len(got.Attempts) != 2 {
		t.Fatalf("%d requests, attempts %+v", rcv.count(), got.Attempts)
	}
}

// Deactivating or deleting a webhook cancels its remaining work; the
// deliveries stay readable.
func TestDeactivateAndDeleteCancel(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, always(500))
	off := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}})
	gone := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}})
	if n := e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")}); n != 2 {
		t.Fatalf("%d deliveries", n)
	}
	eventually(t, "both to retry", func() bool {
		return e.deliveries(off.ID, "")[0].Status == "retrying" && e.deliveries(gone.ID, "")[0].Status == "retrying"
	})
	goneDelivery := e.deliveries(gone.ID, "")[0].ID

	e.call("PATCH", "/v1/webhooks/"+off.ID, map[string]any{"active": false}, 200, nil)
	if d := e.deliveries(off.ID, "")[0]; d.Status != "canceled" || d.NextAttemptAt != nil {
		t.Fatalf("delivery of a deactivated webhook: %+v", d)
	}
	e.call("DELETE", "/v1/webhooks/"+gone.ID, nil, http.StatusNoContent, nil)
	if d := e.delivery(goneDelivery); d.Status != "canceled" || d.NextAttemptAt != nil {
		t.Fatalf("delivery of a deleted webhook: %+v", d)
	}
	e.call("GET", "/v1/webhooks/"+gone.ID+"/deliveries", nil, http.StatusNotFound, nil)
	var p problemJSON
	e.call("POST", "/v1/deliveries/"+goneDelivery+"/replay", nil, http.StatusConflict, &p)
	if !strings.Contains(p.Detail, "deleted") {
		t.Fatalf("replay for a deleted webhook: %+v", p)
	}
	if rcv.count() != 2 {
		t.Fatalf("%d requests, want the 2 first attempts only", rcv.count())
	}
}

// The deliveries list filters by status, event type, test flag and
// creation time, and rejects filters it does not know.
func TestListDeliveriesFilters(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, always(200))
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}})
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "delivery 1", func() bool { return rcv.count() == 1 })
	e.advance(time.Minute)
	e.publish(map[string]any{"type": "workspace.created", "data": e.example("workspace.created")})
	eventually(t, "delivery 2", func() bool { return rcv.count() == 2 })
	e.advance(time.Minute)
	e.call("POST", "/v1/webhooks/"+wh.ID+"/test", map[string]any{"event_type": "api_key.created"}, 200, nil)
	eventually(t, "both to succeed", func() bool { return len(e.deliveries(wh.ID, "?status=succeeded&is_test=false")) == 2 })

	cases := map[string]int{
		"":                                     3,
		"?event_type=workspace.created":        1,
		"?is_test=true":                        1,
		"?status=pending":                      0,
		"?created_before=2026-11-24T12:00:30Z": 1,
		"?created_after=2026-11-24T12:00:30Z":  2,
		"?limit=1":                             1,
		"?status=succeeded&event_type=api_key.created": 1,
	}
	for q, want := range cases {
		if got := e.deliveries(wh.ID, q); len(got) != want {
			t.Errorf("%q: %d deliveries, want %d", q, len(got), want)
		}
	}
	newest := e.deliveries(wh.ID, "")
	if newest[0].EventType != "api_key.created" || newest[2].EventType != "transfer.created" {
		t.Errorf("not newest first: %s, %s, %s", newest[0].EventType, newest[1].EventType, newest[2].EventType)
	}
	var p problemJSON
	e.callInvalid("GET", "/v1/webhooks/"+wh.ID+"/deliveries?created_after=yesterday", nil, http.StatusUnprocessableEntity, &p)
	if p.Code != "validation_failed" || !strings.Contains(p.Detail, "RFC 3339") {
		t.Errorf("bad created_after: %+v", p)
	}
}
