package store

import (
	"context"
	"errors"
	"time"
)

// Delivery status values.
const (
	DeliveryPending      = "pending"
	DeliveryRetrying     = "retrying"
	DeliverySucceeded    = "succeeded"
	DeliveryDeadLettered = "dead_lettered"
	DeliveryCanceled     = "canceled"
)

// Delivery triggers, and attempt triggers.
const (
	TriggerEvent     = "event"
	TriggerReplay    = "replay"
	TriggerTest      = "test"
	AttemptScheduled = "scheduled"
	AttemptManual    = "manual"
)

// ErrEventExists: an event with this id was stored before (CreateEvent).
var ErrEventExists = errors.New("event already exists")

// Event is one published event. Body is the exact JSON every delivery sends,
// fixed at publication so that every attempt and replay is byte-identical.
type Event struct {
	ID          string
	Type        string
	GroupID     string // "" when the event belongs to no group
	Body        []byte
	Fingerprint string // hex SHA-256 of the publish request, for idempotent ids
	CreatedAt   time.Time
}

// Delivery is one event on its way to one webhook.
type Delivery struct {
	ID                     string
	WebhookID              string
	EventID                string
	EventType              string
	Status                 string
	AttemptCount           int
	MaxAttempts            int
	CreatedAt              time.Time
	LastAttemptAt          *time.Time
	NextAttemptAt          *time.Time // nil when terminal
	DeadlineAt             time.Time
	LastResponseStatusCode *int
	LastError              *string
	LastDurationMS         *int64
	Trigger                string
	ReplayOf               string // "" unless Trigger is replay
	IsTest                 bool
}

// Terminal reports whether no attempt is due any more.
func (d *Delivery) Terminal() bool {
	switch d.Status {
	case DeliverySucceeded, DeliveryDeadLettered, DeliveryCanceled:
		return true
	}
	return false
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	DeliveryID         string
	Number             int
	Trigger            string // AttemptScheduled or AttemptManual
	StartedAt          time.Time
	DurationMS         int64
	ResponseStatusCode *int
	Error              *string
	ResponseBody       string            // the first 4 KiB
	RequestHeaders     map[string]string // secrets already redacted by the caller
}

// DeliveryFilter narrows ListDeliveries; zero values mean "any".
type DeliveryFilter struct {
	WebhookID     string
	Status        string
	EventType     string
	IsTest        *bool
	CreatedAfter  *time.Time // exclusive
	CreatedBefore *time.Time // exclusive
}

// DeliveryStore is the delivery engine's persistence.
type DeliveryStore interface {
	// CreateEvent stores the event and its deliveries in one transaction, so
	// that no delivery is lost to a crash after the publish was accepted.
	// When an event with ev.ID exists, nothing is written and the stored
	// event is returned with ErrEventExists.
	CreateEvent(ctx context.Context, ev *Event, deliveries []Delivery) (*Event, error)
	// PublishEvent stores ev and one delivery (made by newDelivery) per
	// deliverable webhook subscribed to it, found in the same transaction;
	// it returns their number, or the stored event with ErrEventExists.
	PublishEvent(ctx context.Context, ev *Event, newDelivery func(webhookID string) Delivery) (int, *Event, error)
	GetEvent(ctx context.Context, id string) (*Event, error)
	CountEventDeliveries(ctx context.Context, eventID string) (int, error)

	// CreateDelivery adds one delivery of an existing event (tests, replays).
	CreateDelivery(ctx context.Context, d *Delivery) error
	GetDelivery(ctx context.Context, id string) (*Delivery, error)
	// ListDeliveries is ordered newest first: (CreatedAt, ID) descending.
	ListDeliveries(ctx context.Context, f DeliveryFilter, p Page) ([]Delivery, string, error)
	ListAttempts(ctx context.Context, deliveryID string) ([]Attempt, error)

	// DueDeliveries returns up to limit pending or retrying deliveries whose
	// NextAttemptAt is not after now and that no attempt holds, soonest first.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// NextAttemptAt is the earliest NextAttemptAt of pending or retrying
	// deliveries not held by an attempt, nil when there are none.
	NextAttemptAt(ctx context.Context) (*time.Time, error)
	// ClaimDelivery takes the delivery's lease until leaseUntil unless an
	// unexpired lease exists: false means another attempt runs, so that two
	// attempts of one delivery never overlap.
	ClaimDelivery(ctx context.Context, id string, now, leaseUntil time.Time) (bool, error)
	// FinishAttempt stores the attempt and the delivery's new state and
	// releases the lease, in one transaction.
	FinishAttempt(ctx context.Context, a *Attempt, d *Delivery) error
	// ReleaseLeases drops every lease: at start, no attempt can be running.
	ReleaseLeases(ctx context.Context) error
	// CancelDeliveries cancels the pending and retrying deliveries of a
	// webhook and returns how many.
	CancelDeliveries(ctx context.Context, webhookID string, now time.Time) (int, error)
	// PruneDeliveries deletes terminal deliveries (with their attempts)
	// created before t, and events left without deliveries.
	PruneDeliveries(ctx context.Context, before time.Time) (int, error)
}
