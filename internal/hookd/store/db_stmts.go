package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// Prepared statements. Parsing SQL costs more than running it for the
// short statements of the delivery engine (a profile put re-preparing at a
// fifth of hookd's CPU), so the statements it runs for every event and
// every attempt are prepared once and kept.
//
// On the writer they are prepared when the store opens: later, the one
// writer connection may be held by the transaction asking, and preparing
// would wait for it forever. A transaction uses them through on(tx), which
// binds them to its connection (the same one; database/sql keeps the
// prepared form per connection). On the reader they are prepared on first
// use.
type stmtCache struct {
	writer map[string]*sql.Stmt // filled at open, read-only after
	mu     sync.Mutex
	reader map[string]*sql.Stmt // prepared on first use, under mu
}

// hotWrites are the writer statements prepared at open.
func hotWrites() []string {
	qs := []string{claimSQL[dialectSQLite].candidates, claimSQL[dialectSQLite].update, qFinishDelivery, qInsertAttempt, qInsertDelivery, qInsertEvent, qEventByID,
		qSavepoint, qRelease, qRollbackTo}
	// The subscriber lookup takes one pattern per level of the event type
	// and "*": event types of up to seven levels use a prepared form.
	for n := 1; n <= 8; n++ {
		qs = append(qs, subscribersQuery(n))
	}
	return qs
}

func (s *DB) prepareWrites(ctx context.Context) error {
	s.stmts.writer = map[string]*sql.Stmt{}
	for _, q := range hotWrites() {
		st, err := s.writer.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.stmts.writer[q] = st
	}
	return nil
}

func (s *DB) closeStmts() error {
	var errs []error
	for _, st := range s.stmts.writer {
		errs = append(errs, st.Close())
	}
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	for _, st := range s.stmts.reader {
		errs = append(errs, st.Close())
	}
	s.stmts.reader = nil
	return errors.Join(errs...)
}

// execQuerier is what a write helper needs of a transaction: *sql.Tx, or
// the same transaction through its prepared statements (on).
type execQuerier interface {
	querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// preparedTx runs the writer's prepared statements inside tx, and any
// other statement as tx would.
type preparedTx struct {
	*sql.Tx
	stmts map[string]*sql.Stmt
}

func (s *DB) on(tx *sql.Tx) preparedTx { return preparedTx{Tx: tx, stmts: s.stmts.writer} }

func (p preparedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st, ok := p.stmts[q]; ok {
		return p.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return p.Tx.ExecContext(ctx, q, args...)
}

func (p preparedTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st, ok := p.stmts[q]; ok {
		return p.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return p.Tx.QueryContext(ctx, q, args...)
}

func (p preparedTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st, ok := p.stmts[q]; ok {
		return p.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return p.Tx.QueryRowContext(ctx, q, args...)
}

// preparedReader runs reads through statements prepared on first use.
type preparedReader struct{ s *DB }

// read is where plain reads go: on SQLite the reader pool through
// statements prepared on first use; on PostgreSQL the pool, whose driver
// keeps its own prepared statements per connection.
func (s *DB) read() querier {
	if s.dialect == dialectPostgres {
		return s.reader
	}
	return preparedReader{s}
}

func (r preparedReader) stmt(ctx context.Context, q string) *sql.Stmt {
	c := &r.s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.reader[q]; ok {
		return st
	}
	// Prepared under the lock: the reader pool has connections to spare,
	// and this happens once per statement.
	st, err := r.s.reader.PrepareContext(ctx, q)
	if err != nil {
		return nil // the plain call below reports the error
	}
	if c.reader == nil {
		c.reader = map[string]*sql.Stmt{}
	}
	c.reader[q] = st
	return st
}

func (r preparedReader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.s.reader.QueryContext(ctx, q, args...)
}

func (r preparedReader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := r.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.s.reader.QueryRowContext(ctx, q, args...)
}
