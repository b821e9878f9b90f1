package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Test sends one synchronous test delivery of eventType (its catalog
// example as data) to the webhook, whatever its state, and records it.
func (e *Engine) Test(ctx context.Context, webhookID, eventType string) (Outcome, error) {
	wh, err := e.store.GetWebhook(ctx, webhookID)
	if err != nil {
		return Outcome{}, err
	}
	et, ok := e.cfg.Catalog.Lookup(eventType)
	if !ok {
		return Outcome{}, fmt.Errorf("event type %q is not in the catalog", eventType)
	}
	now := e.clock.Now().UTC().Truncate(time.Microsecond)
	id := ids.New("evt_")
	var data bytes.Buffer
	if err := json.Compact(&data, et.Example); err != nil {
		return Outcome{}, err
	}
	env := envelope{ID: id, Type: et.Type, CreatedAt: now.Format(time.RFC3339Nano), Data: data.Bytes()}
	if wh.GroupID != "" {
		env.GroupID = &wh.GroupID
	}
	body, err := json.Marshal(env)
	if err != nil {
		return Outcome{}, err
	}
	ev := &store.Event{ID: id, Type: et.Type, GroupID: wh.GroupID, Body: body, CreatedAt: now}
	d := e.newDelivery(wh.ID, ev, now, store.TriggerTest)
	d.IsTest, d.MaxAttempts, d.NextAttemptAt = true, 1, nil // never scheduled
	// A worker first, like every attempt, so that Workers and the
	// webhook's cap bound these too; then the delivery, so that a caller who
	// gives up while waiting leaves nothing behind. From there on the work
	// is the engine's, not the caller's: a caller who disconnects must not
	// leave a test delivery created but never attempted, or attempted but
	// never recorded.
	if err := e.reserve(ctx, wh.ID); err != nil {
		return Outcome{}, err
	}
	defer e.release(wh.ID)
	ctx = context.WithoutCancel(ctx)
	if _, err := e.store.CreateEvent(ctx, ev, []store.Delivery{d}); err != nil {
		return Outcome{}, err
	}
	claimed, lease, err := e.claim(ctx, d.ID, store.DeliveryPending)
	if err != nil {
		return Outcome{}, err
	}
	return e.runAttempt(ctx, claimed, lease, store.AttemptManual, nil), nil
}

// claim takes the lease of one delivery for a manual attempt, with a
// worker already held.
func (e *Engine) claim(ctx context.Context, id string, statuses ...string) (*store.Delivery, store.Lease, error) {
	now := e.clock.Now()
	lease := e.newLease(now)
	d, err := e.store.ClaimDelivery(ctx, id, statuses, now, lease)
	return d, lease, err
}

// DefaultTestEventType is the first catalog type the webhook subscribes to.
func (e *Engine) DefaultTestEventType(wh *store.Webhook) string {
	for _, et := range e.cfg.Catalog.Types() {
		if subscribes(wh.Events, et.Type) {
			return et.Type
		}
	}
	return ""
}

// Retry starts one immediate manual attempt of a retrying or dead-lettered
// delivery, in the background.
func (e *Engine) Retry(ctx context.Context, deliveryID string) (*store.Delivery, error) {
	d, err := e.store.GetDelivery(ctx, deliveryID)
	if err != nil {
		return nil, err
	}
	if !d.Retryable() {
		return nil, fmt.Errorf("%w: delivery %s is %s; only retrying and dead_lettered deliveries can be retried", ErrNotRetryable, d.ID, d.Status)
	}
	if err := e.checkDeliverable(ctx, d); err != nil {
		return nil, err
	}
	if d.Leased(e.clock.Now()) {
		return nil, fmt.Errorf("%w: retry later", ErrBusy)
	}
	// A worker first, then the claim, as for scheduled attempts: the
	// caller waits while every worker, or its webhook's cap, is busy.
	if err := e.reserve(ctx, d.WebhookID); err != nil {
		return nil, err
	}
	claimed, lease, err := e.claim(ctx, d.ID, store.DeliveryRetrying, store.DeliveryDeadLettered)
	if err != nil {
		e.release(d.WebhookID)
		switch {
		case errors.Is(err, store.ErrLeaseHeld):
			return nil, fmt.Errorf("%w: retry later", ErrBusy)
		case errors.Is(err, store.ErrNotClaimable):
			return nil, fmt.Errorf("%w: delivery %s changed state while the retry waited; read it again", ErrNotRetryable, d.ID)
		}
		return nil, err
	}
	// The caller gets the delivery as claimed; the attempt works on its own
	// copy (sharing one would race with the caller reading it).
	snapshot := *claimed
	e.wg.Add(1)
	e.pool.run(func() {
		defer e.wg.Done()
		w := e.working(claimed.WebhookID)
		defer w.done()
		// The call's answer was committed with the claim; the attempt's own
		// writes (an auto-disable, a dead letter's event) are not the call's.
		e.runAttempt(store.WithoutIdempotentOutcome(context.WithoutCancel(ctx)), claimed, lease, store.AttemptManual, w)
	})
	return &snapshot, nil
}

// Replay delivers a terminal delivery's event again as a new delivery, on
// the normal schedule. Same event id, same body.
func (e *Engine) Replay(ctx context.Context, deliveryID string) (*store.Delivery, error) {
	orig, err := e.store.GetDelivery(ctx, deliveryID)
	if err != nil {
		return nil, err
	}
	if !orig.Replayable() {
		return nil, fmt.Errorf("%w: delivery %s is %s; only succeeded, dead_lettered and canceled deliveries can be replayed", ErrNotRetryable, orig.ID, orig.Status)
	}
	if err := e.checkDeliverable(ctx, orig); err != nil {
		return nil, err
	}
	ev, err := e.store.GetEvent(ctx, orig.EventID)
	if err != nil {
		return nil, err
	}
	now := e.clock.Now().UTC().Truncate(time.Microsecond)
	d := e.newDelivery(orig.WebhookID, ev, now, store.TriggerReplay)
	d.ReplayOf, d.IsTest = orig.ID, orig.IsTest
	if err := e.store.CreateDelivery(ctx, &d); err != nil {
		return nil, err
	}
	e.Wake()
	return &d, nil
}

// checkDeliverable refuses manual work that the attempt would only cancel:
// a non-test delivery of a webhook that is gone, switched off or
// auto-disabled.
func (e *Engine) checkDeliverable(ctx context.Context, d *store.Delivery) error {
	wh, err := e.store.GetWebhook(ctx, d.WebhookID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: webhook %s of delivery %s was deleted", ErrNotRetryable, d.WebhookID, d.ID)
	}
	if err != nil {
		return err
	}
	switch {
	case d.IsTest:
	case wh.Status == store.StatusAutoDisabled:
		return fmt.Errorf("%w: webhook %s is auto_disabled; re-enable it first with PATCH {\"status\": \"active\"}", ErrNotRetryable, wh.ID)
	case !wh.Active:
		return fmt.Errorf("%w: webhook %s is inactive; set active to true first", ErrNotRetryable, wh.ID)
	}
	return nil
}
