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

	// The store finds the subscribers and writes the deliveries in one
	// transaction, from an index of patterns: no webhook is decrypted, and
	// one created just before is not missed.
	n, existing, err := e.store.PublishEvent(ctx, ev, func(webhookID string) store.Delivery {
		return e.newDelivery(webhookID, ev, now, store.TriggerEvent)
	})
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
	e.cfg.Observer.EventPublished(n)
	if n > 0 {
		e.Wake()
	}
	return Published{EventID: ev.ID, Deliveries: n}, nil
}

func (e *Engine) newDelivery(webhookID string, ev *store.Event, now time.Time, trigger string) store.Delivery {
	next := now
	return store.Delivery{
		ID: ids.New("dlv_"), WebhookID: webhookID, EventID: ev.ID, EventType: ev.Type,
		Status: store.DeliveryPending, MaxAttempts: MaxAttempts, CreatedAt: now,
		NextAttemptAt: &next, DeadlineAt: now.Add(Budget), Trigger: trigger,
	}
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

// CancelWebhook cancels the remaining work of a webhook that was deleted or
// switched off.
func (e *Engine) CancelWebhook(ctx context.Context, webhookID string) error {
	_, err := e.store.CancelDeliveries(ctx, webhookID, e.clock.Now().UTC())
	return err
}
