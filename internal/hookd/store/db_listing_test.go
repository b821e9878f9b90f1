package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// withoutBackgroundListing keeps SQLite's deliveries unlisted until the
// test lists them (listPending) or the store closes.
func withoutBackgroundListing() OpenOption {
	return func(o *openOptions) { o.listEvery = -1 }
}

// unlistedCount is how many deliveries are not in the webhook index yet.
func unlistedCount(t testing.TB, s *DB) int {
	t.Helper()
	var n int
	if err := s.writer.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM deliveries WHERE listed = 0`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// publishOne publishes an event to the one active webhook wh_a that
// subscribes to it, creating the webhook first.
func publishOne(t *testing.T, s *DB) {
	t.Helper()
	w := minimalWebhook("wh_a", t0)
	w.Active, w.Status, w.Events = true, StatusActive, []string{"transfer.created"}
	mustCreateWebhook(t, s, w)
	ev := &Event{ID: "evt_1", Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: t0}
	if n, _, err := s.PublishEvent(t.Context(), ev, testDelivery(ev)); err != nil || n != 1 {
		t.Fatalf("published to %d webhooks (%v), want 1", n, err)
	}
}

// listingFixture stores deliveries of two webhooks, a minute apart, in two
// batches: the first listed, the second not (on SQLite; on PostgreSQL
// deliveries are listed when written). It returns the ids of wh_a's
// deliveries, newest first.
func listingFixture(t *testing.T, s *DB) []string {
	t.Helper()
	ctx := t.Context()
	mustCreateWebhook(t, s, minimalWebhook("wh_a", t0))
	mustCreateWebhook(t, s, minimalWebhook("wh_b", t0))
	var want []string
	batch := func(name string, from, n int) {
		ev := &Event{ID: "evt_" + name, Type: "transfer.created", Body: []byte(`{}`), CreatedAt: t0}
		var ds []Delivery
		for i := from; i < from+n; i++ {
			at := t0.Add(time.Duration(i) * time.Minute)
			status := DeliverySucceeded
			if i%3 == 0 {
				status = DeliveryDeadLettered
			}
			for _, wh := range []string{"wh_a", "wh_b"} {
				id := fmt.Sprintf("dlv_%02d_%s", i, wh)
				ds = append(ds, Delivery{ID: id, WebhookID: wh, EventID: ev.ID, EventType: ev.Type, Status: status,
					MaxAttempts: 5, CreatedAt: at, DeadlineAt: at.Add(time.Hour), Trigger: TriggerEvent})
				if wh == "wh_a" {
					want = append(want, id)
				}
			}
		}
		if _, err := s.CreateEvent(ctx, ev, ds); err != nil {
			t.Fatal(err)
		}
	}
	batch("old", 0, 7)
	if _, err := s.listPending(ctx); err != nil {
		t.Fatal(err)
	}
	batch("new", 7, 5)
	wantUnlisted := 10
	if testPostgres() {
		wantUnlisted = 0
	}
	if got := unlistedCount(t, s); got != wantUnlisted {
		t.Fatalf("%d deliveries unlisted, want %d", got, wantUnlisted)
	}
	slices.Reverse(want)
	return want
}

// listAll pages through ListDeliveries with f, limit items a page.
func listAll(t *testing.T, s *DB, f DeliveryFilter, limit int) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatal("pagination does not end")
		}
		ds, next, err := s.ListDeliveries(t.Context(), f, Page{Limit: limit, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		if next == "" {
			return ids
		}
		cursor = next
	}
}

// A webhook's deliveries are listed whether the lister has moved them into
// the webhook index yet or not: every page, every filter, every count
// takes both parts, in one order, each delivery once.
func TestListingTakesListedAndUnlisted(t *testing.T) {
	s := openWith(t, newLocation(t), testKey, withoutBackgroundListing())
	want := listingFixture(t, s)
	check := func(when string) {
		t.Helper()
		for _, limit := range []int{1, 3, 5, 12, 100} {
			if got := listAll(t, s, DeliveryFilter{WebhookID: "wh_a"}, limit); !slices.Equal(got, want) {
				t.Errorf("%s, pages of %d: %v, want %v", when, limit, got, want)
			}
		}
		var dead []string
		for _, id := range want {
			var i int
			_, _ = fmt.Sscanf(id, "dlv_%d_", &i)
			if i%3 == 0 {
				dead = append(dead, id)
			}
		}
		if got := listAll(t, s, DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered}, 2); !slices.Equal(got, dead) {
			t.Errorf("%s, dead-lettered: %v, want %v", when, got, dead)
		}
		after := t0.Add(5*time.Minute + time.Second)
		if got := listAll(t, s, DeliveryFilter{WebhookID: "wh_a", CreatedAfter: &after}, 2); !slices.Equal(got, want[:6]) {
			t.Errorf("%s, created after minute 5: %v, want %v", when, got, want[:6])
		}
		counts, err := s.DeliveriesPerHour(t.Context(), "wh_a", t0)
		if err != nil {
			t.Fatal(err)
		}
		byStatus := map[string]int{}
		for _, c := range counts {
			byStatus[c.Status] += c.Count
		}
		if byStatus[DeliverySucceeded] != 8 || byStatus[DeliveryDeadLettered] != 4 {
			t.Errorf("%s, counts per hour %+v: want 8 succeeded and 4 dead-lettered", when, counts)
		}
	}
	check("half listed")
	n, err := s.listPending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if wantListed := 10; !testPostgres() && n != wantListed {
		t.Errorf("listed %d, want %d", n, wantListed)
	}
	if got := unlistedCount(t, s); got != 0 {
		t.Fatalf("%d deliveries still unlisted", got)
	}
	check("all listed")
}

// The lister runs by itself, a few times a second, and lists all that a
// publish wrote.
func TestListerListsInTheBackground(t *testing.T) {
	sqliteOnly(t, "PostgreSQL writes deliveries listed")
	s := newStore(t)
	publishOne(t, s)
	for deadline := time.Now().Add(10 * time.Second); unlistedCount(t, s) > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the delivery is still unlisted after 10 s (the lister runs every %s)", listEvery)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Closing the store lists what is unlisted, and a store opened on a file
// that a crash left with unlisted deliveries lists them.
func TestListerAtCloseAndOpen(t *testing.T) {
	sqliteOnly(t, "PostgreSQL writes deliveries listed")
	loc := newLocation(t)
	s, err := openLoc(loc, testCipher(t, testKey), withoutBackgroundListing())
	if err != nil {
		t.Fatal(err)
	}
	publishOne(t, s)
	if got := unlistedCount(t, s); got != 1 {
		t.Fatalf("%d unlisted before close, want 1", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openWith(t, loc, testKey, withoutBackgroundListing())
	if got := unlistedCount(t, s); got != 0 {
		t.Fatalf("%d unlisted after close, want 0", got)
	}

	// A crash: rows written unlisted, and no close to list them.
	if _, err := s.writer.ExecContext(t.Context(), `UPDATE deliveries SET listed = 0`); err != nil {
		t.Fatal(err)
	}
	s.listing = nil // Close must not list them
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, loc, testKey)
	for deadline := time.Now().Add(10 * time.Second); unlistedCount(t, s) > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the delivery a crash left unlisted is still unlisted 10 s after open")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// listPending lists in batches of listBatch, so that one transaction stays
// short, and goes on until nothing is left.
func TestListPendingInBatches(t *testing.T) {
	sqliteOnly(t, "PostgreSQL writes deliveries listed")
	s := openWith(t, newLocation(t), testKey, withoutBackgroundListing())
	mustCreateWebhook(t, s, minimalWebhook("wh_a", t0))
	ev := &Event{ID: "evt_1", Type: "transfer.created", Body: []byte(`{}`), CreatedAt: t0}
	ds := make([]Delivery, listBatch+3)
	for i := range ds {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		ds[i] = Delivery{ID: fmt.Sprintf("dlv_%06d", i), WebhookID: "wh_a", EventID: ev.ID, EventType: ev.Type, Status: DeliverySucceeded,
			MaxAttempts: 5, CreatedAt: at, DeadlineAt: at, Trigger: TriggerEvent}
	}
	if _, err := s.CreateEvent(t.Context(), ev, ds); err != nil {
		t.Fatal(err)
	}
	n, err := s.listPending(t.Context())
	if err != nil || n != len(ds) {
		t.Fatalf("listed %d (%v), want %d", n, err, len(ds))
	}
	if got := unlistedCount(t, s); got != 0 {
		t.Fatalf("%d still unlisted", got)
	}
}

// The queries of one webhook's deliveries read the two indexes made for
// them, never the whole table: the webhook index for the listed part, the
// unlisted index (a few hundred ms of deliveries) for the rest, and the due
// index, which holds the webhook, to cancel a webhook's pending work.
func TestListingQueryPlans(t *testing.T) {
	sqliteOnly(t, "SQLite's query plans")
	s := newStore(t)
	listed := "USING INDEX deliveries_webhook_created"
	unlisted := "USING INDEX deliveries_unlisted"
	due := "USING INDEX deliveries_due_webhook"
	cursor := encodeCursor("deliveries", t0, "dlv_x")
	list, listArgs, err := listDeliveriesQuery(DeliveryFilter{WebhookID: "wh_a", Status: DeliverySucceeded}, cursor, 51)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		query string
		args  []any
		want  []string
	}{
		{"list", list, listArgs, []string{listed, unlisted}},
		{"per hour", qDeliveriesPerHour, []any{0, 1, "wh_a", 0, "wh_a", 0}, []string{listed, unlisted}},
		{"cancel", qCancelDeliveries, []any{"wh_a", 0}, []string{due}},
	} {
		plan := queryPlan(t, s.writer, c.query, c.args...)
		joined := strings.Join(plan, "\n")
		for _, w := range c.want {
			if !strings.Contains(joined, w) {
				t.Errorf("%s: the plan does not use %q:\n%s", c.name, w, joined)
			}
		}
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN deliveries") && !strings.Contains(step, "INDEX") {
				t.Errorf("%s: the plan reads the whole table:\n%s", c.name, joined)
			}
		}
	}
}

// Deliveries stored before migration 11 are listed, and listed again
// through the new index.
func TestMigrateToListing(t *testing.T) {
	sqliteOnly(t, "migration 11 of an older SQLite database")
	path, db := olderSQLite(t, listingMigration.version)
	if _, err := db.Exec(`INSERT INTO events (id, type, body, fingerprint, created_at) VALUES ('evt_old', 'transfer.created', X'7B7D', 'fp', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO deliveries (id, webhook_id, event_id, event_type, status, attempt_count, max_attempts, created_at, deadline_at, trigger, is_test)
		VALUES ('dlv_old', 'wh_old', 'evt_old', 'transfer.created', 'succeeded', 1, 5, 0, 0, 'event', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openWith(t, path, testKey, withoutBackgroundListing())
	if got := unlistedCount(t, s); got != 0 {
		t.Errorf("%d deliveries unlisted after the migration", got)
	}
	if got := listAll(t, s, DeliveryFilter{WebhookID: "wh_old"}, 10); !slices.Equal(got, []string{"dlv_old"}) {
		t.Errorf("listed %v, want [dlv_old]", got)
	}
}
