package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
)

// Group commit. The delivery engine's writes (publishing, claiming,
// recording attempts) are many and small, and on SQLite's one writer each
// transaction pays for its commit: the pages it touched go to the log.
// Writes that arrive while another is being committed are committed
// together instead: the first caller to find no flush running becomes the
// flusher and runs everything queued in one transaction, each write in a
// savepoint of its own, while the others wait for their own outcome.
// Nothing waits for a batch to fill (the flusher only lets the goroutines
// ready to run go first), so a lone write is committed as soon as it
// arrives, and every caller returns only once its write is committed
// (or refused), so durability is unchanged. A write that fails rolls back
// its savepoint and fails alone.

// maxGroup bounds one transaction, so that a long queue does not make the
// first caller wait for all of it at once.
const maxGroup = 128

type groupQueue struct {
	mu       sync.Mutex
	pending  []*groupReq
	flushing bool
}

type groupReq struct {
	fn   func(ctx context.Context, tx execQuerier) error
	err  error
	done chan struct{}
}

const (
	qSavepoint  = `SAVEPOINT grouped`
	qRelease    = `RELEASE grouped`
	qRollbackTo = `ROLLBACK TO grouped`
)

// writeGrouped runs fn in a transaction shared with the writes queued at
// the same time, and returns fn's error once the transaction committed (or
// the error of the commit). fn must only use the transaction and the
// context it is given: that context is never canceled, since canceling a
// statement would roll back the whole shared transaction; ctx is checked
// before the write is queued. fn may be run twice (the second time alone)
// when the shared transaction fails for a reason not its own: it must set
// its results afresh each time.
//
// On PostgreSQL, where commits of many connections proceed in parallel and
// other processes write too, there is no grouping: fn runs in a
// transaction of its own at READ COMMITTED, which the writes it serves are
// built for (each is one conditional statement, or inserts).
func (s *DB) writeGrouped(ctx context.Context, fn func(ctx context.Context, tx execQuerier) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.dialect == dialectPostgres {
		return s.runTx(ctx, nil, func(tx *sql.Tx) error { return fn(ctx, s.on(tx)) })
	}
	r := &groupReq{fn: fn, done: make(chan struct{})}
	q := &s.group
	q.mu.Lock()
	q.pending = append(q.pending, r)
	if q.flushing {
		q.mu.Unlock()
		<-r.done
		return r.err
	}
	// This caller flushes one batch, its own among them; what queues
	// meanwhile is flushed by a goroutine of the store, not by this caller,
	// who may hold locks of its own and must not wait on others' writes.
	q.flushing = true
	q.mu.Unlock()
	// Let the goroutines ready to run queue their writes first (workers
	// whose receivers just answered): no wait when none is, and the batch
	// then carries them. Without it, transactions carried 2.8 writes on
	// average while the engine drained a backlog, with it 7, and their
	// begin and commit had been a third of the writer's CPU.
	runtime.Gosched()
	q.mu.Lock()
	batch := q.takeBatch()
	q.mu.Unlock()
	// Others' writes must not fail because this caller gave up.
	s.flushGroup(context.WithoutCancel(ctx), batch)
	q.mu.Lock()
	if len(q.pending) > 0 {
		go s.drainGroup(context.WithoutCancel(ctx))
	} else {
		q.flushing = false
	}
	q.mu.Unlock()
	<-r.done
	return r.err
}

// drainGroup flushes what is queued until nothing is.
func (s *DB) drainGroup(ctx context.Context) {
	q := &s.group
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.flushing = false
			q.mu.Unlock()
			return
		}
		batch := q.takeBatch()
		q.mu.Unlock()
		s.flushGroup(ctx, batch)
	}
}

// takeBatch removes up to maxGroup requests from the queue; q.mu is held.
func (q *groupQueue) takeBatch() []*groupReq {
	batch := q.pending[:min(len(q.pending), maxGroup)]
	q.pending = q.pending[len(batch):]
	return batch
}

func (s *DB) flushGroup(ctx context.Context, batch []*groupReq) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	if len(batch) == 1 {
		r := batch[0]
		r.err = s.write(ctx, func(tx *sql.Tx) error { return r.fn(ctx, s.on(tx)) })
		return
	}
	errs := make([]error, len(batch))
	err := s.write(ctx, func(sqlTx *sql.Tx) error {
		tx := s.on(sqlTx)
		for i, r := range batch {
			if _, err := tx.ExecContext(ctx, qSavepoint); err != nil {
				return err
			}
			if errs[i] = r.fn(ctx, tx); errs[i] != nil {
				if _, err := tx.ExecContext(ctx, qRollbackTo); err != nil {
					return fmt.Errorf("roll back a grouped write: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, qRelease); err != nil {
				return err
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
	// The shared transaction failed (its commit, or a savepoint): each
	// write is tried again alone, so that none fails for another's reason.
	for _, r := range batch {
		r.err = s.write(ctx, func(tx *sql.Tx) error { return r.fn(ctx, s.on(tx)) })
	}
}
