package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// statusFixture stores n succeeded deliveries of wh_a, a microsecond
// apart, and dead dead-lettered ones older than them all (an outage long
// past, which a recovery's confirmation counts), and beside them as many
// deliveries of four other webhooks, a quarter of them dead-lettered;
// all of them listed.
func statusFixture(t testing.TB, s *DB, n, dead int) {
	t.Helper()
	ctx := t.Context()
	others := []string{"wh_b", "wh_c", "wh_d", "wh_e"}
	for _, wh := range append([]string{"wh_a"}, others...) {
		mustCreateWebhook(t, s, minimalWebhook(wh, t0))
	}
	var ds []Delivery
	add := func(wh, status string, k int) {
		created := t0.Add(time.Duration(k) * time.Microsecond)
		ds = append(ds, Delivery{ID: fmt.Sprintf("dlv_%s_%05d", wh, k), WebhookID: wh, EventID: "evt_1", EventType: "transfer.created",
			Status: status, MaxAttempts: 5, CreatedAt: created, DeadlineAt: created.Add(time.Hour), Trigger: TriggerEvent})
	}
	for k := range n + dead {
		status := DeliverySucceeded
		if k < dead {
			status = DeliveryDeadLettered
		}
		add("wh_a", status, k)
	}
	for i := range n + dead {
		status := DeliverySucceeded
		if i%4 == 3 {
			status = DeliveryDeadLettered
		}
		add(others[i%len(others)], status, i)
	}
	for e := 0; len(ds) > 0; e++ {
		batch := ds[:min(len(ds), 500)]
		ds = ds[len(batch):]
		ev := &Event{ID: fmt.Sprintf("evt_%d", e), Type: "transfer.created", Body: []byte(`{}`), CreatedAt: t0}
		for i := range batch {
			batch[i].EventID = ev.ID
		}
		if _, err := s.CreateEvent(ctx, ev, batch); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.listPending(ctx); err != nil {
		t.Fatal(err)
	}
	if testPostgres() {
		if _, err := s.writer.ExecContext(ctx, `ANALYZE deliveries`); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkStatusFilteredListing is the API's GET
// /v1/webhooks/{id}/deliveries?status=dead_lettered&limit=1&include_total=true
// (the console's recover confirmation) at the store: a page of one and the
// count, on a webhook with 11,454 succeeded deliveries and 3 dead letters,
// beside the same without the status.
//
//	go test -run '^$' -bench StatusFilteredListing ./internal/hookd/store/
func BenchmarkStatusFilteredListing(b *testing.B) {
	s := newStore(b)
	statusFixture(b, s, 11454, 3)
	for _, tc := range []struct {
		name string
		f    DeliveryFilter
		want int
	}{
		{"unfiltered", DeliveryFilter{WebhookID: "wh_a"}, 11457},
		{"dead_lettered", DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered}, 3},
		{"recovery", DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered, IsTest: new(bool), CreatedAfter: ptr(t0.Add(-time.Hour)), Unrecovered: true}, 3},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := s.ListDeliveries(b.Context(), tc.f, Page{Limit: 1}); err != nil {
					b.Fatal(err)
				}
				if n, err := s.CountDeliveries(b.Context(), tc.f); err != nil || n != tc.want {
					b.Fatalf("count %d (%v), want %d", n, err, tc.want)
				}
			}
		})
	}
}

