package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// copyFixture fills s with one of everything Copy moves, in the states
// that matter: a delivery leased by a process of s, one with an attempt,
// one published (on SQLite, unlisted until the lister runs), a completed
// and an in-flight idempotency key.
func copyFixture(t *testing.T, s *DB) {
	t.Helper()
	ctx := t.Context()
	if err := s.CreateGroup(ctx, &Group{ID: "grp_1", Name: "payments", Description: ptr("the payments team"), CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	mustCreateWebhook(t, s, fullWebhook("wh_1", "grp_1", t0))
	w2 := minimalWebhook("wh_2", t0.Add(time.Second))
	w2.Active, w2.Status, w2.Events = true, StatusActive, []string{"transfer.*"}
	mustCreateWebhook(t, s, w2)
	if err := s.AddAPIKey(ctx, "hash-of-the-key", t0); err != nil {
		t.Fatal(err)
	}
	far, hold := t0.Add(-time.Hour), t0.Add(time.Minute)
	for _, k := range []string{"done", "running"} {
		if _, err := s.BeginIdempotent(ctx, k, "fp", t0, far, hold); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CompleteIdempotent(ctx, outcome("done", t0, 201, "/v1/groups/grp_1", []byte(`{"id":"grp_1"}`))); err != nil {
		t.Fatal(err)
	}

	ids := addDeliveries(t, s, "evt_a", t0, "wh_1", "wh_2")
	leased := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("tok", t0.Add(45*time.Second)), Limit: 2})
	if len(leased) != 2 {
		t.Fatalf("claimed %d, want 2", len(leased))
	}
	// One attempt of the first, recorded; the second stays leased.
	d := leased[0]
	if d.ID != ids[0] {
		d = leased[1]
	}
	code, next := 500, t0.Add(time.Minute)
	d.Status, d.AttemptCount, d.NextAttemptAt, d.LastResponseStatusCode, d.LastError = DeliveryRetrying, 1, &next, &code, ptr("HTTP 500")
	if err := s.FinishAttempt(ctx, "tok", &Attempt{DeliveryID: d.ID, Number: 1, Trigger: AttemptScheduled, StartedAt: t0, DurationMS: 12,
		ResponseStatusCode: &code, ResponseBody: "oops", RequestHeaders: map[string]string{"webhook-id": "evt_a"}}, &d); err != nil {
		t.Fatal(err)
	}
	ev := &Event{ID: "evt_b", Type: "transfer.created", Body: []byte(`{"id":"evt_b"}`), Fingerprint: "fp", CreatedAt: t0.Add(time.Second)}
	if n, _, err := s.PublishEvent(ctx, ev, testDelivery(ev)); err != nil || n != 1 {
		t.Fatalf("PublishEvent = %d, %v; want 1", n, err)
	}
}

// snapshot is what a store holds, read through its own API: two stores
// with equal snapshots serve the same answers.
type snapshot struct {
	Groups     []Group
	Webhooks   []Webhook
	Deliveries map[string][]Delivery
	Attempts   map[string][]Attempt
	Events     map[string]*Event
}

func takeSnapshot(t *testing.T, s *DB) snapshot {
	t.Helper()
	ctx := t.Context()
	var snap snapshot
	var err error
	if snap.Groups, _, err = s.ListGroups(ctx, GroupFilter{}, Page{Limit: 100}); err != nil {
		t.Fatal(err)
	}
	if snap.Webhooks, _, err = s.ListWebhooks(ctx, WebhookFilter{}, Page{Limit: 100}); err != nil {
		t.Fatal(err)
	}
	snap.Deliveries, snap.Attempts, snap.Events = map[string][]Delivery{}, map[string][]Attempt{}, map[string]*Event{}
	for _, w := range snap.Webhooks {
		ds, _, err := s.ListDeliveries(ctx, DeliveryFilter{WebhookID: w.ID}, Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for i := range ds {
			ds[i].LeasedUntil = nil // the copy drops leases (checked apart)
			_, as, err := s.GetDeliveryWithAttempts(ctx, ds[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			snap.Attempts[ds[i].ID] = as
			if snap.Events[ds[i].EventID], err = s.GetEvent(ctx, ds[i].EventID); err != nil {
				t.Fatal(err)
			}
		}
		snap.Deliveries[w.ID] = ds
	}
	return snap
}

// Copy moves everything, secrets included (they open with the same key),
// from SQLite into an empty database of the suite's backend and back:
// what the copy serves is what the source served; leases and in-flight
// idempotency claims stay behind; a target that holds data is refused and
// left as it was.
func TestCopy(t *testing.T) {
	ctx := t.Context()
	// No lister: the source's deliveries stay unlisted.
	src := openWith(t, filepath.Join(t.TempDir(), "source.db"), testKey, withoutBackgroundListing())
	copyFixture(t, src)
	if n := countUnlisted(t, src); n != 3 {
		t.Fatalf("the source holds %d unlisted deliveries, want all 3", n)
	}
	want := takeSnapshot(t, src)
	if len(want.Webhooks) != 2 || len(want.Deliveries["wh_2"]) != 2 || len(want.Attempts["dlv_evt_a_0"]) != 1 {
		t.Fatalf("fixture: %+v", want)
	}

	dst := newStore(t)
	var progress []string
	copied, err := Copy(ctx, src, dst, func(c CopiedTable) { progress = append(progress, c.Name) })
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	rows := map[string]int{}
	for _, c := range copied {
		rows[c.Name] = c.Rows
	}
	wantRows := map[string]int{"groups": 1, "webhooks": 2, "webhook_subscriptions": 3, "api_keys": 1, "idempotency": 1, "events": 2, "deliveries": 3, "attempts": 1}
	if !reflect.DeepEqual(rows, wantRows) || len(progress) != len(copyTables) {
		t.Errorf("copied %v (progress %v), want %v", rows, progress, wantRows)
	}
	if got := takeSnapshot(t, dst); !reflect.DeepEqual(got, want) {
		t.Errorf("the copy serves\n%+v\nthe source served\n%+v", got, want)
	}

	// A target that holds data is refused, and nothing is written to it.
	if _, err := Copy(ctx, src, dst, nil); !errors.Is(err, ErrTargetNotEmpty) {
		t.Errorf("Copy into a database that holds data = %v, want ErrTargetNotEmpty", err)
	}
	if got := takeSnapshot(t, dst); !reflect.DeepEqual(got, want) {
		t.Errorf("the refused copy changed the target: %+v", got)
	}

	// And back, from the suite's backend (PostgreSQL under
	// HOOKD_TEST_DB=postgres) into a new SQLite file.
	back := openWith(t, filepath.Join(t.TempDir(), "back.db"), testKey, withoutBackgroundListing())
	if _, err := Copy(ctx, dst, back, nil); err != nil {
		t.Fatalf("Copy back: %v", err)
	}
	// Listed by the copy itself, not by a lister: a SQLite copy's first
	// lister run would otherwise have all of them to move.
	if n := countUnlisted(t, back); n != 0 {
		t.Errorf("the copy back holds %d unlisted deliveries, want 0", n)
	}
	if got := takeSnapshot(t, back); !reflect.DeepEqual(got, want) {
		t.Errorf("the copy back serves\n%+v\nthe source served\n%+v", got, want)
	}
	checkCopyExtras(t, dst)
	checkCopyExtras(t, back)
}

func countUnlisted(t *testing.T, s *DB) int {
	t.Helper()
	var n int
	if err := s.reader.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM deliveries WHERE listed = 0`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkCopyExtras checks what a snapshot does not show: the API key, the
// idempotency keys, the subscriptions and the dropped leases.
func checkCopyExtras(t *testing.T, s *DB) {
	t.Helper()
	ctx := t.Context()
	if ok, err := s.HasAPIKey(ctx, "hash-of-the-key"); err != nil || !ok {
		t.Errorf("API key copied: %v, %v", ok, err)
	}
	far, hold := t0.Add(-time.Hour), t0.Add(time.Minute)
	if rec, err := s.BeginIdempotent(ctx, "done", "fp", t0, far, hold); err != nil || rec == nil || rec.InFlight || string(rec.Body) != `{"id":"grp_1"}` {
		t.Errorf("completed idempotency key: %+v, %v; want its outcome, opened with the key", rec, err)
	}
	if rec, err := s.BeginIdempotent(ctx, "running", "fp", t0, far, hold); err != nil || rec != nil {
		t.Errorf("in-flight idempotency key: %+v, %v; want it left behind (a new claim)", rec, err)
	}
	// The leased delivery is free at once; the retrying one is due at a minute.
	got := claimDue(t, s, ClaimRequest{Now: t0.Add(time.Second), Lease: lease("new", t0.Add(time.Hour)), Limit: 10})
	diff(t, "claimed in the copy at 1s", deliveryIDs(got), []string{"dlv_evt_a_1", "dlv_evt_b_wh_2"})
	// The subscriptions came along: a publish reaches wh_2.
	ev := &Event{ID: "evt_c", Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: t0.Add(time.Minute)}
	if n, _, err := s.PublishEvent(ctx, ev, testDelivery(ev)); err != nil || n != 1 {
		t.Errorf("publish in the copy: %d deliveries, %v; want 1", n, err)
	}
}

// A copy into a database opened with another key would hold sealed values
// nothing opens: Copy cannot tell, but the secrets read back show it, and
// hookd copy opens both with one key. This pins that the values are
// copied sealed, not opened and sealed again.
func TestCopyKeepsValuesSealed(t *testing.T) {
	src := openAt(t, filepath.Join(t.TempDir(), "source.db"), testKey)
	mustCreateWebhook(t, src, fullWebhook("wh_1", "", t0))
	other := openAt(t, filepath.Join(t.TempDir(), "other.db"), otherKey)
	if _, err := Copy(context.Background(), src, other, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetWebhook(context.Background(), "wh_1"); err == nil {
		t.Error("a webhook copied into a database of another key opened with that key")
	}
}

// BenchmarkCopy copies a SQLite database of 2,000 events with 10
// deliveries each and an attempt for every delivery (42,000 rows in all)
// into an empty database of the suite's backend; rows/s is what an
// operator's copy runs at (go test -run '^$' -bench Copy, with
// HOOKD_TEST_DB=postgres for SQLite to PostgreSQL).
func BenchmarkCopy(b *testing.B) {
	const events, perEvent = 2000, 10
	ctx := context.Background()
	src := openAt(b, filepath.Join(b.TempDir(), "source.db"), testKey)
	code := 204
	for e := range events {
		created := t0.Add(time.Duration(e) * time.Millisecond)
		ev := &Event{ID: fmt.Sprintf("evt_%05d", e), Type: "transfer.created", Body: []byte(`{"id":"x","data":{"amount":100}}`), Fingerprint: "f", CreatedAt: created}
		ds := make([]Delivery, perEvent)
		for i := range ds {
			ds[i] = Delivery{ID: fmt.Sprintf("dlv_%05d_%d", e, i), WebhookID: fmt.Sprintf("wh_%d", i), EventID: ev.ID, EventType: ev.Type,
				Status: DeliverySucceeded, AttemptCount: 1, MaxAttempts: 12, CreatedAt: created, DeadlineAt: created.Add(72 * time.Hour),
				LastResponseStatusCode: &code, Trigger: TriggerEvent}
		}
		if _, err := src.CreateEvent(ctx, ev, ds); err != nil {
			b.Fatal(err)
		}
		if _, err := src.writer.ExecContext(ctx, `INSERT INTO attempts (delivery_id, number, trigger, started_at, duration_ms, response_status_code, response_body, request_headers)
			SELECT id, 1, 'scheduled', created_at, 12, 204, '', '{}' FROM deliveries WHERE event_id = ?`, ev.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var rows int
	for range b.N {
		b.StopTimer()
		dst := newStore(b)
		b.StartTimer()
		copied, err := Copy(ctx, src, dst, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for _, c := range copied {
			rows += c.Rows
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
