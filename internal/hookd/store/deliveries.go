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

// DeliveryStatuses is every delivery status, in the order of a delivery's
// life: the API's filter accepts them, the console offers them.
var DeliveryStatuses = []string{DeliveryPending, DeliveryRetrying, DeliverySucceeded, DeliveryDeadLettered, DeliveryCanceled}

// Delivery triggers, and attempt triggers.
const (
	TriggerEvent     = "event"
	TriggerReplay    = "replay"
	TriggerTest      = "test"
	AttemptScheduled = "scheduled"
	AttemptManual    = "manual"
)

// Typed errors of the delivery store.
var (
	// ErrEventExists: an event with this id was stored before (CreateEvent).
	ErrEventExists = errors.New("event already exists")
	// ErrLeaseHeld: an attempt of the delivery is running (ClaimDelivery).
	ErrLeaseHeld = errors.New("an attempt of this delivery holds its lease")
	// ErrNotClaimable: the delivery is not in a status the claim accepts.
	ErrNotClaimable = errors.New("the delivery is not in a claimable status")
	// ErrLeaseLost: the lease a caller worked under expired and was taken
	// by another claim, or was released (FinishAttempt).
	ErrLeaseLost = errors.New("the delivery's lease was lost to another claim")
)

// Lease is a claim on deliveries: until Until, only the holder of Token may
// attempt them or record an attempt. Token is unique per claim, so a holder
// whose lease expired and was claimed again is fenced out even when it
// comes back before the new holder finishes.
type Lease struct {
	Token string
	Until time.Time
}

// ClaimRequest asks ClaimDue for work.
type ClaimRequest struct {
	Now   time.Time
	Lease Lease
	Limit int
	// PerWebhook, when > 0, caps the attempts of one webhook the caller
	// runs at once: ClaimDue takes at most PerWebhook - Busy[webhook]
	// deliveries of a webhook, and none of a webhook at its cap, so that
	// one slow endpoint cannot take every worker.
	PerWebhook int
	Busy       map[string]int
	// FirstPageOnly limits the claim to the first Limit × 4 due deliveries,
	// soonest first: those of webhooks at their cap are read and passed
	// over, not looked past. Looking past them (the default) walks their
	// whole backlog in the due index: a long one made every claim cost as
	// much as the backlog was long. The engine looks past them when new
	// work may have come, and now and then. PostgreSQL ignores it: there
	// every row the read returns is locked until the claim commits, and
	// locking the rows of webhooks the claim passes over would hide them
	// from other processes that have room for them.
	FirstPageOnly bool
}

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
	// LeasedUntil is the expiry of the lease an attempt holds (read only;
	// nil when none). The lease is live while it is after now.
	LeasedUntil *time.Time
}

// Leased reports whether an attempt holds the delivery at now: the one rule
// of a live lease, which every query of the store applies too.
func (d *Delivery) Leased(now time.Time) bool {
	return d.LeasedUntil != nil && d.LeasedUntil.After(now)
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
	// Unrecovered keeps only the deliveries a recovery still has to
	// replay: not replays themselves, and without a replay of their event
	// to their webhook that succeeded or is still being attempted.
	Unrecovered bool
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
	// An idempotent outcome in ctx commits with them, encoded from their
	// Published.
	PublishEvent(ctx context.Context, ev *Event, newDelivery func(webhookID string) Delivery) (int, *Event, error)
	GetEvent(ctx context.Context, id string) (*Event, error)
	CountEventDeliveries(ctx context.Context, eventID string) (int, error)

	// CreateDelivery adds one delivery of an existing event (tests, replays).
	CreateDelivery(ctx context.Context, d *Delivery) error
	GetDelivery(ctx context.Context, id string) (*Delivery, error)
	// ListDeliveries is ordered newest first: (CreatedAt, ID) descending.
	ListDeliveries(ctx context.Context, f DeliveryFilter, p Page) ([]Delivery, string, error)
	// CountDeliveries is how many deliveries ListDeliveries would list
	// with f, over every page.
	CountDeliveries(ctx context.Context, f DeliveryFilter) (int, error)
	// DeliveriesPerHour counts the webhook's deliveries created in
	// [since, until) by hour from since and by status, in one statement.
	DeliveriesPerHour(ctx context.Context, webhookID string, since, until time.Time) ([]HourlyCount, error)
	// GetDeliveryWithAttempts reads a delivery and its attempts as of one
	// moment (one read transaction): an attempt is recorded in the same
	// commit as the state it leaves its delivery in, and two reads apart
	// could show the attempt beside the state before it.
	GetDeliveryWithAttempts(ctx context.Context, id string) (*Delivery, []Attempt, error)

	// ClaimDue takes the lease of up to r.Limit due deliveries (pending or
	// retrying, NextAttemptAt not after r.Now, no live lease) soonest first,
	// in one conditional statement, and returns them as they are now: the
	// caller works only on these rows, under r.Lease.
	ClaimDue(ctx context.Context, r ClaimRequest) ([]Delivery, error)
	// ClaimDelivery takes the lease of one delivery when its status is one
	// of statuses and no live lease exists, and returns it as it is now.
	// ErrLeaseHeld: an attempt holds it; ErrNotClaimable: its status is not
	// one of statuses; ErrNotFound.
	ClaimDelivery(ctx context.Context, id string, statuses []string, now time.Time, lease Lease) (*Delivery, error)
	// NextAttemptAt is when ClaimDue may next find work: the earliest
	// NextAttemptAt of unleased pending or retrying deliveries, or the
	// earliest expiry of a live lease on one; nil when there is neither.
	NextAttemptAt(ctx context.Context, now time.Time) (*time.Time, error)
	// FinishAttempt stores the attempt (when a is not nil) and the state the
	// attempt moved the delivery to (status, attempt count, next attempt,
	// last outcome), and releases the lease, in one transaction, provided
	// the lease is still token's. ErrLeaseLost otherwise: nothing is
	// written, since another attempt owns the delivery now.
	FinishAttempt(ctx context.Context, token string, a *Attempt, d *Delivery) error
	// CancelDeliveries cancels the pending and retrying deliveries of a
	// webhook that is deleted or not active (nothing if it is active
	// again by then) and returns how many.
	CancelDeliveries(ctx context.Context, webhookID string, now time.Time) (int, error)
	// EndInterruptedTests dead-letters the test deliveries of POST
	// .../test created before before whose attempt never ended (hookd
	// stopped while it ran) and that no live lease holds at now, and
	// returns how many.
	EndInterruptedTests(ctx context.Context, before, now time.Time) (int, error)
	// PruneDeliveries deletes terminal deliveries (with their attempts)
	// created before before that no live lease holds at now, and events
	// left without deliveries.
	PruneDeliveries(ctx context.Context, before, now time.Time) (int, error)
}
