package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// envelope is the body every receiver gets; its field order is fixed here.
type envelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"`
	GroupID   *string         `json:"group_id"`
	Data      json.RawMessage `json:"data"`
}

// NewEvent is a request to publish.
type NewEvent struct {
	ID          string // "" to generate one
	Type        string
	GroupID     string
	Data        json.RawMessage // already validated against the catalog
	Fingerprint string          // identifies the request, for idempotent ids
}

// Published is the outcome of Publish.
type Published struct {
	EventID    string
	Deliveries int
	Replayed   bool // the event id existed with the same fingerprint
}

// ErrEventConflict: the event id exists with other content.
var ErrEventConflict = errors.New("an event with this id exists with different content")

// Publish stores the event and one delivery per matching webhook, in one
// transaction, then wakes the scheduler.
func (e *Engine) Publish(ctx context.Context, ne NewEvent) (Published, error) {
	now := e.clock.Now().UTC().Truncate(time.Microsecond)
	if ne.ID == "" {
		ne.ID = ids.New("evt_")
	}
	var data bytes.Buffer
	if err := json.Compact(&data, ne.Data); err != nil {
		return Published{}, fmt.Errorf("event data: %w", err)
	}
	env := envelope{ID: ne.ID, Type: ne.Type, CreatedAt: now.Format(time.RFC3339Nano), Data: data.Bytes()}
	if ne.GroupID != "" {
		env.GroupID = &ne.GroupID
	}
	body, err := json.Marshal(env)
	if err != nil {
		return Published{}, err
	}
	ev := &store.Event{ID: ne.ID, Type: ne.Type, GroupID: ne.GroupID, Body: body, Fingerprint: ne.Fingerprint, CreatedAt: now}

	hooks, err := e.subscribers(ctx, ne.Type, ne.GroupID)
	if err != nil {
		return Published{}, err
	}
	deliveries := make([]store.Delivery, len(hooks))
	for i, wh := range hooks {
		deliveries[i] = e.newDelivery(wh.ID, ev, now, store.TriggerEvent)
	}
	existing, err := e.store.CreateEvent(ctx, ev, deliveries)
	if errors.Is(err, store.ErrEventExists) {
		if existing.Fingerprint != ne.Fingerprint {
			return Published{}, ErrEventConflict
		}
		n, err := e.store.CountEventDeliveries(ctx, existing.ID)
		if err != nil {
			return Published{}, err
		}
		return Published{EventID: existing.ID, Deliveries: n, Replayed: true}, nil
	}
	if err != nil {
		return Published{}, err
	}
	if len(deliveries) > 0 {
		e.Wake()
	}
	return Published{EventID: ev.ID, Deliveries: len(deliveries)}, nil
}

func (e *Engine) newDelivery(webhookID string, ev *store.Event, now time.Time, trigger string) store.Delivery {
	next := now
	return store.Delivery{
		ID: ids.New("dlv_"), WebhookID: webhookID, EventID: ev.ID, EventType: ev.Type,
		Status: store.DeliveryPending, MaxAttempts: MaxAttempts, CreatedAt: now,
		NextAttemptAt: &next, DeadlineAt: now.Add(Budget), Trigger: trigger,
	}
}

// subscribers are the active webhooks whose events match: every account
// webhook, and the group webhooks of the event's group.
func (e *Engine) subscribers(ctx context.Context, eventType, groupID string) ([]store.Webhook, error) {
	var out []store.Webhook
	scan := func(f store.WebhookFilter) error {
		page := store.Page{Limit: 1000}
		for {
			hooks, next, err := e.store.ListWebhooks(ctx, f, page)
			if err != nil {
				return err
			}
			for _, wh := range hooks {
				if wh.Active && wh.Status != store.StatusAutoDisabled && subscribes(wh.Events, eventType) {
					out = append(out, wh)
				}
			}
			if next == "" {
				return nil
			}
			page.Cursor = next
		}
	}
	if err := scan(store.WebhookFilter{Scope: store.ScopeAccount}); err != nil {
		return nil, err
	}
	if groupID != "" {
		if err := scan(store.WebhookFilter{Scope: store.ScopeGroup, GroupID: groupID}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func subscribes(patterns []string, eventType string) bool {
	for _, p := range patterns {
		if rules.MatchEvent(p, eventType) {
			return true
		}
	}
	return false
}

func catalogCategory(eventType string) string {
	category, _, _ := strings.Cut(eventType, ".")
	return category
}

// publishOwn publishes one of the engine's own events; its data follows the
// catalog's schema for it.
func (e *Engine) publishOwn(ctx context.Context, eventType, groupID string, data map[string]any) {
	raw, err := json.Marshal(data)
	if err != nil {
		e.log.Error("encode engine event", "type", eventType, "error", err)
		return
	}
	if problems := e.cfg.Catalog.ValidateData(eventType, raw); len(problems) > 0 {
		// An operator catalog may define these types differently, or not at all.
		e.log.Warn("engine event does not match the catalog; not published", "type", eventType, "problems", fmt.Sprint(problems))
		return
	}
	if _, err := e.Publish(ctx, NewEvent{Type: eventType, GroupID: groupID, Data: raw}); err != nil {
		e.log.Error("publish engine event", "type", eventType, "error", err)
	}
}

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
	if _, err := e.store.CreateEvent(ctx, ev, []store.Delivery{d}); err != nil {
		return Outcome{}, err
	}
	return e.runAttempt(ctx, &d, store.AttemptManual), nil
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
	if d.Status != store.DeliveryRetrying && d.Status != store.DeliveryDeadLettered {
		return nil, fmt.Errorf("%w: delivery %s is %s; only retrying and dead_lettered deliveries can be retried", ErrNotRetryable, d.ID, d.Status)
	}
	if err := e.checkDeliverable(ctx, d); err != nil {
		return nil, err
	}
	now := e.clock.Now()
	claimed, err := e.store.ClaimDelivery(ctx, d.ID, now, e.leaseUntil(now))
	if err != nil {
		return nil, err
	}
	if !claimed {
		return nil, fmt.Errorf("%w: retry later", ErrBusy)
	}
	// The caller gets the delivery as it is now; the attempt works on its own
	// copy (sharing one would race with the caller reading it).
	snapshot := *d
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.slots <- struct{}{}
		defer func() { <-e.slots }()
		e.runAttempt(context.WithoutCancel(ctx), d, store.AttemptManual)
	}()
	return &snapshot, nil
}

// Replay delivers a terminal delivery's event again as a new delivery, on
// the normal schedule. Same event id, same body.
func (e *Engine) Replay(ctx context.Context, deliveryID string) (*store.Delivery, error) {
	orig, err := e.store.GetDelivery(ctx, deliveryID)
	if err != nil {
		return nil, err
	}
	if !orig.Terminal() {
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

// CancelWebhook cancels the remaining work of a webhook that was deleted or
// switched off.
func (e *Engine) CancelWebhook(ctx context.Context, webhookID string) error {
	_, err := e.store.CancelDeliveries(ctx, webhookID, e.clock.Now().UTC())
	return err
}
