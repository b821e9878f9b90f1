package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Event types the engine publishes itself.
const (
	EventDeliveryFailedFinal = "webhook.delivery_failed_final"
	EventEndpointDisabled    = "webhook.endpoint_disabled"
	// autoDisableStreak dead-lettered deliveries in a row disable an endpoint.
	autoDisableStreak = 3
)

// advance records the attempt and moves the delivery to its next state:
// succeeded, retrying at the next scheduled time, or dead-lettered.
func (e *Engine) advance(ctx context.Context, wh *store.Webhook, d *store.Delivery, token string, a *store.Attempt, res attemptResult, trigger string) {
	now := e.clock.Now().UTC()
	d.AttemptCount = a.Number
	d.LastAttemptAt = &a.StartedAt
	d.LastResponseStatusCode, d.LastError = res.ResponseStatusCode, res.Error
	d.LastDurationMS = &res.DurationMS

	gone := res.ResponseStatusCode != nil && *res.ResponseStatusCode == 410
	wasDeadLettered := d.Status == store.DeliveryDeadLettered
	switch {
	case res.Succeeded:
		d.Status, d.NextAttemptAt = store.DeliverySucceeded, nil
	case d.IsTest || gone || wasDeadLettered:
		// Tests are never retried; 410 Gone means stop; a manual retry of a
		// dead-lettered delivery does not restart its schedule.
		d.Status, d.NextAttemptAt = store.DeliveryDeadLettered, nil
	case trigger == store.AttemptManual && d.NextAttemptAt != nil && d.AttemptCount < d.MaxAttempts:
		// A manual attempt of a retrying delivery keeps the scheduled one.
	default:
		next, ok := e.schedule.Next(d.AttemptCount, now, d.DeadlineAt, res.retryAfter)
		if ok && d.AttemptCount < d.MaxAttempts {
			d.Status, d.NextAttemptAt = store.DeliveryRetrying, &next
		} else {
			d.Status, d.NextAttemptAt = store.DeliveryDeadLettered, nil
		}
	}
	took := time.Duration(res.DurationMS) * time.Millisecond
	if err := e.store.FinishAttempt(ctx, token, a, d); err != nil {
		e.cfg.Observer.AttemptFinished("failed_to_record", took)
		e.logFinishError("record attempt", d, err)
		return
	}
	e.cfg.Observer.AttemptFinished(d.Status, took)
	if d.NextAttemptAt != nil {
		// The scheduler may be asleep until a later time than this retry.
		// Not new work (Wake): it falls due by the clock.
		e.poke()
	}
	e.log.Info("delivery attempt", "delivery_id", d.ID, "webhook_id", wh.ID, "event_id", d.EventID,
		"attempt", a.Number, "status", d.Status, "response_status_code", intOrNil(res.ResponseStatusCode), "error", strOrNil(res.Error), "duration_ms", res.DurationMS)

	if d.IsTest {
		return
	}
	switch {
	case res.Succeeded:
		e.resetStreak(ctx, wh)
	case gone:
		e.disable(ctx, wh.ID, fmt.Sprintf("the endpoint answered 410 Gone at %s", now.Format(time.RFC3339)))
	case d.Status == store.DeliveryDeadLettered && !wasDeadLettered:
		e.deadLettered(ctx, wh, d, now)
	}
}

func (e *Engine) resetStreak(ctx context.Context, wh *store.Webhook) {
	if wh.DeadLetterStreak == 0 {
		return
	}
	if _, err := e.store.UpdateWebhook(ctx, wh.ID, func(w *store.Webhook) error {
		w.DeadLetterStreak = 0
		return nil
	}); err != nil {
		e.log.Error("reset dead-letter streak", "webhook_id", wh.ID, "error", err)
	}
}

// deadLettered publishes webhook.delivery_failed_final and disables the
// endpoint after a run of dead letters. Failures of the engine's own
// webhook.* events publish nothing, so a broken endpoint cannot feed a loop.
func (e *Engine) deadLettered(ctx context.Context, wh *store.Webhook, d *store.Delivery, now time.Time) {
	if catalogCategory(d.EventType) == "webhook" {
		return
	}
	e.publishFailedFinal(ctx, wh, d, now)
	updated, err := e.store.UpdateWebhook(ctx, wh.ID, func(w *store.Webhook) error {
		w.DeadLetterStreak++
		return nil
	})
	if err != nil {
		e.log.Error("count dead letters", "webhook_id", wh.ID, "error", err)
		return
	}
	if updated.DeadLetterStreak >= autoDisableStreak && updated.Status != store.StatusAutoDisabled {
		e.disable(ctx, wh.ID, fmt.Sprintf("%d consecutive deliveries were dead-lettered (the last at %s)", updated.DeadLetterStreak, now.Format(time.RFC3339)))
	}
}

