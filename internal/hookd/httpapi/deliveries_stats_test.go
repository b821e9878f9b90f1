package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// statsBucket is one bucket of GET /v1/webhooks/{id}/deliveries/stats.
type statsBucket struct {
	start                                                time.Time
	pending, retrying, succeeded, deadLettered, canceled int
}

func (c *client) stats(path string) (since, until time.Time, buckets []statsBucket) {
	c.t.Helper()
	out := c.ok(req{method: "GET", path: path}, http.StatusOK)
	parse := func(v any) time.Time {
		t, err := time.Parse(time.RFC3339, as[string](c.t, v))
		if err != nil {
			c.t.Fatal(err)
		}
		return t
	}
	if out["interval"] != "hour" {
		c.t.Errorf("GET %s: interval %v", path, out["interval"])
	}
	for _, b := range field[[]any](c.t, out, "data") {
		m := as[map[string]any](c.t, b)
		n := func(k string) int { return int(field[float64](c.t, m, k)) }
		buckets = append(buckets, statsBucket{parse(m["start"]), n("pending"), n("retrying"), n("succeeded"), n("dead_lettered"), n("canceled")})
	}
	return parse(out["since"]), parse(out["until"]), buckets
}

// A webhook's deliveries per hour of creation and status: one bucket per
// hour from since to until (excluded), empty hours included, each status
// counted; other webhooks' deliveries are not. Without parameters, the
// last 24 hours, the current one included.
func TestDeliveryStats(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 59, 59, 0, time.UTC)
	s := hookdtest.Start(t, hookdtest.WithClock(clockwork.NewFakeClockAt(now)))
	c := newClient(t, s)
	// Receivers that are never called: no delivery below is due.
	wh := field[string](t, c.createAccountWebhook(map[string]any{"url": "http://127.0.0.1:9/a", "events": []string{"transfer.created"}}), "id")
	other := field[string](t, c.createAccountWebhook(map[string]any{"url": "http://127.0.0.1:9/b", "events": []string{"transfer.created"}}), "id")
	day := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) // 24 hours before the end of the current hour
	var ds []store.Delivery
	add := func(webhook, status string, at time.Time) {
		ds = append(ds, store.Delivery{ID: fmt.Sprintf("dlv_stats%d", len(ds)), WebhookID: webhook, EventID: "evt_stats", EventType: "transfer.created",
			Status: status, MaxAttempts: 12, CreatedAt: at, DeadlineAt: at.Add(72 * time.Hour), Trigger: store.TriggerEvent})
	}
	add(wh, store.DeliverySucceeded, day.Add(-time.Microsecond)) // before the day
	add(wh, store.DeliverySucceeded, day)
	add(wh, store.DeliverySucceeded, day.Add(59*time.Minute))
	add(wh, store.DeliveryDeadLettered, day.Add(30*time.Minute))
	for _, status := range store.DeliveryStatuses {
		add(wh, status, day.Add(5*time.Hour+time.Minute))
	}
	add(wh, store.DeliveryRetrying, day.Add(24*time.Hour-time.Microsecond)) // the last of the current hour
	add(wh, store.DeliverySucceeded, day.Add(24*time.Hour))                 // the next hour
	add(other, store.DeliverySucceeded, day)
	ev := &store.Event{ID: "evt_stats", Type: "transfer.created", Body: []byte(`{}`), CreatedAt: day}
	if _, err := s.Store.CreateEvent(t.Context(), ev, ds); err != nil {
		t.Fatal(err)
	}

	base := "/v1/webhooks/" + wh + "/deliveries/stats"
	since, until, buckets := c.stats(base)
	if !since.Equal(day) || !until.Equal(day.Add(24*time.Hour)) || len(buckets) != 24 {
		t.Fatalf("default range %s to %s, %d buckets; want %s to %s, 24", since, until, len(buckets), day, day.Add(24*time.Hour))
	}
	want := map[int]statsBucket{
		0:  {succeeded: 2, deadLettered: 1},
		5:  {pending: 1, retrying: 1, succeeded: 1, deadLettered: 1, canceled: 1},
		23: {retrying: 1},
	}
	for i, b := range buckets {
		if !b.start.Equal(day.Add(time.Duration(i) * time.Hour)) {
			t.Errorf("bucket %d starts at %s", i, b.start)
		}
		w := want[i]
		w.start = b.start
		if b != w {
			t.Errorf("bucket %d (%s): %+v, want %+v", i, b.start.Format("15:04"), b, w)
		}
	}

	for _, tc := range []struct {
		query        string
		since, until time.Time
	}{
		// Any offset, on an hour of UTC.
		{"?since=" + url.QueryEscape("2026-12-01T11:00:00+01:00") + "&until=2026-12-01T12:00:00Z&interval=hour", day, day.Add(2 * time.Hour)},
		{"?since=2026-12-01T15:00:00Z", day.Add(5 * time.Hour), day.Add(24 * time.Hour)},
		{"?until=2026-12-02T11:00:00Z", day.Add(time.Hour), day.Add(25 * time.Hour)},
		{"?since=2026-11-25T11:00:00Z&until=2026-12-02T11:00:00Z", day.Add(-143 * time.Hour), day.Add(25 * time.Hour)}, // 168 hours, the most
	} {
		since, until, buckets := c.stats(base + tc.query)
		if !since.Equal(tc.since) || !until.Equal(tc.until) || len(buckets) != int(until.Sub(since)/time.Hour) {
			t.Errorf("%s: %s to %s in %d buckets, want %s to %s", tc.query, since, until, len(buckets), tc.since, tc.until)
		}
		total := 0
		for _, b := range buckets {
			total += b.pending + b.retrying + b.succeeded + b.deadLettered + b.canceled
		}
		wantTotal := 0
		for _, d := range ds {
			if d.WebhookID == wh && !d.CreatedAt.Before(tc.since) && d.CreatedAt.Before(tc.until) {
				wantTotal++
			}
		}
		if total != wantTotal {
			t.Errorf("%s: %d deliveries counted, want %d", tc.query, total, wantTotal)
		}
	}
}