// planOf is the query plan of query on either backend, one line per step.
func planOf(t testing.TB, s *DB, query string, args ...any) string {
	t.Helper()
	explain := `EXPLAIN QUERY PLAN `
	if testPostgres() {
		explain = `EXPLAIN `
	}
	rows, err := s.writer.QueryContext(t.Context(), explain+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// A filter by a status of deliveries that did not get through reads
// deliveries_webhook_status, on both databases: its page and its count
// read the deliveries of that status, not every delivery of the webhook.
// A filter by succeeded or pending cannot (the index leaves them out).
func TestStatusFilterQueryPlan(t *testing.T) {
	s := newStore(t)
	statusFixture(t, s, 2000, 3)
	recovery := DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered, IsTest: new(bool), CreatedAfter: ptr(t0.Add(-time.Hour)), Unrecovered: true}
	for _, tc := range []struct {
		name    string
		f       DeliveryFilter
		indexed bool
	}{
		{"dead-lettered", DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered}, true},
		{"retrying", DeliveryFilter{WebhookID: "wh_a", Status: DeliveryRetrying}, true},
		{"recovery", recovery, true},
		{"canceled", DeliveryFilter{WebhookID: "wh_a", Status: DeliveryCanceled}, true},
		{"succeeded", DeliveryFilter{WebhookID: "wh_a", Status: DeliverySucceeded}, false},
		{"pending", DeliveryFilter{WebhookID: "wh_a", Status: DeliveryPending}, false},
	} {
		plans := map[string]string{}
		// The first page, and one deeper (a recovery's, Older on the
		// console): two bounds on created_at when the filter has one.
		for what, cursor := range map[string]string{"list": "", "a deeper page": encodeCursor("deliveries", t0.Add(time.Second), "dlv_x")} {
			list, listArgs, err := listDeliveriesQuery(s.dialect, tc.f, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			plans[what] = planOf(t, s, list, listArgs...)
		}
		count, countArgs := countDeliveriesQuery(s.dialect, tc.f)
		plans["count"] = planOf(t, s, count, countArgs...)
		for what, plan := range plans {
			if strings.Contains(plan, "deliveries_webhook_status") != tc.indexed {
				t.Errorf("%s, %s: reads deliveries_webhook_status: %v, want %v:\n%s", tc.name, what, !tc.indexed, tc.indexed, plan)
			}
			if tc.indexed && (strings.Contains(plan, "deliveries_webhook_created") || strings.Contains(plan+"\n", "SCAN deliveries\n") || strings.Contains(plan, "Seq Scan")) {
				t.Errorf("%s, %s: the plan reads more than the deliveries of the status:\n%s", tc.name, what, plan)
			}
		}
	}
}

// A delivery listed before its attempt (a backlog) gets an entry in
// deliveries_webhook_status when it is retrying, and loses it once it
// succeeds: the filters by status find it where it is at each step,
// listed or not.
func TestStatusFilterFollowsTheDelivery(t *testing.T) {
	s := openWith(t, newLocation(t), testKey, withoutBackgroundListing())
	ctx := t.Context()
	mustCreateWebhook(t, s, minimalWebhook("wh_a", t0))
	id := addDeliveries(t, s, "evt_1", t0, "wh_a")[0]
	found := func(when string, want string) {
		t.Helper()
		for _, status := range DeliveryStatuses {
			f := DeliveryFilter{WebhookID: "wh_a", Status: status}
			got := listAll(t, s, f, 10)
			n, err := s.CountDeliveries(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if in := status == want; in != (len(got) == 1 && got[0] == id) || in != (n == 1) {
				t.Errorf("%s: status %s lists %v and counts %d; the delivery is %s", when, status, got, n, want)
			}
		}
	}
	found("pending, unlisted", DeliveryPending)
	if _, err := s.listPending(ctx); err != nil {
		t.Fatal(err)
	}
	found("pending, listed", DeliveryPending)
	finish := func(status string, n int) {
		t.Helper()
		lease := Lease{Token: fmt.Sprintf("tok%d", n), Until: t0.Add(time.Hour)}
		d, err := s.ClaimDelivery(ctx, id, []string{DeliveryPending, DeliveryRetrying}, t0, lease)
		if err != nil {
			t.Fatal(err)
		}
		code := 500
		d.Status, d.AttemptCount, d.LastResponseStatusCode = status, n, &code
		if status == DeliveryRetrying {
			d.NextAttemptAt = ptr(t0)
		} else {
			d.NextAttemptAt = nil
		}
		a := &Attempt{DeliveryID: id, Number: n, Trigger: AttemptScheduled, StartedAt: t0, ResponseStatusCode: &code, RequestHeaders: map[string]string{}}
		if err := s.FinishAttempt(ctx, lease.Token, a, d); err != nil {
			t.Fatal(err)
		}
	}
	finish(DeliveryRetrying, 1)
	found("retrying", DeliveryRetrying)
	finish(DeliverySucceeded, 2)
	found("succeeded", DeliverySucceeded)
}

// Migration 13 indexes the deliveries already stored by status, those
// that did not get through.
func TestMigrateToStatusIndex(t *testing.T) {
	sqliteOnly(t, "migration 13 of an older SQLite database")
	path, db := olderSQLite(t, consoleMigration.version)
	for _, q := range []string{
		`INSERT INTO events (id, type, body, fingerprint, created_at) VALUES ('evt_old', 'transfer.created', X'7B7D', 'fp', 0)`,
		`INSERT INTO deliveries (id, webhook_id, event_id, event_type, status, attempt_count, max_attempts, created_at, deadline_at, trigger, is_test)
			VALUES ('dlv_dead', 'wh_old', 'evt_old', 'transfer.created', 'dead_lettered', 5, 5, 0, 0, 'event', 0)`,
		`INSERT INTO deliveries (id, webhook_id, event_id, event_type, status, attempt_count, max_attempts, created_at, deadline_at, trigger, is_test)
			VALUES ('dlv_ok', 'wh_old', 'evt_old', 'transfer.created', 'succeeded', 1, 5, 1, 0, 'event', 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path, testKey)
	var n int
	if err := s.writer.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_webhook_status
		WHERE webhook_id = 'wh_old' AND status = 'dead_lettered' AND listed = 1 AND `+indexedStatus).Scan(&n); err != nil || n != 1 {
		t.Errorf("deliveries_webhook_status holds %d dead letters (%v), want 1", n, err)
	}
	if got := listAll(t, s, DeliveryFilter{WebhookID: "wh_old", Status: DeliveryDeadLettered}, 10); !slices.Equal(got, []string{"dlv_dead"}) {
		t.Errorf("dead-lettered after the migration: %v", got)
	}
}
