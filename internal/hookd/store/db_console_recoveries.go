package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// A console recovery runs in the process that started it; its progress is
// stored, so that a page of any process shows it. The process writes it at
// least every few seconds while the recovery runs (UpdatedAt): a recovery
// not written for much longer than that belongs to a process that is gone,
// and any process may declare it stopped (StopStaleConsoleRecovery), after
// which its owner, were it only slow, may write it no more.

// States of a console recovery.
const (
	RecoveryListing   = "listing"   // finding the deliveries: Total is those found so far
	RecoveryReplaying = "replaying" // Total is every delivery to replay
	RecoveryFinished  = "finished"
	RecoveryStopped   = "stopped" // before its end: Error says why
)

// ConsoleRecovery is one recovery the console started, and how far it got.
type ConsoleRecovery struct {
	ID        string
	KeyHash   string // the API key of the session that started it: only its sessions see it
	Once      string // the form's one-time token: the form sent again finds this recovery
	WebhookID string
	Since     string // as the form gave it
	Until     time.Time
	Owner     string // the console that runs it
	State     string
	Listed    bool // Total is every delivery to replay, not those found so far
	Total     int
	Replayed  int
	Failed    int
	Failures  []string // the first few failures' messages
	Error     string   // why it stopped, when it did
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Running reports whether the recovery has not ended (as far as stored).
func (r *ConsoleRecovery) Running() bool {
	return r.State == RecoveryListing || r.State == RecoveryReplaying
}

// ConsoleRecoveryKept is how long a recovery's progress is kept after its
// last write.
const ConsoleRecoveryKept = 7 * 24 * time.Hour

const consoleRecoveryColumns = `id, key_hash, once, webhook_id, since, until, owner, state, listed, total, replayed, failed, failures, error, created_at, updated_at`

// StartConsoleRecovery stores r, a new recovery, unless the same form
// (KeyHash and Once) started one already: then it returns that one and
// false, and r is not stored. Recoveries not written for
// ConsoleRecoveryKept are deleted first.
func (s *DB) StartConsoleRecovery(ctx context.Context, r *ConsoleRecovery) (*ConsoleRecovery, bool, error) {
	failures, err := json.Marshal(nonNil(r.Failures))
	if err != nil {
		return nil, false, err
	}
	var (
		existing *ConsoleRecovery
		created  bool
	)
	err = s.write(ctx, func(tx *sql.Tx) error {
		existing, created = nil, false
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_recoveries WHERE updated_at < ?`, toNanos(r.CreatedAt.Add(-ConsoleRecoveryKept))); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO console_recoveries (`+consoleRecoveryColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_hash, once) DO NOTHING`,
			r.ID, r.KeyHash, r.Once, r.WebhookID, r.Since, toNanos(r.Until), r.Owner, r.State, boolInt(r.Listed), r.Total, r.Replayed, r.Failed,
			string(failures), nullIfEmpty(r.Error), toNanos(r.CreatedAt), toNanos(r.UpdatedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			created = true
			return err
		}
		existing, err = scanConsoleRecovery(tx.QueryRowContext(ctx, `SELECT `+consoleRecoveryColumns+`
			FROM console_recoveries WHERE key_hash = ? AND once = ?`, r.KeyHash, r.Once))
		if errors.Is(err, sql.ErrNoRows) {
			return errRetryTx // PostgreSQL: the other insert is not committed yet
		}
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("start console recovery: %w", err)
	}
	if created {
		return r, true, nil
	}
	return existing, false, nil
}

// GetConsoleRecovery reads a recovery; ErrNotFound when there is none.
func (s *DB) GetConsoleRecovery(ctx context.Context, id string) (*ConsoleRecovery, error) {
	r, err := scanConsoleRecovery(s.read().QueryRowContext(ctx, `SELECT `+consoleRecoveryColumns+` FROM console_recoveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read console recovery: %w", err)
	}
	return r, nil
}

// SaveConsoleRecovery writes the progress of r (its State, Listed, counts,
// Failures, Error and UpdatedAt) for as long as it runs under r.Owner:
// ErrNotFound when it no longer does (another process declared it
// stopped), and then nothing is written.
func (s *DB) SaveConsoleRecovery(ctx context.Context, r *ConsoleRecovery) error {
	failures, err := json.Marshal(nonNil(r.Failures))
	if err != nil {
		return err
	}
	res, err := s.execWrite(ctx, `UPDATE console_recoveries SET state = ?, listed = ?, total = ?, replayed = ?, failed = ?, failures = ?, error = ?, updated_at = ?
		WHERE id = ? AND owner = ? AND state IN ('`+RecoveryListing+`', '`+RecoveryReplaying+`')`,
		r.State, boolInt(r.Listed), r.Total, r.Replayed, r.Failed, string(failures), nullIfEmpty(r.Error), toNanos(r.UpdatedAt), r.ID, r.Owner)
	if err != nil {
		return fmt.Errorf("save console recovery: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("save console recovery: %w", err)
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// StopStaleConsoleRecovery marks the recovery stopped, with reason, when
// it still runs and was last written before staleBefore: its process is
// gone. It reports whether it did.
func (s *DB) StopStaleConsoleRecovery(ctx context.Context, id string, staleBefore, now time.Time, reason string) (bool, error) {
	res, err := s.execWrite(ctx, `UPDATE console_recoveries SET state = '`+RecoveryStopped+`', error = ?, updated_at = ?
		WHERE id = ? AND state IN ('`+RecoveryListing+`', '`+RecoveryReplaying+`') AND updated_at < ?`,
		reason, toNanos(now), id, toNanos(staleBefore))
	if err != nil {
		return false, fmt.Errorf("stop console recovery: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func scanConsoleRecovery(row *sql.Row) (*ConsoleRecovery, error) {
	var (
		r                       ConsoleRecovery
		until, created, updated int64
		listed                  int64
		failures                string
		errText                 sql.NullString
	)
	if err := row.Scan(&r.ID, &r.KeyHash, &r.Once, &r.WebhookID, &r.Since, &until, &r.Owner, &r.State, &listed, &r.Total, &r.Replayed, &r.Failed,
		&failures, &errText, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(failures), &r.Failures); err != nil {
		return nil, fmt.Errorf("console recovery %s: failures: %w", r.ID, err)
	}
	r.Until, r.CreatedAt, r.UpdatedAt, r.Error, r.Listed = fromNanos(until), fromNanos(created), fromNanos(updated), errText.String, listed == 1
	return &r, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
