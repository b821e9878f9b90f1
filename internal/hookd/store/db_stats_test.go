package store

import (
	"testing"
	"time"
)

func TestDeliveryStats(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	now := t0.Add(time.Hour)
	if st, err := s.DeliveryStats(ctx, now); err != nil || st.Due != 0 || st.Retrying != 0 || st.OldestDueAt != nil {
		t.Fatalf("empty store: %+v, %v", st, err)
	}
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	deliveries := []Delivery{
		{ID: "dlv_due_pending", Status: DeliveryPending, NextAttemptAt: at(-10 * time.Minute)},
		{ID: "dlv_due_retrying", Status: DeliveryRetrying, NextAttemptAt: at(-time.Minute)},
		{ID: "dlv_due_now", Status: DeliveryPending, NextAttemptAt: at(0)},
		{ID: "dlv_later_retrying", Status: DeliveryRetrying, NextAttemptAt: at(time.Minute)},
		{ID: "dlv_leased", Status: DeliveryRetrying, NextAttemptAt: at(-time.Hour)},
		{ID: "dlv_lease_expired", Status: DeliveryPending, NextAttemptAt: at(-5 * time.Minute)},
		{ID: "dlv_done", Status: DeliverySucceeded},
		{ID: "dlv_dead", Status: DeliveryDeadLettered},
	}
	for i := range deliveries {
		d := &deliveries[i]
		d.WebhookID, d.EventID, d.EventType, d.MaxAttempts = "wh_1", "evt_1", "x.y", 5
		d.CreatedAt, d.DeadlineAt, d.Trigger = t0, now.Add(24*time.Hour), TriggerEvent
	}
	ev := &Event{ID: "evt_1", Type: "x.y", Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: t0}
	if _, err := s.CreateEvent(ctx, ev, deliveries); err != nil {
		t.Fatal(err)
	}
	// A running attempt holds one due delivery; another's lease ran out.
	claimable := []string{DeliveryPending, DeliveryRetrying}
	if _, err := s.ClaimDelivery(ctx, "dlv_leased", claimable, now, lease("a", now.Add(time.Minute))); err != nil {
		t.Fatalf("claim: %v", err)
	}
	if _, err := s.ClaimDelivery(ctx, "dlv_lease_expired", claimable, t0, lease("b", now.Add(-time.Second))); err != nil {
		t.Fatalf("claim: %v", err)
	}
	st, err := s.DeliveryStats(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	want := DeliveryStats{Due: 4, Retrying: 3, OldestDueAt: at(-10 * time.Minute)}
	diff(t, "stats", st, want)

	// The clock is the caller's: an hour later everything waiting is due.
	st, err = s.DeliveryStats(ctx, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "stats an hour later", st, DeliveryStats{Due: 6, Retrying: 3, OldestDueAt: at(-time.Hour)})
}

func TestPing(t *testing.T) {
	s := newStore(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping on a closed store succeeded")
	}
}
