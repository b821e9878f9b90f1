package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// The cancel that follows a webhook's switch-off is a statement of its
// own: a re-enable and a publish may commit before it runs (hookd
// auto-disables an endpoint, a person re-enables it at once). The
// publish's delivery then belongs to an active webhook and is left to be
// attempted; a webhook switched off, auto-disabled or deleted has its
// work canceled.
func TestCancelSparesAReenabledWebhook(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	wh := minimalWebhook("wh_1", t0)
	wh.Active, wh.Status = true, StatusActive
	mustCreateWebhook(t, s, wh)
	setStatus := func(status string) {
		t.Helper()
		if _, err := s.UpdateWebhook(ctx, "wh_1", func(w *Webhook) error {
			w.Status = status
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	cancel := func(want int) {
		t.Helper()
		if n, err := s.CancelDeliveries(ctx, "wh_1", t0); err != nil || n != want {
			t.Fatalf("CancelDeliveries: %d, %v; want %d", n, err, want)
		}
	}
	status := func(id string) string {
		t.Helper()
		d, err := s.GetDelivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status
	}

	first := addDeliveries(t, s, "evt_a", t0, "wh_1")[0]
	setStatus(StatusAutoDisabled)
	setStatus(StatusActive) // re-enabled before the disable's cancel ran
	second := addDeliveries(t, s, "evt_b", t0, "wh_1")[0]
	cancel(0)
	if got := [2]string{status(first), status(second)}; got != [2]string{DeliveryPending, DeliveryPending} {
		t.Fatalf("after a late cancel of an active webhook: %v, want both pending", got)
	}

	// Switched off by hookd or by its owner, or deleted: everything pending
	// is canceled.
	setStatus(StatusAutoDisabled)
	cancel(2)
	if got := [2]string{status(first), status(second)}; got != [2]string{DeliveryCanceled, DeliveryCanceled} {
		t.Fatalf("auto-disabled: %v, want both canceled", got)
	}
	setStatus(StatusActive)
	addDeliveries(t, s, "evt_c", t0, "wh_1")
	setStatus(StatusInactive)
	cancel(1)
	setStatus(StatusActive)
	addDeliveries(t, s, "evt_d", t0, "wh_1")
	if err := s.DeleteWebhook(ctx, "wh_1"); err != nil {
		t.Fatal(err)
	}
	cancel(1)
}

// A cancel of a delivery whose lease has ended clears the lease's token
// with it: the worker that held the lease, paused past its end, finds its
// fence gone and cannot record its attempt over the cancel.
func TestCancelClearsAnEndedLease(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	id := addDeliveries(t, s, "evt_a", t0, "wh_1")[0]
	stale := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("old", t0.Add(time.Second)), Limit: 1})[0]
	if n, err := s.CancelDeliveries(ctx, "wh_1", t0.Add(2*time.Second)); err != nil || n != 1 {
		t.Fatalf("CancelDeliveries: %d, %v; want 1", n, err)
	}
	code := 500
	next := t0.Add(time.Hour)
	stale.Status, stale.AttemptCount, stale.NextAttemptAt, stale.LastResponseStatusCode = DeliveryRetrying, 1, &next, &code
	err := s.FinishAttempt(ctx, "old", &Attempt{DeliveryID: id, Number: 1, Trigger: AttemptScheduled, StartedAt: t0, ResponseStatusCode: &code}, &stale)
	if !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("FinishAttempt after the cancel: %v, want ErrLeaseLost", err)
	}
	got, err := s.GetDelivery(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != DeliveryCanceled || got.LeasedUntil != nil || got.AttemptCount != 0 {
		t.Fatalf("after the stale finish: status %s, leased until %v, %d attempts; want canceled, no lease, 0", got.Status, got.LeasedUntil, got.AttemptCount)
	}
}

// Retention prunes a finished delivery whose lease ended (a manual retry's
// process died mid-attempt) as any other, and keeps one a live lease holds.
func TestPruneDeliveriesLeaseRule(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	ended := addDeliveries(t, s, "evt_a", t0, "wh_1")[0]
	held := addDeliveries(t, s, "evt_b", t0, "wh_2")[0]
	for _, id := range []string{ended, held} {
		d := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("t_"+id, t0.Add(time.Second)), Limit: 1})[0]
		d.Status, d.NextAttemptAt = DeliveryDeadLettered, nil
		if err := s.FinishAttempt(ctx, "t_"+id, nil, &d); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(48 * time.Hour)
	if _, err := s.ClaimDelivery(ctx, ended, []string{DeliveryDeadLettered}, t0.Add(time.Hour), lease("retry1", t0.Add(time.Hour+time.Minute))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimDelivery(ctx, held, []string{DeliveryDeadLettered}, now, lease("retry2", now.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneDeliveries(ctx, t0.Add(24*time.Hour), now)
	if err != nil || n != 1 {
		t.Fatalf("PruneDeliveries: %d, %v; want 1", n, err)
	}
	if _, err := s.GetDelivery(ctx, ended); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the delivery whose lease ended: %v, want it pruned", err)
	}
	if _, err := s.GetDelivery(ctx, held); err != nil {
		t.Fatalf("the delivery a live lease holds: %v, want it kept", err)
	}
}

// A prune larger than a batch goes on batch after batch until everything
// due is deleted (a loop that stopped after one batch of 3 would leave 5
// of the 8), the deliveries' events with them, and keeps what is not due.
func TestPruneDeliveriesInBatches(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	old := pruneBatch
	pruneBatch = 3
	t.Cleanup(func() { pruneBatch = old })

	var finished []string
	for i := range 8 { // 8 events, one delivery each: three batches of 3
		id := addDeliveries(t, s, fmt.Sprintf("evt_%d", i), t0, fmt.Sprintf("wh_%d", i))[0]
		finished = append(finished, id)
		d := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("t_"+id, t0.Add(time.Second)), Limit: 1})[0]
		d.Status, d.NextAttemptAt = DeliverySucceeded, nil
		if err := s.FinishAttempt(ctx, "t_"+id, nil, &d); err != nil {
			t.Fatal(err)
		}
	}
	pending := addDeliveries(t, s, "evt_pending", t0, "wh_p")[0]

	n, err := s.PruneDeliveries(ctx, t0.Add(24*time.Hour), t0.Add(48*time.Hour))
	if err != nil || n != len(finished) {
		t.Fatalf("PruneDeliveries: %d, %v; want %d", n, err, len(finished))
	}
	for _, id := range finished {
		if _, err := s.GetDelivery(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want it pruned", id, err)
		}
	}
	if _, err := s.GetDelivery(ctx, pending); err != nil {
		t.Errorf("the pending delivery: %v, want it kept", err)
	}
	var events int
	if err := s.read().QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 1 {
		t.Errorf("%d events left, want 1 (the pending delivery's)", events)
	}
}