// publishFailedFinal publishes webhook.delivery_failed_final for d, a
// delivery of wh that was just dead-lettered.
func (e *Engine) publishFailedFinal(ctx context.Context, wh *store.Webhook, d *store.Delivery, now time.Time) {
	e.publishOwn(ctx, EventDeliveryFailedFinal, wh.GroupID, map[string]any{
		"webhook_id": wh.ID, "delivery_id": d.ID, "event_id": d.EventID, "event_type": d.EventType,
		"attempt_count": d.AttemptCount, "last_response_status_code": d.LastResponseStatusCode,
		"last_error": d.LastError, "dead_lettered_at": now.Format(time.RFC3339Nano),
	})
}

// disable marks the webhook auto_disabled, cancels its remaining work and
// publishes webhook.endpoint_disabled.
func (e *Engine) disable(ctx context.Context, webhookID, reason string) {
	now := e.clock.Now().UTC()
	already := false
	wh, err := e.store.UpdateWebhook(ctx, webhookID, func(w *store.Webhook) error {
		already = w.Status == store.StatusAutoDisabled
		w.Status, w.DisabledReason = store.StatusAutoDisabled, &reason
		w.UpdatedAt = now.Truncate(time.Microsecond)
		return nil
	})
	if err != nil {
		e.log.Error("auto-disable webhook", "webhook_id", webhookID, "error", err)
		return
	}
	if already {
		return
	}
	e.log.Warn("webhook auto-disabled", "webhook_id", webhookID, "reason", reason)
	if _, err := e.store.CancelDeliveries(ctx, webhookID, now); err != nil {
		e.log.Error("cancel deliveries of a disabled webhook", "webhook_id", webhookID, "error", err)
	}
	e.publishOwn(ctx, EventEndpointDisabled, wh.GroupID, map[string]any{
		"webhook_id": wh.ID, "url": wh.URL, "reason": reason, "disabled_at": now.Format(time.RFC3339Nano),
	})
}

// cancelDelivery ends a delivery whose webhook is gone or switched off.
func (e *Engine) cancelDelivery(ctx context.Context, d *store.Delivery, token string) {
	d.Status, d.NextAttemptAt = store.DeliveryCanceled, nil
	if err := e.store.FinishAttempt(ctx, token, nil, d); err != nil {
		e.logFinishError("cancel delivery", d, err)
	}
}

// releaseForLater gives a delivery back after an internal failure (not the
// receiver's: its webhook wh (nil when it could not be read) or its event
// could not be read, its secret not decrypted): it is tried again a minute
// later, without counting, until its deadline (the retry budget's 72
// hours). Past it the delivery is dead-lettered with last_error
// internal_error, as a receiver that failed for as long would have it: it
// stops being tried every minute forever, and can still be retried or
// replayed once the cause is fixed. It counts as a dead letter in the
// metrics and, when its webhook could be read, publishes
// webhook.delivery_failed_final, as any dead letter does; it does not
// count towards disabling the webhook, whose receiver did nothing wrong.
func (e *Engine) releaseForLater(ctx context.Context, wh *store.Webhook, d *store.Delivery, token string) {
	now := e.clock.Now().UTC()
	if !now.Before(d.DeadlineAt) {
		class := ErrorInternal
		d.Status, d.NextAttemptAt, d.LastError = store.DeliveryDeadLettered, nil, &class
		if err := e.store.FinishAttempt(ctx, token, nil, d); err != nil {
			e.logFinishError("dead-letter a delivery past its deadline", d, err)
			return
		}
		e.log.Error("delivery dead-lettered: hookd could not attempt it until its deadline (see the errors logged before)", "delivery_id", d.ID, "webhook_id", d.WebhookID)
		e.cfg.Observer.DeliveryEnded(store.DeliveryDeadLettered)
		if wh != nil && !d.IsTest && catalogCategory(d.EventType) != "webhook" {
			e.publishFailedFinal(ctx, wh, d, now)
		}
		return
	}
	next := now.Add(time.Minute)
	d.NextAttemptAt = &next
	e.giveBack(ctx, d, token)
}

// giveBack returns a claimed delivery as d says, without an attempt (as
// claimed, a scheduled delivery is due again at once; a manual retry's
// stays as it was). Once the lease has ended, another claim may hold the
// delivery: then nothing is written (the lease's token is no longer
// there).
func (e *Engine) giveBack(ctx context.Context, d *store.Delivery, token string) {
	if err := e.store.FinishAttempt(ctx, token, nil, d); err != nil {
		e.logFinishError("give the delivery back", d, err)
	}
	e.poke()
}

// logFinishError reports a failure to record; a lost lease is expected
// after a pause longer than the lease (the attempt's outcome is dropped,
// and the delivery's new holder decides), anything else is an error.
func (e *Engine) logFinishError(what string, d *store.Delivery, err error) {
	if errors.Is(err, store.ErrLeaseLost) {
		e.log.Warn(what+": the delivery's lease was lost (it expired and was claimed again, or the delivery is gone); this outcome is dropped", "delivery_id", d.ID)
		return
	}
	e.log.Error(what, "delivery_id", d.ID, "error", err)
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func strOrNil(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}
