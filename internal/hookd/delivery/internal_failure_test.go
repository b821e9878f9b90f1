package delivery_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// unreadableEvents is a store whose events cannot be read: an internal
// failure, not the receiver's.
type unreadableEvents struct {
	delivery.Store
}

func (unreadableEvents) GetEvent(context.Context, string) (*store.Event, error) {
	return nil, errors.New("the event cannot be read")
}

// endings counts the deliveries that ended without an attempt.
type endings struct {
	deadLettered atomic.Int32
}

func (*endings) EventPublished(int)                    {}
func (*endings) AttemptStarted()                       {}
func (*endings) AttemptFinished(string, time.Duration) {}
func (o *endings) DeliveryEnded(outcome string) {
	if outcome == store.DeliveryDeadLettered {
		o.deadLettered.Add(1)
	}
}

// A delivery hookd cannot attempt (its event unreadable here; a secret
// that does not decrypt is the same) is tried again a minute later,
// without counting an attempt, until its deadline; past the deadline it is
// dead-lettered with last_error internal_error instead of being tried
// every minute forever, and that is a dead letter like any other: counted
// (the metrics' deliveries by outcome) and announced with
// webhook.delivery_failed_final.
func TestInternalFailureUntilTheDeadline(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	db := newLoopStore(t, clock.Now())
	db.webhook(gatedWebhook, "http://127.0.0.1:9/never")
	watcher := &store.Webhook{ID: "wh_watchesfailures0000", Scope: store.ScopeAccount, URL: "http://127.0.0.1:9/watch",
		Events: []string{"webhook.delivery_failed_final"}, Active: true, Status: store.StatusActive, Secret: "whsec_" + strings.Repeat("A", 43) + "=",
		SecretVersion: 1, CreatedAt: clock.Now(), UpdatedAt: clock.Now(), SignatureScheme: rules.SchemeV1}
	if err := db.CreateWebhook(t.Context(), watcher); err != nil {
		t.Fatal(err)
	}
	deadline := clock.Now().Add(150 * time.Second)
	db.delivery(gatedWebhook, clock.Now(), func(d *store.Delivery) { d.DeadlineAt = deadline })
	observer := &endings{}
	e := delivery.New(delivery.Config{Store: unreadableEvents{db}, Catalog: catalog.Default(), Clock: clock, AllowPrivateDestinations: true,
		Version: "test", Workers: 4, PerWebhook: 2, AttemptTimeout: 15 * time.Second, Observer: observer})
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	e.Wake()

	state := func() store.Delivery {
		t.Helper()
		ds, _, err := db.ListDeliveries(t.Context(), store.DeliveryFilter{WebhookID: gatedWebhook}, store.Page{Limit: 10})
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries: %v, %v", ds, err)
		}
		return ds[0]
	}
	// Given back for a minute later, twice, within the deadline.
	for i := range 2 {
		want := clock.Now().Add(time.Minute)
		eventually(t, "the delivery given back", func() bool {
			d := state()
			return d.NextAttemptAt != nil && d.NextAttemptAt.Equal(want) && !d.Leased(clock.Now())
		})
		if d := state(); d.Status != store.DeliveryPending || d.AttemptCount != 0 || d.LastError != nil {
			t.Fatalf("after internal failure %d: %+v, want pending with no attempt counted", i+1, d)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		cancel()
		clock.Advance(time.Minute)
	}
	// The third falls at 12:02, before 12:02:30: given back once more; the
	// fourth, at 12:03, is past the deadline.
	eventually(t, "the third failure", func() bool { d := state(); return d.NextAttemptAt != nil && d.NextAttemptAt.After(deadline) })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	eventually(t, "the delivery dead-lettered at its deadline", func() bool { return state().Status == store.DeliveryDeadLettered })
	if d := state(); d.LastError == nil || *d.LastError != delivery.ErrorInternal || d.NextAttemptAt != nil || d.AttemptCount != 0 {
		t.Fatalf("past the deadline: %+v, want dead-lettered with %s, no next attempt, no attempt counted", d, delivery.ErrorInternal)
	}
	if n := observer.deadLettered.Load(); n != 1 {
		t.Errorf("the observer was told of %d dead letters without an attempt, want 1", n)
	}
	announced, _, err := db.ListDeliveries(t.Context(), store.DeliveryFilter{WebhookID: watcher.ID}, store.Page{Limit: 10})
	if err != nil || len(announced) != 1 || announced[0].EventType != delivery.EventDeliveryFailedFinal {
		t.Errorf("deliveries of webhook.delivery_failed_final: %+v, %v; want one", announced, err)
	}
}
