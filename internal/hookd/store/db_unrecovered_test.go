package store

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A recovery lists with Unrecovered: the deliveries that are not replays
// and whose event no replay to their webhook delivered or is delivering.
// A replay that failed (dead-lettered, canceled) leaves its original to
// recover again; a replay of a replay counts; a replay to another webhook
// does not. Listed or not yet (SQLite), paged or counted, the same.
func TestListUnrecovered(t *testing.T) {
	s := openWith(t, newLocation(t), testKey, withoutBackgroundListing())
	ctx := t.Context()
	mustCreateWebhook(t, s, minimalWebhook("wh_a", t0))
	mustCreateWebhook(t, s, minimalWebhook("wh_b", t0))
	delivery := func(id, webhookID, eventID, status string, at time.Duration, replayOf string) Delivery {
		d := Delivery{ID: id, WebhookID: webhookID, EventID: eventID, EventType: "transfer.created", Status: status,
			MaxAttempts: 5, CreatedAt: t0.Add(at), DeadlineAt: t0.Add(at + time.Hour), Trigger: TriggerEvent}
		if replayOf != "" {
			d.Trigger, d.ReplayOf = TriggerReplay, replayOf
		}
		return d
	}
	// The originals, one event each (evt_6 to both webhooks), listed.
	originals := map[string][]Delivery{}
	for _, d := range []Delivery{
		delivery("dlv_1", "wh_a", "evt_1", DeliveryDeadLettered, 1*time.Minute, ""),
		delivery("dlv_2", "wh_a", "evt_2", DeliveryDeadLettered, 2*time.Minute, ""),
		delivery("dlv_3", "wh_a", "evt_3", DeliveryDeadLettered, 3*time.Minute, ""),
		delivery("dlv_4", "wh_a", "evt_4", DeliveryDeadLettered, 4*time.Minute, ""),
		delivery("dlv_5", "wh_a", "evt_5", DeliveryDeadLettered, 5*time.Minute, ""),
		delivery("dlv_6a", "wh_a", "evt_6", DeliveryDeadLettered, 6*time.Minute, ""),
		delivery("dlv_6b", "wh_b", "evt_6", DeliveryDeadLettered, 6*time.Minute, ""),
		delivery("dlv_7", "wh_a", "evt_7", DeliverySucceeded, 7*time.Minute, ""),
		delivery("dlv_8", "wh_a", "evt_8", DeliveryDeadLettered, 8*time.Minute, ""),
		delivery("dlv_9", "wh_a", "evt_9", DeliverySucceeded, 9*time.Minute, ""),
	} {
		originals[d.EventID] = append(originals[d.EventID], d)
	}
	for id, ds := range originals {
		ev := &Event{ID: id, Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: t0}
		if _, err := s.CreateEvent(ctx, ev, ds); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.listPending(ctx); err != nil {
		t.Fatal(err)
	}
	// Their replays, later (unlisted on SQLite).
	for _, d := range []Delivery{
		delivery("dlv_r1", "wh_a", "evt_1", DeliverySucceeded, time.Hour, "dlv_1"),    // recovered
		delivery("dlv_r2", "wh_a", "evt_2", DeliveryDeadLettered, time.Hour, "dlv_2"), // failed again: not recovered
		delivery("dlv_r3", "wh_a", "evt_3", DeliveryPending, time.Hour, "dlv_3"),      // under way
		delivery("dlv_r4", "wh_a", "evt_4", DeliveryDeadLettered, time.Hour, "dlv_4"), // failed, but ...
		delivery("dlv_r4r", "wh_a", "evt_4", DeliveryRetrying, 2*time.Hour, "dlv_r4"), // ... its replay is under way
		delivery("dlv_r6b", "wh_b", "evt_6", DeliverySucceeded, time.Hour, "dlv_6b"),  // another webhook's
		delivery("dlv_r8", "wh_a", "evt_8", DeliveryCanceled, time.Hour, "dlv_8"),     // canceled: not recovered
		delivery("dlv_r9", "wh_a", "evt_9", DeliverySucceeded, time.Hour, "dlv_9"),    // a succeeded one sent again
	} {
		if err := s.CreateDelivery(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		f    DeliveryFilter
		want []string
	}{
		{"dead-lettered", DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered, Unrecovered: true}, []string{"dlv_8", "dlv_6a", "dlv_5", "dlv_2"}},
		{"succeeded", DeliveryFilter{WebhookID: "wh_a", Status: DeliverySucceeded, Unrecovered: true}, []string{"dlv_7"}},
		{"any status", DeliveryFilter{WebhookID: "wh_a", Unrecovered: true}, []string{"dlv_8", "dlv_7", "dlv_6a", "dlv_5", "dlv_2"}},
		{"in a range", DeliveryFilter{WebhookID: "wh_a", Unrecovered: true, CreatedAfter: ptr(t0.Add(2 * time.Minute)), CreatedBefore: ptr(t0.Add(8 * time.Minute))},
			[]string{"dlv_7", "dlv_6a", "dlv_5"}},
		{"the other webhook", DeliveryFilter{WebhookID: "wh_b", Status: DeliveryDeadLettered, Unrecovered: true}, nil},
		{"without the filter", DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered},
			[]string{"dlv_r4", "dlv_r2", "dlv_8", "dlv_6a", "dlv_5", "dlv_4", "dlv_3", "dlv_2", "dlv_1"}},
	} {
		for _, limit := range []int{1, 2, 100} {
			if got := listAll(t, s, tc.f, limit); !slices.Equal(got, tc.want) {
				t.Errorf("%s, %d a page: %v, want %v", tc.name, limit, got, tc.want)
			}
		}
		if n, err := s.CountDeliveries(ctx, tc.f); err != nil || n != len(tc.want) {
			t.Errorf("%s: count %d (%v), want %d", tc.name, n, err, len(tc.want))
		}
	}
	if _, err := s.listPending(ctx); err != nil {
		t.Fatal(err)
	}
	f := DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered, Unrecovered: true}
	if got := listAll(t, s, f, 3); !slices.Equal(got, []string{"dlv_8", "dlv_6a", "dlv_5", "dlv_2"}) {
		t.Errorf("every delivery listed: %v", got)
	}
}

