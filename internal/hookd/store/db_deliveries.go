package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

var _ DeliveryStore = (*DB)(nil)

// deliveriesMigration adds the delivery engine's tables. Event bodies are
// what receivers get and are not sealed; the webhook secrets that sign them
// are.
var deliveriesMigration = migration{
	version: 2,
	name:    "events, deliveries, attempts",
	stmts: []string{
		`CREATE TABLE events (
			id          TEXT    NOT NULL PRIMARY KEY,
			type        TEXT    NOT NULL,
			group_id    TEXT,
			body        BLOB    NOT NULL,
			fingerprint TEXT    NOT NULL,
			created_at  INTEGER NOT NULL
		) STRICT`,
		// webhook_id has no foreign key: deliveries outlive a deleted
		// webhook as canceled history until retention prunes them.
		`CREATE TABLE deliveries (
			id                        TEXT    NOT NULL PRIMARY KEY,
			webhook_id                TEXT    NOT NULL,
			event_id                  TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
			event_type                TEXT    NOT NULL,
			status                    TEXT    NOT NULL,
			attempt_count             INTEGER NOT NULL,
			max_attempts              INTEGER NOT NULL,
			created_at                INTEGER NOT NULL,
			last_attempt_at           INTEGER,
			next_attempt_at           INTEGER,
			deadline_at               INTEGER NOT NULL,
			last_response_status_code INTEGER,
			last_error                TEXT,
			last_duration_ms          INTEGER,
			trigger                   TEXT    NOT NULL,
			replay_of                 TEXT,
			is_test                   INTEGER NOT NULL,
			lease_until               INTEGER
		) STRICT`,
		`CREATE INDEX deliveries_webhook_created ON deliveries (webhook_id, created_at, id)`,
		`CREATE INDEX deliveries_event ON deliveries (event_id)`,
		// The scheduler's question: what is due next?
		`CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying')`,
		`CREATE INDEX deliveries_created ON deliveries (created_at)`,
		`CREATE TABLE attempts (
			delivery_id          TEXT    NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
			number               INTEGER NOT NULL,
			trigger              TEXT    NOT NULL,
			started_at           INTEGER NOT NULL,
			duration_ms          INTEGER NOT NULL,
			response_status_code INTEGER,
			error                TEXT,
			response_body        TEXT    NOT NULL,
			request_headers      TEXT    NOT NULL, -- JSON object
			PRIMARY KEY (delivery_id, number)
		) STRICT`,
	},
}

// deliveryInsertColumns are what a new delivery is written with;
// deliveryColumns are what scanDelivery reads: those and the lease.
const (
	deliveryInsertColumns = `id, webhook_id, event_id, event_type, status, attempt_count, max_attempts,
	created_at, last_attempt_at, next_attempt_at, deadline_at, last_response_status_code,
	last_error, last_duration_ms, trigger, replay_of, is_test`
	deliveryColumns = deliveryInsertColumns + `, lease_until`
)

func deliveryArgs(d *Delivery) []any {
	var replayOf any
	if d.ReplayOf != "" {
		replayOf = d.ReplayOf
	}
	var code, duration any
	if d.LastResponseStatusCode != nil {
		code = *d.LastResponseStatusCode
	}
	if d.LastDurationMS != nil {
		duration = *d.LastDurationMS
	}
	return []any{d.ID, d.WebhookID, d.EventID, d.EventType, d.Status, d.AttemptCount, d.MaxAttempts,
		toNanos(d.CreatedAt), nullNanos(d.LastAttemptAt), nullNanos(d.NextAttemptAt), toNanos(d.DeadlineAt),
		code, nullString(d.LastError), duration, d.Trigger, replayOf, boolInt(d.IsTest)}
}

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var (
		d                        Delivery
		createdAt, deadline      int64
		lastAttempt, nextAttempt sql.NullInt64
		code, duration, lease    sql.NullInt64
		lastError, replayOf      sql.NullString
	)
	err := row.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Status, &d.AttemptCount, &d.MaxAttempts,
		&createdAt, &lastAttempt, &nextAttempt, &deadline, &code, &lastError, &duration, &d.Trigger, &replayOf, &d.IsTest, &lease)
	if err != nil {
		return Delivery{}, err
	}
	d.CreatedAt, d.DeadlineAt = fromNanos(createdAt), fromNanos(deadline)
	d.LastAttemptAt, d.NextAttemptAt, d.LeasedUntil = timePtr(lastAttempt), timePtr(nextAttempt), timePtr(lease)
	if code.Valid {
		v := int(code.Int64)
		d.LastResponseStatusCode = &v
	}
	if duration.Valid {
		v := duration.Int64
		d.LastDurationMS = &v
	}
	d.LastError = stringPtr(lastError)
	d.ReplayOf = replayOf.String
	return d, nil
}

