package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

var (
	_ StatsStore  = (*DB)(nil)
	_ HealthStore = (*DB)(nil)
)

// DeliveryStats reads the whole backlog in one statement, over the rows the
// due index covers (pending and retrying), so that the numbers
// agree with each other.
func (s *DB) DeliveryStats(ctx context.Context, now time.Time) (DeliveryStats, error) {
	var (
		st     DeliveryStats
		oldest sql.NullInt64
	)
	n := toNanos(now)
	// "Due" is the claim's own rule (db_claims.go): what ClaimDue
	// would take now.
	err := s.reader.QueryRowContext(ctx, `SELECT
			COUNT(*) FILTER (WHERE `+dueNow+` AND `+leaseFree+`),
			COUNT(*) FILTER (WHERE status = 'retrying'),
			MIN(next_attempt_at) FILTER (WHERE `+dueNow+` AND `+leaseFree+`)
		FROM deliveries WHERE status IN ('pending', 'retrying')`, n, n, n, n).Scan(&st.Due, &st.Retrying, &oldest)
	if err != nil {
		return DeliveryStats{}, fmt.Errorf("read delivery stats: %w", err)
	}
	st.OldestDueAt = timePtr(oldest)
	return st, nil
}

// Ping is a round trip to the database through the reader pool.
func (s *DB) Ping(ctx context.Context) error {
	var one int
	return s.reader.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}
