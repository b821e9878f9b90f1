package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Recording an attempt is the hottest write of the engine: one per
// attempt, each a transaction of its own on SQLite's single writer. The
// writes of attempts that finish together are committed together instead
// (group commit): the first caller to find no flush running becomes the
// flusher and writes everything queued, in batches, while the others wait
// for their own outcome. Nothing waits for a batch to fill, so a lone
// attempt is written as soon as it arrives; every caller returns only once
// its write is committed (or refused), so durability is unchanged.

// maxFinishBatch bounds one transaction, so that a long queue does not make
// the first caller wait for all of it at once.
const maxFinishBatch = 128

type finishQueue struct {
	mu       sync.Mutex
	pending  []*finishReq
	flushing bool
}

type finishReq struct {
	token string
	a     *Attempt
	d     *Delivery
	err   error
	done  chan struct{}
}

func (s *SQLite) FinishAttempt(ctx context.Context, token string, a *Attempt, d *Delivery) error {
	r := &finishReq{token: token, a: a, d: d, done: make(chan struct{})}
	q := &s.finish
	q.mu.Lock()
	q.pending = append(q.pending, r)
	if q.flushing {
		q.mu.Unlock()
		<-r.done
		return r.err
	}
	q.flushing = true
	for len(q.pending) > 0 {
		batch := q.pending[:min(len(q.pending), maxFinishBatch)]
		q.pending = q.pending[len(batch):]
		q.mu.Unlock()
		// Others' writes must not fail because this caller gave up.
		s.finishBatch(context.WithoutCancel(ctx), batch)
		q.mu.Lock()
	}
	q.flushing = false
	q.pending = nil
	q.mu.Unlock()
	<-r.done
	return r.err
}

// finishBatch writes the batch in one transaction. A lost lease fails only
// its own request; any other error rolls the batch back, and each request
// is then written on its own, so that one bad request cannot fail others.
func (s *SQLite) finishBatch(ctx context.Context, batch []*finishReq) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	errs := make([]error, len(batch))
	err := s.write(ctx, func(tx *sql.Tx) error {
		for i, r := range batch {
			errs[i] = finishOne(ctx, s.on(tx), r)
			if errs[i] != nil && !errors.Is(errs[i], ErrLeaseLost) {
				return errs[i]
			}
		}
		return nil
	})
	if err == nil {
		for i, r := range batch {
			r.err = errs[i]
		}
		return
	}
	if len(batch) == 1 {
		batch[0].err = err
		return
	}
	for _, r := range batch {
		r.err = s.write(ctx, func(tx *sql.Tx) error { return finishOne(ctx, s.on(tx), r) })
	}
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
func finishOne(ctx context.Context, tx execQuerier, r *finishReq) error {
	d, a := r.d, r.a
	var code, duration any
	if d.LastResponseStatusCode != nil {
		code = *d.LastResponseStatusCode
	}
	if d.LastDurationMS != nil {
		duration = *d.LastDurationMS
	}
	res, err := tx.ExecContext(ctx, qFinishDelivery, d.Status, d.AttemptCount, nullNanos(d.LastAttemptAt), nullNanos(d.NextAttemptAt), code,
		nullString(d.LastError), duration, d.ID, r.token)
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
