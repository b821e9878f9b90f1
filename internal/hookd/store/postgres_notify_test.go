package store

import (
	"testing"
	"time"
)

// Work published through one process wakes another sharing the database
// (LISTEN/NOTIFY), so that the one with free workers takes it at once; a
// publish that makes no delivery wakes nobody.
func TestPublishWakesOtherProcesses(t *testing.T) {
	if !testPostgres() {
		if newStore(t).Wakeups() != nil {
			t.Fatal("a SQLite store has wake-ups: its one process wakes its engine itself")
		}
		t.Skip("PostgreSQL only: SQLite has one process")
	}
	loc := newLocation(t)
	a, b := openAt(t, loc, testKey), openAt(t, loc, testKey)
	receive := func(within time.Duration) bool {
		t.Helper()
		select {
		case <-b.Wakeups():
			return true
		case <-time.After(within):
			return false
		}
	}
	// The listener signals once when its LISTEN is in place (it may have
	// missed work while connecting): from then on it hears every publish.
	if !receive(10 * time.Second) {
		t.Fatal("the listener never started")
	}
	w := minimalWebhook("wh_1", t0)
	w.Events, w.Active, w.Status = []string{"order.created"}, true, StatusActive
	mustCreateWebhook(t, a, w)
	ev := &Event{ID: "evt_none", Type: "nobody.listens", Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: t0}
	if n, _, err := a.PublishEvent(t.Context(), ev, testDelivery(ev)); err != nil || n != 0 {
		t.Fatalf("publish to nobody: %d, %v", n, err)
	}
	if receive(300 * time.Millisecond) {
		t.Fatal("a publish that made no delivery woke the other process")
	}
	start := time.Now()
	ev = &Event{ID: "evt_1", Type: w.Events[0], Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: t0}
	if n, _, err := a.PublishEvent(t.Context(), ev, testDelivery(ev)); err != nil || n != 1 {
		t.Fatalf("publish: %d, %v", n, err)
	}
	if !receive(5 * time.Second) {
		t.Fatal("a publish through A did not wake B within 5 s")
	}
	t.Logf("publish through A to wake-up of B: %v", time.Since(start))
}
