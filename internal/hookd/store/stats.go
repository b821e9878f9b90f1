package store

import (
	"context"
	"time"
)

// DeliveryStats is the delivery backlog as an operator sees it. The
// numbers are read from the stored deliveries, so they hold across restarts
// and whatever the engine is doing.
type DeliveryStats struct {
	// Due counts deliveries waiting for an attempt now: pending or retrying,
	// NextAttemptAt not after now, no live lease: what ClaimDue would take
	// (the same SQL rule).
	Due int
	// Retrying counts deliveries in status retrying, due or not.
	Retrying int
	// OldestDueAt is the earliest NextAttemptAt among the due deliveries,
	// nil when none is due: how far the engine is behind.
	OldestDueAt *time.Time
}

// StatsStore answers operators' questions about the stored deliveries.
type StatsStore interface {
	// DeliveryStats reads the backlog at now (from the caller's clock).
	DeliveryStats(ctx context.Context, now time.Time) (DeliveryStats, error)
}

// HealthStore answers the readiness check.
type HealthStore interface {
	// Ping is a round trip to the database.
	Ping(ctx context.Context) error
	// VerifyKey opens the key check record with the store's key:
	// ErrWrongEncryptionKey when it does not.
	VerifyKey(ctx context.Context) error
}