// Every bad parameter is a problem naming it and saying what to send.
func TestDeliveryStatsBadInput(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 59, 59, 0, time.UTC)
	s := hookdtest.Start(t, hookdtest.WithClock(clockwork.NewFakeClockAt(now)))
	c := newClient(t, s)
	wh := field[string](t, c.createAccountWebhook(map[string]any{"url": "http://127.0.0.1:9/a", "events": []string{"*"}}), "id")
	base := "/v1/webhooks/" + wh + "/deliveries/stats"
	for _, tc := range []struct {
		name, path     string
		status         int
		code, pointer  string
		detail         string
		invalidRequest bool // outside the contract's schema
	}{
		{"since not a time", base + "?since=yesterday", 422, "validation_failed", "#/since",
			`must be an RFC 3339 time on the hour such as 2026-01-02T15:00:00Z, got "yesterday"`, true},
		{"until empty", base + "?until=", 422, "validation_failed", "#/until",
			`must be an RFC 3339 time on the hour such as 2026-01-02T15:00:00Z, got ""`, true},
		{"since not on the hour", base + "?since=2026-12-01T10:30:00Z", 422, "validation_failed", "#/since",
			`must be on the hour (UTC), as the counts are per hour; got "2026-12-01T10:30:00Z": use 2026-12-01T10:00:00Z or 2026-12-01T11:00:00Z`, false},
		{"until on the hour of another zone", base + "?until=" + url.QueryEscape("2026-12-02T10:00:00+05:30"), 422, "validation_failed", "#/until",
			`must be on the hour (UTC), as the counts are per hour; got "2026-12-02T10:00:00+05:30": use 2026-12-02T04:00:00Z or 2026-12-02T05:00:00Z`, false},
		{"until before since", base + "?since=2026-12-01T10:00:00Z&until=2026-12-01T09:00:00Z", 422, "validation_failed", "#/until",
			"must be after since (2026-12-01T10:00:00Z), got 2026-12-01T09:00:00Z", false},
		{"until equal to since", base + "?since=2026-12-01T10:00:00Z&until=2026-12-01T10:00:00Z", 422, "validation_failed", "#/until",
			"must be after since (2026-12-01T10:00:00Z), got 2026-12-01T10:00:00Z", false},
		{"more than 7 days", base + "?since=2026-11-25T09:00:00Z&until=2026-12-02T10:00:00Z", 422, "validation_failed", "#/since",
			"is 169 hours before until; at most 168 hours (7 days) are counted at once: set since to 2026-11-25T10:00:00Z or later, or ask for the rest in another call", false},
		{"more than 7 days by default until", base + "?since=2026-11-01T00:00:00Z", 422, "validation_failed", "#/since",
			"is 754 hours before until; at most 168 hours (7 days) are counted at once: set since to 2026-11-25T10:00:00Z or later, or ask for the rest in another call", false},
		{"since past what hookd stores", base + "?since=2610-01-01T00:00:00Z", 422, "validation_failed", "#/since",
			`must be between 1677-09-21T00:12:43Z and 2262-04-11T23:47:16Z (the times hookd can store), got "2610-01-01T00:00:00Z"`, false},
		{"another interval", base + "?interval=day", 422, "validation_failed", "#/interval",
			`must be "hour" (the only interval so far), got "day"`, true},
		{"unknown webhook", "/v1/webhooks/wh_nope/deliveries/stats", 404, "not_found", "",
			`webhook "wh_nope" not found`, false},
		{"a group id", "/v1/webhooks/grp_abc/deliveries/stats", 400, "bad_request", "#/webhook_id",
			`must be a webhook id such as wh_0123456789abcdefghij, got "grp_abc"`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, s)
			p := c.problem(req{method: "GET", path: tc.path, invalid: tc.invalidRequest}, tc.status, tc.code)
			if tc.pointer == "" {
				if p.Detail != tc.detail {
					t.Errorf("detail\n  %q\nwant\n  %q", p.Detail, tc.detail)
				}
				return
			}
			if len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer || p.Errors[0].Detail != tc.detail {
				t.Errorf("errors %+v\nwant one at %s:\n  %q", p.Errors, tc.pointer, tc.detail)
			}
			want := strings.TrimPrefix(tc.pointer, "#/") + ": " + tc.detail
			if tc.status == 400 {
				want = "path parameter " + strings.TrimPrefix(tc.pointer, "#/") + " " + tc.detail
			}
			if p.Detail != want {
				t.Errorf("detail\n  %q\nwant\n  %q", p.Detail, want)
			}
		})
	}
	// Only a GET.
	c.problem(req{method: "POST", path: base, body: map[string]any{}, invalid: true}, 405, "method_not_allowed")
}