// The unrecovered filter looks a delivery's replays up in
// deliveries_replays, one probe each, beside the listing's own indexes:
// never the whole table, nor deliveries_event (one entry per webhook the
// event went to).
func TestUnrecoveredQueryPlan(t *testing.T) {
	sqliteOnly(t, "SQLite's query plans")
	s := newStore(t)
	f := DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered, IsTest: new(bool), CreatedAfter: &t0, Unrecovered: true}
	list, listArgs, err := listDeliveriesQuery(s.dialect, f, encodeCursor("deliveries", t0, "dlv_x"), 101)
	if err != nil {
		t.Fatal(err)
	}
	count, countArgs := countDeliveriesQuery(s.dialect, f)
	for name, q := range map[string]struct {
		query string
		args  []any
	}{"list": {list, listArgs}, "count": {count, countArgs}} {
		plan := strings.Join(queryPlan(t, s.writer, q.query, q.args...), "\n")
		for _, want := range []string{"USING INDEX deliveries_webhook_status", "USING INDEX deliveries_unlisted",
			"SEARCH r USING INDEX deliveries_replays (webhook_id=? AND event_id=?)"} {
			if !strings.Contains(plan, want) {
				t.Errorf("%s: the plan does not use %q:\n%s", name, want, plan)
			}
		}
		if strings.Contains(plan, "deliveries_event") || strings.Contains(plan, "SCAN deliveries\n") || strings.HasSuffix(plan, "SCAN deliveries") || strings.Contains(plan, "SCAN r") {
			t.Errorf("%s: the plan reads more than it needs:\n%s", name, plan)
		}
	}
}

// Migration 12 indexes the replays already stored, and only them.
func TestMigrateToReplaysIndex(t *testing.T) {
	sqliteOnly(t, "migration 12 of an older SQLite database")
	path, db := olderSQLite(t, replaysMigration.version)
	for _, q := range []string{
		`INSERT INTO events (id, type, body, fingerprint, created_at) VALUES ('evt_old', 'transfer.created', X'7B7D', 'fp', 0)`,
		`INSERT INTO deliveries (id, webhook_id, event_id, event_type, status, attempt_count, max_attempts, created_at, deadline_at, trigger, is_test)
			VALUES ('dlv_old', 'wh_old', 'evt_old', 'transfer.created', 'dead_lettered', 5, 5, 0, 0, 'event', 0)`,
		`INSERT INTO deliveries (id, webhook_id, event_id, event_type, status, attempt_count, max_attempts, created_at, deadline_at, trigger, replay_of, is_test)
			VALUES ('dlv_oldr', 'wh_old', 'evt_old', 'transfer.created', 'succeeded', 1, 5, 1, 0, 'replay', 'dlv_old', 0)`,
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
	if err := s.writer.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_replays WHERE replay_of IS NOT NULL`).Scan(&n); err != nil || n != 1 {
		t.Errorf("deliveries_replays holds %d (%v), want the one replay", n, err)
	}
	if got := listAll(t, s, DeliveryFilter{WebhookID: "wh_old", Unrecovered: true}, 10); len(got) != 0 {
		t.Errorf("unrecovered after the migration: %v, want none (dlv_old's replay succeeded)", got)
	}
}