// EndInterruptedTests dead-letters only a test delivery that nothing
// schedules (no next attempt), made before the time given, that no live
// lease holds: not a young one (its attempt may be running in another
// process, not yet claimed), not one an attempt holds, and no scheduled
// delivery.
func TestEndInterruptedTests(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	add := func(id string, created time.Time, isTest bool, next *time.Time) {
		t.Helper()
		ev := &Event{ID: "evt_" + id, Type: "order.created", Body: []byte(`{}`), Fingerprint: "f", CreatedAt: created}
		d := Delivery{ID: id, WebhookID: "wh_1", EventID: ev.ID, EventType: ev.Type, Status: DeliveryPending, MaxAttempts: 1,
			CreatedAt: created, NextAttemptAt: next, DeadlineAt: created.Add(72 * time.Hour), Trigger: TriggerTest, IsTest: isTest}
		if _, err := s.CreateEvent(ctx, ev, []Delivery{d}); err != nil {
			t.Fatal(err)
		}
	}
	due := t0
	add("dlv_interrupted", t0, true, nil)
	add("dlv_held", t0, true, nil)
	add("dlv_young", t0.Add(time.Hour), true, nil)
	add("dlv_replay_of_a_test", t0, true, &due) // scheduled: the claims' business
	if _, err := s.ClaimDelivery(ctx, "dlv_held", []string{DeliveryPending}, t0.Add(time.Hour), lease("live", t0.Add(2*time.Hour))); err != nil {
		t.Fatal(err)
	}
	n, err := s.EndInterruptedTests(ctx, t0.Add(time.Minute), t0.Add(90*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("EndInterruptedTests: %d, %v; want 1", n, err)
	}
	for id, want := range map[string]string{"dlv_interrupted": DeliveryDeadLettered, "dlv_held": DeliveryPending, "dlv_young": DeliveryPending, "dlv_replay_of_a_test": DeliveryPending} {
		d, err := s.GetDelivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != want {
			t.Errorf("%s: %s, want %s", id, d.Status, want)
		}
		if id == "dlv_interrupted" && (d.LastError == nil || *d.LastError != InterruptedTestError || d.Leased(t0)) {
			t.Errorf("%s: last error %v, leased %v", id, d.LastError, d.Leased(t0))
		}
	}
}
