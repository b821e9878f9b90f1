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

// listingFixture stores deliveries of two webhooks in two batches: the
// first listed, the second not (on SQLite; on PostgreSQL deliveries are
// listed when written). The unlisted ones are mostly newer, as in use,
// but one falls between listed ones and one ties a listed one's creation
// time (the id breaks the tie): a lister may list a delivery before an
// older one commits. It returns wh_a's deliveries, newest first.
func listingFixture(t *testing.T, s *DB) []Delivery {
	t.Helper()
	ctx := t.Context()
	mustCreateWebhook(t, s, minimalWebhook("wh_a", t0))
	mustCreateWebhook(t, s, minimalWebhook("wh_b", t0))
	var mine []Delivery
	batch := func(name string, at map[string]time.Duration) {
		ev := &Event{ID: "evt_" + name, Type: "transfer.created", Body: []byte(`{}`), CreatedAt: t0}
		var ds []Delivery
		for id, after := range at {
			created := t0.Add(after)
			status := DeliverySucceeded
			if strings.HasSuffix(id, "x") {
				status = DeliveryDeadLettered
			}
			for _, wh := range []string{"wh_a", "wh_b"} {
				d := Delivery{ID: "dlv_" + id + "_" + wh, WebhookID: wh, EventID: ev.ID, EventType: ev.Type, Status: status,
					MaxAttempts: 5, CreatedAt: created, DeadlineAt: created.Add(time.Hour), Trigger: TriggerEvent}
				ds = append(ds, d)
				if wh == "wh_a" {
					mine = append(mine, d)
				}
			}
		}
		if _, err := s.CreateEvent(ctx, ev, ds); err != nil {
			t.Fatal(err)
		}
	}
	// The ids' last letter: x for dead-lettered.
	batch("old", map[string]time.Duration{"00x": 0, "01": time.Minute, "02": 2 * time.Minute, "03x": 3 * time.Minute,
		"04": 4 * time.Minute, "05": 5 * time.Minute, "06x": 6 * time.Minute})
	if _, err := s.listPending(ctx); err != nil {
		t.Fatal(err)
	}
	batch("new", map[string]time.Duration{"07": 7 * time.Minute, "08": 8 * time.Minute, "09x": 9 * time.Minute,
		"10": 10 * time.Minute, "11": 11 * time.Minute, "03b": 3*time.Minute + 30*time.Second, "02tx": 2 * time.Minute})
	wantUnlisted := 14
	if testPostgres() {
		wantUnlisted = 0
	}
	if got := unlistedCount(t, s); got != wantUnlisted {
		t.Fatalf("%d deliveries unlisted, want %d", got, wantUnlisted)
	}
	slices.SortFunc(mine, func(a, b Delivery) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return mine
}

// idsOf are the deliveries' ids, in order, of those keep keeps.
func idsOf(ds []Delivery, keep func(Delivery) bool) []string {
	var out []string
	for _, d := range ds {
		if keep(d) {
			out = append(out, d.ID)
		}
	}
	return out
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
	mine := listingFixture(t, s)
	all := func(Delivery) bool { return true }
	dead := func(d Delivery) bool { return d.Status == DeliveryDeadLettered }
	after := t0.Add(3*time.Minute + time.Second)
	later := func(d Delivery) bool { return d.CreatedAt.After(after) }
	if want := []string{"dlv_03b_wh_a", "dlv_03x_wh_a", "dlv_02tx_wh_a", "dlv_02_wh_a"}; !slices.Equal(idsOf(mine, all)[8:12], want) {
		t.Fatalf("the fixture's order: %v, want %v in the middle", idsOf(mine, all), want)
	}
	check := func(when string) {
		t.Helper()
		for _, limit := range []int{1, 3, 5, 14, 100} {
			if got, want := listAll(t, s, DeliveryFilter{WebhookID: "wh_a"}, limit), idsOf(mine, all); !slices.Equal(got, want) {
				t.Errorf("%s, pages of %d: %v, want %v", when, limit, got, want)
			}
		}
		if got, want := listAll(t, s, DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered}, 2), idsOf(mine, dead); !slices.Equal(got, want) {
			t.Errorf("%s, dead-lettered: %v, want %v", when, got, want)
		}
		if got, want := listAll(t, s, DeliveryFilter{WebhookID: "wh_a", CreatedAfter: &after}, 2), idsOf(mine, later); !slices.Equal(got, want) {
			t.Errorf("%s, created after 3 min 1 s: %v, want %v", when, got, want)
		}
		// Counts agree with the lists, over both parts.
		for _, c := range []struct {
			f    DeliveryFilter
			keep func(Delivery) bool
		}{
			{DeliveryFilter{WebhookID: "wh_a"}, all},
			{DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered}, dead},
			{DeliveryFilter{WebhookID: "wh_a", CreatedAfter: &after}, later},
		} {
			if n, err := s.CountDeliveries(t.Context(), c.f); err != nil || n != len(idsOf(mine, c.keep)) {
				t.Errorf("%s, CountDeliveries(%+v) = %d, %v; want %d", when, c.f, n, err, len(idsOf(mine, c.keep)))
			}
		}
		counts, err := s.DeliveriesPerHour(t.Context(), "wh_a", t0, t0.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		byStatus := map[string]int{}
		for _, c := range counts {
			byStatus[c.Status] += c.Count
		}
		if want := len(idsOf(mine, dead)); byStatus[DeliverySucceeded] != len(mine)-want || byStatus[DeliveryDeadLettered] != want {
			t.Errorf("%s, counts per hour %+v: want %d succeeded and %d dead-lettered", when, counts, len(mine)-want, want)
		}
	}
	check("half listed")
	n, err := s.listPending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if wantListed := 14; !testPostgres() && n != wantListed {
		t.Errorf("listed %d, want %d", n, wantListed)
	}
	if got := unlistedCount(t, s); got != 0 {
		t.Fatalf("%d deliveries still unlisted", got)
	}
	check("all listed")
}