var (
	qInsertDelivery = `INSERT INTO deliveries (` + deliveryInsertColumns + `, listed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	qInsertEvent    = `INSERT INTO events (` + eventColumns + `) VALUES (?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING`
	qEventByID      = `SELECT ` + eventColumns + ` FROM events WHERE id = ?`
)

// insertDelivery writes a new delivery, unlisted on SQLite (db_listing.go).
func (s *DB) insertDelivery(ctx context.Context, tx execQuerier, d *Delivery) error {
	_, err := tx.ExecContext(ctx, qInsertDelivery, append(deliveryArgs(d), s.listedOnInsert())...)
	if err != nil {
		return fmt.Errorf("insert delivery: %w", err)
	}
	s.unlisted()
	return nil
}

func scanEvent(row interface{ Scan(...any) error }) (*Event, error) {
	var ev Event
	var groupID sql.NullString
	var createdAt int64
	if err := row.Scan(&ev.ID, &ev.Type, &groupID, &ev.Body, &ev.Fingerprint, &createdAt); err != nil {
		return nil, err
	}
	ev.GroupID, ev.CreatedAt = groupID.String, fromNanos(createdAt)
	return &ev, nil
}

const eventColumns = `id, type, group_id, body, fingerprint, created_at`

func (s *DB) CreateEvent(ctx context.Context, ev *Event, deliveries []Delivery) (*Event, error) {
	var existing *Event
	err := s.writeGrouped(ctx, func(ctx context.Context, tx execQuerier) error {
		var err error
		if existing, err = insertEvent(ctx, tx, ev); err != nil {
			return err
		}
		for i := range deliveries {
			if err := s.insertDelivery(ctx, tx, &deliveries[i]); err != nil {
				return err
			}
		}
		if len(deliveries) == 0 {
			return nil
		}
		return s.notifyNewWork(ctx, tx)
	})
	return existing, err
}

// insertEvent stores ev, or returns the stored event with ErrEventExists
// when its id is taken. The insert comes first and yields to an existing
// row (ON CONFLICT DO NOTHING), so that two processes publishing one id at
// once do not both find it free: the second waits for the first to commit,
// writes nothing, and reads the first's event.
func insertEvent(ctx context.Context, tx execQuerier, ev *Event) (*Event, error) {
	var groupID any
	if ev.GroupID != "" {
		groupID = ev.GroupID
	}
	res, err := tx.ExecContext(ctx, qInsertEvent, ev.ID, ev.Type, groupID, ev.Body, ev.Fingerprint, toNanos(ev.CreatedAt))
	if err != nil {
		return nil, fmt.Errorf("insert event: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("insert event: %w", err)
	} else if n == 1 {
		return nil, nil
	}
	found, err := scanEvent(tx.QueryRowContext(ctx, qEventByID, ev.ID))
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	return found, ErrEventExists
}

func (s *DB) GetEvent(ctx context.Context, id string) (*Event, error) {
	ev, gen := s.events.get(id)
	if ev != nil {
		return ev, nil
	}
	ev, err := scanEvent(s.read().QueryRowContext(ctx, qEventByID, id))
	if err == nil {
		s.events.put(ev, gen)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	return ev, nil
}

func (s *DB) CountEventDeliveries(ctx context.Context, eventID string) (int, error) {
	var n int
	err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE event_id = ? AND trigger = 'event'`, eventID).Scan(&n)
	return n, err
}

func (s *DB) CreateDelivery(ctx context.Context, d *Delivery) error {
	// The caller's outcome, read here: fn's context may be another
	// writer's, whose grouped transaction this write joins.
	outcome, withOutcome := IdempotentOutcomeFrom(ctx)
	return s.writeGrouped(ctx, func(ctx context.Context, tx execQuerier) error {
		err := s.insertDelivery(ctx, tx, d)
		if isForeignKeyViolation(err) {
			return ErrNotFound // the event is gone (pruned)
		}
		if err != nil {
			return err
		}
		if withOutcome {
			if err := s.completeIdempotentWith(ctx, tx, outcome, d); err != nil {
				return err
			}
		}
		return s.notifyNewWork(ctx, tx)
	})
}

func (s *DB) GetDelivery(ctx context.Context, id string) (*Delivery, error) {
	d, err := scanDelivery(s.read().QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read delivery: %w", err)
	}
	return &d, nil
}

