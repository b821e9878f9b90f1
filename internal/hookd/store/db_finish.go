package store

import (
	"context"
	"encoding/json"
	"fmt"
)

func (s *DB) FinishAttempt(ctx context.Context, token string, a *Attempt, d *Delivery) error {
	// The hottest write of the engine, one per attempt: committed in groups
	// (sqlite_group.go).
	return s.writeGrouped(ctx, func(ctx context.Context, tx execQuerier) error { return finishOne(ctx, tx, token, a, d) })
}

var (
	qFinishDelivery = `UPDATE deliveries SET status = ?, attempt_count = ?, last_attempt_at = ?,
		next_attempt_at = ?, last_response_status_code = ?, last_error = ?, last_duration_ms = ?,
		lease_until = NULL, lease_token = NULL WHERE id = ? AND lease_token = ?`
	qInsertAttempt = `INSERT INTO attempts (delivery_id, number, trigger, started_at, duration_ms,
		response_status_code, error, response_body, request_headers) VALUES (?,?,?,?,?,?,?,?,?)`
)

// finishOne writes what an attempt owns, the fence first: nothing is
// written for an attempt whose lease another claim took over.
func finishOne(ctx context.Context, tx execQuerier, token string, a *Attempt, d *Delivery) error {
	var code, duration any
	if d.LastResponseStatusCode != nil {
		code = *d.LastResponseStatusCode
	}
	if d.LastDurationMS != nil {
		duration = *d.LastDurationMS
	}
	res, err := tx.ExecContext(ctx, qFinishDelivery, d.Status, d.AttemptCount, nullNanos(d.LastAttemptAt), nullNanos(d.NextAttemptAt), code,
		nullString(d.LastError), duration, d.ID, token)
	if err != nil {
		return fmt.Errorf("update delivery: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("delivery %s: %w", d.ID, ErrLeaseLost)
	}
	if a == nil {
		return nil
	}
	headers, err := json.Marshal(a.RequestHeaders)
	if err != nil {
		return fmt.Errorf("encode attempt headers: %w", err)
	}
	var acode any
	if a.ResponseStatusCode != nil {
		acode = *a.ResponseStatusCode
	}
	if _, err := tx.ExecContext(ctx, qInsertAttempt, a.DeliveryID, a.Number, a.Trigger, toNanos(a.StartedAt), a.DurationMS, acode, nullString(a.Error), a.ResponseBody, string(headers)); err != nil {
		return fmt.Errorf("insert attempt: %w", err)
	}
	return nil
}
