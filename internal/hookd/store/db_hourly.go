package store

import (
	"context"
	"fmt"
	"time"
)

var qDeliveriesPerHour = `SELECT (created_at - ?) / ?, status, COUNT(*) FROM (` +
	webhookDeliveries("created_at, status", "webhook_id = ? AND created_at >= ? AND created_at < ?", "") + `) AS d GROUP BY 1, 2 ORDER BY 1, 2`

// HourlyCount is how many of a webhook's deliveries created in one hour
// have one status.
type HourlyCount struct {
	Hour   time.Time // the start of the hour
	Status string
	Count  int
}

// DeliveriesPerHour counts the webhook's deliveries created at or after
// since and before until, by hour from since and by status, in one
// statement over a range of the deliveries_webhook_created index (and of
// the unlisted ones'): GET /v1/webhooks/{id}/deliveries/stats, which the
// console's chart reads, instead of every delivery of the range through
// the list. Only the hours and statuses that have deliveries are returned,
// ordered by hour, then status.
func (s *DB) DeliveriesPerHour(ctx context.Context, webhookID string, since, until time.Time) ([]HourlyCount, error) {
	from, to := toNanos(since), toNanos(until)
	hour := int64(time.Hour)
	rows, err := s.reader.QueryContext(ctx, qDeliveriesPerHour, from, hour, webhookID, from, to, webhookID, from, to)
	if err != nil {
		return nil, fmt.Errorf("count deliveries per hour: %w", err)
	}
	defer rows.Close()
	var out []HourlyCount
	for rows.Next() {
		var (
			h int64
			c HourlyCount
		)
		if err := rows.Scan(&h, &c.Status, &c.Count); err != nil {
			return nil, fmt.Errorf("count deliveries per hour: %w", err)
		}
		c.Hour = fromNanos(from + h*hour)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count deliveries per hour: %w", err)
	}
	return out, nil
}