// ListDeliveries pages newest first: the keyset runs backwards, strictly
// before the last item returned.
func (s *DB) ListDeliveries(ctx context.Context, f DeliveryFilter, p Page) ([]Delivery, string, error) {
	limit := pageLimit(p)
	query, args, err := listDeliveriesQuery(s.dialect, f, p.Cursor, limit+1)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor("deliveries", last.CreatedAt, last.ID)
	}
	return out, next, nil
}

// deliveryFilter is the conditions of f, the webhook's first, and their
// arguments, on d.
func deliveryFilter(d dialect, f DeliveryFilter) ([]string, []any) {
	where, args := []string{"webhook_id = ?"}, []any{f.WebhookID}
	if f.Status != "" {
		if statusIndexed(f.Status) {
			// deliveries_webhook_status, whose condition is indexedStatus.
			where, args = append(where, d.fewOf("status = ?"), indexedStatus), append(args, f.Status)
		} else {
			where, args = append(where, "status = ?"), append(args, f.Status)
		}
	}
	if f.EventType != "" {
		where, args = append(where, "event_type = ?"), append(args, f.EventType)
	}
	if f.IsTest != nil {
		where, args = append(where, "is_test = ?"), append(args, boolInt(*f.IsTest))
	}
	if f.CreatedAfter != nil {
		where, args = append(where, "created_at > ?"), append(args, toNanos(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		where, args = append(where, "created_at < ?"), append(args, toNanos(*f.CreatedBefore))
	}
	if f.Unrecovered {
		where = append(where, unrecoveredCondition)
	}
	return where, args
}

// listDeliveriesQuery is ListDeliveries' statement: up to limit deliveries
// of f.WebhookID matching f, newest first, strictly before cursor.
func listDeliveriesQuery(d dialect, f DeliveryFilter, cursor string, limit int) (string, []any, error) {
	where, args := deliveryFilter(d, f)
	if cursor != "" {
		c, err := decodeCursor("deliveries", cursor)
		if err != nil {
			return "", nil, err
		}
		where, args = append(where, "(created_at, id) < (?, ?)"), append(args, c.CreatedAt, c.ID)
	}
	// Each part is ordered and limited, and so is their union.
	const order = ` ORDER BY created_at DESC, id DESC`
	query := webhookDeliveries(deliveryColumns, strings.Join(where, " AND "), order+` LIMIT ?`) + order + ` LIMIT ?`
	args = append(args, limit)
	return query, append(append(args, args...), limit), nil
}

// countDeliveriesQuery is CountDeliveries' statement.
func countDeliveriesQuery(d dialect, f DeliveryFilter) (string, []any) {
	where, args := deliveryFilter(d, f)
	return `SELECT COUNT(*) FROM (` + webhookDeliveries("1 AS one", strings.Join(where, " AND "), "") + `) AS c`, append(args, args...)
}

func (s *DB) CountDeliveries(ctx context.Context, f DeliveryFilter) (int, error) {
	query, args := countDeliveriesQuery(s.dialect, f)
	var n int
	if err := s.reader.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count deliveries: %w", err)
	}
	return n, nil
}

func (s *DB) GetDeliveryWithAttempts(ctx context.Context, id string) (*Delivery, []Attempt, error) {
	// One snapshot for both reads: SQLite's deferred BEGIN takes it at the
	// first read (WAL); PostgreSQL needs REPEATABLE READ for it (at READ
	// COMMITTED each statement sees the commits made before it began).
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, nil, fmt.Errorf("read delivery: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // read only: nothing to commit
	d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read delivery: %w", err)
	}
	attempts, err := listAttempts(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	return &d, attempts, nil
}

func listAttempts(ctx context.Context, q querier, deliveryID string) ([]Attempt, error) {
	rows, err := q.QueryContext(ctx, `SELECT delivery_id, number, trigger, started_at, duration_ms,
		response_status_code, error, response_body, request_headers FROM attempts WHERE delivery_id = ? ORDER BY number`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var started int64
		var code sql.NullInt64
		var errText sql.NullString
		var headers string
		if err := rows.Scan(&a.DeliveryID, &a.Number, &a.Trigger, &started, &a.DurationMS, &code, &errText, &a.ResponseBody, &headers); err != nil {
			return nil, fmt.Errorf("list attempts: %w", err)
		}
		a.StartedAt, a.Error = fromNanos(started), stringPtr(errText)
		if code.Valid {
			v := int(code.Int64)
			a.ResponseStatusCode = &v
		}
		if err := json.Unmarshal([]byte(headers), &a.RequestHeaders); err != nil {
			return nil, fmt.Errorf("decode attempt headers: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// qCancelDeliveries finds a webhook's pending work through the due index,
// whose entries hold the webhook: it reads every entry of that index (all
// webhooks' work due, tested on the entry) and only the rows of this
// webhook's, rather than every row of the webhook's history, which the
// webhook index would give (and that index holds only listed deliveries).
// A webhook is deleted or switched off rarely (TestListingQueryPlans).
//
// Only while the webhook is gone or not active, tested in the same
// statement: the cancel follows the commit that switched the webhook off,
// and a re-enable and a publish may commit in between (a person pressing
// re-enable as soon as hookd auto-disabled the endpoint); the delivery of
// that publish belongs to an active webhook and must be attempted, not
// canceled (TestCancelSparesAReenabledWebhook).
const qCancelDeliveries = `UPDATE deliveries SET status = 'canceled', next_attempt_at = NULL, lease_until = NULL, lease_token = NULL
	WHERE webhook_id = ? AND status IN ('pending', 'retrying') AND ` + leaseFree + `
	AND NOT EXISTS (SELECT 1 FROM webhooks WHERE webhooks.id = deliveries.webhook_id AND webhooks.status = '` + StatusActive + `')`

func (s *DB) CancelDeliveries(ctx context.Context, webhookID string, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		// Deliveries held by a running attempt are left to it: the attempt
		// sees the webhook's state and cancels itself. An ended lease is
		// cleared with its token, the fence of FinishAttempt: the worker
		// that held it, paused past its end, must not record its attempt
		// over the cancel.
		res, err := tx.ExecContext(ctx, qCancelDeliveries, webhookID, toNanos(now))
		if err != nil {
			return fmt.Errorf("cancel deliveries: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// InterruptedTestError is the last error of a test delivery whose attempt
// hookd never finished (it stopped while the attempt ran): whether the
// receiver got it is unknown.
const InterruptedTestError = "interrupted"

// qEndInterruptedTests finds the pending deliveries with no next attempt,
// which only a test of POST .../test is (it is never scheduled), in the
// due index. Such a delivery is claimed when it is made and finished by
// its attempt; one left pending by a stop in between would be pending
// forever: nothing schedules it, and retry and replay take only ended
// deliveries. It is dead-lettered (it may then be retried by hand).
const qEndInterruptedTests = `UPDATE deliveries SET status = 'dead_lettered', lease_until = NULL, lease_token = NULL, last_error = ?
	WHERE status IN ('pending', 'retrying') AND next_attempt_at IS NULL AND is_test = 1 AND created_at < ? AND ` + leaseFree

func (s *DB) EndInterruptedTests(ctx context.Context, before, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, qEndInterruptedTests, InterruptedTestError, toNanos(before), toNanos(now))
		if err != nil {
			return fmt.Errorf("end interrupted test deliveries: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// pruneBatch bounds the rows one prune transaction deletes. A large prune
// (retention shortened, or the first one after a long stop) is then many
// short transactions instead of one that holds the writer for as long as
// it takes, while deliveries wait to be recorded; and on SQLite, where
// the writer keeps statement journals in memory (temp_store), the journal
// of a prune stays small.
var pruneBatch = 5000

func (s *DB) PruneDeliveries(ctx context.Context, before, now time.Time) (int, error) {
	// After the commits: see eventCache.
	defer s.events.clear()
	// A finished delivery that a manual retry holds is left to it; one
	// whose lease ended (the retry's process died) is not held.
	n, err := s.pruneInBatches(ctx, "prune deliveries", `DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
		WHERE created_at < ? AND status IN ('succeeded', 'dead_lettered', 'canceled') AND `+leaseFree+` LIMIT ?)`, toNanos(before), toNanos(now))
	if err != nil {
		return n, err
	}
	_, err = s.pruneInBatches(ctx, "prune events", `DELETE FROM events WHERE id IN (SELECT id FROM events
		WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries WHERE deliveries.event_id = events.id) LIMIT ?)`, toNanos(before))
	return n, err
}

// pruneInBatches runs a DELETE whose last parameter is the batch's size,
// one transaction per batch, until a batch deletes fewer rows than that;
// it returns the rows deleted.
func (s *DB) pruneInBatches(ctx context.Context, what, query string, args ...any) (int, error) {
	total := 0
	for {
		var n int64
		err := s.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, query, append(args, pruneBatch)...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("%s: %w", what, err)
		}
		total += int(n)
		if n < int64(pruneBatch) {
			return total, nil
		}
	}
}