// The lister runs by itself a while after a publish (which wakes it: the
// run it makes at start is over before the publish), and lists all that
// the publish wrote.
func TestListerListsInTheBackground(t *testing.T) {
	sqliteOnly(t, "PostgreSQL writes deliveries listed")
	s := newStore(t)
	time.Sleep(3 * listEvery) // the run at start
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
	assertListingIndexes(t, s)
	listed := "USING INDEX deliveries_webhook_created"
	unlisted := "USING INDEX deliveries_unlisted"
	due := "USING INDEX deliveries_due_webhook"
	cursor := encodeCursor("deliveries", t0, "dlv_x")
	list, listArgs, err := listDeliveriesQuery(s.dialect, DeliveryFilter{WebhookID: "wh_a", Status: DeliverySucceeded}, cursor, 51)
	if err != nil {
		t.Fatal(err)
	}
	count, countArgs := countDeliveriesQuery(s.dialect, DeliveryFilter{WebhookID: "wh_a", Status: DeliveryDeadLettered, CreatedAfter: &t0})
	for _, c := range []struct {
		name  string
		query string
		args  []any
		want  []string
	}{
		{"list", list, listArgs, []string{listed, unlisted}},
		{"per hour", qDeliveriesPerHour, []any{0, 1, "wh_a", 0, 1, "wh_a", 0, 1}, []string{listed, unlisted}},
		{"cancel", qCancelDeliveries, []any{"wh_a", 0}, []string{due}},
		{"count", count, countArgs, []string{"USING COVERING INDEX deliveries_webhook_status", unlisted}},
		{"interrupted tests", qEndInterruptedTests, []any{InterruptedTestError, 0, 0}, []string{due + " (next_attempt_at=?)"}},
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
	assertListingIndexes(t, s)
	if got := unlistedCount(t, s); got != 0 {
		t.Errorf("%d deliveries unlisted after the migration", got)
	}
	if got := listAll(t, s, DeliveryFilter{WebhookID: "wh_old"}, 10); !slices.Equal(got, []string{"dlv_old"}) {
		t.Errorf("listed %v, want [dlv_old]", got)
	}
}

// assertListingIndexes checks SQLite's two indexes of a webhook's
// deliveries: the webhook index holds the listed ones only (the gain is
// there: a delivery written unlisted does not touch it), the unlisted
// index the others, with the webhook.
func assertListingIndexes(t *testing.T, s *DB) {
	t.Helper()
	for name, want := range map[string]string{
		"deliveries_webhook_created": "ON deliveries (webhook_id, created_at, id) WHERE listed = 1",
		"deliveries_unlisted":        "ON deliveries (created_at, id, webhook_id) WHERE listed = 0",
	} {
		var def string
		if err := s.writer.QueryRowContext(t.Context(), `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&def); err != nil {
			t.Fatalf("index %s: %v", name, err)
		}
		if !strings.HasSuffix(def, want) {
			t.Errorf("index %s is %q, want it to end %q", name, def, want)
		}
	}
}
