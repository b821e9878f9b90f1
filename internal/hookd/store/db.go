package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
)

// DB is the Store (and DeliveryStore, StatsStore, HealthStore) on a SQL
// database: one SQLite file (OpenSQLite), the embedded default, or a
// PostgreSQL database shared by several hookd processes (OpenPostgres).
//
// Both run the same statements, written once: the SQL is the common part
// of the two (ON CONFLICT, RETURNING, row values, FILTER), placeholders are
// SQLite's ? and become PostgreSQL's $n in the driver (pgRebind), and the
// few places where the two differ ask the dialect. What differs beyond the
// text is how writes are isolated (see write) and what a process may keep
// in memory: on SQLite, one process owns the database (a lock file), so it
// caches webhooks and events and groups its commits; on PostgreSQL, other
// processes write too, so it does neither.
//
// On SQLite, writer and reader are two pools on the same file; on
// PostgreSQL they are the same pool.
type DB struct {
	dialect      dialect
	path         string      // SQLite: the file as given; PostgreSQL: the DSN without its password
	lock         *sqliteLock // SQLite: the process lock; nil on PostgreSQL
	writer       *sql.DB
	reader       *sql.DB
	cipher       *secrets.Cipher
	group        groupQueue
	stmts        stmtCache
	hooks        webhookCache
	events       eventCache
	wake         *notifier                   // PostgreSQL: wake-ups from other processes; nil on SQLite
	checkpointDB *sql.DB                     // SQLite: the checkpointer's connection (sqlite_checkpoint.go)
	checkpoints  *gatherer                   // SQLite; nil on PostgreSQL
	listing      *gatherer                   // SQLite: lists deliveries by webhook (db_listing.go); nil on PostgreSQL
	log          atomic.Pointer[slog.Logger] // nil: slog.Default(); see SetLogger

	closeOnce sync.Once
	closeErr  error
}

var _ Store = (*DB)(nil)

// dialect is the database a DB runs on.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// jsonValues is a subquery of the text values of the JSON array that expr
// (a column, or a ? holding JSON text) holds.
func (d dialect) jsonValues(expr string) string {
	if d == dialectPostgres {
		return `SELECT jsonb_array_elements_text(CAST(` + expr + ` AS jsonb))`
	}
	return `SELECT value FROM json_each(` + expr + `)`
}

// inJSON is the condition "column is one of the values of the JSON array
// in param". On PostgreSQL it is column = ANY(ARRAY(...)): the array is
// made once, and the condition is an index lookup per value; as IN (SELECT
// ...) the planner expects a hundred values and may scan a whole index
// range instead, which made each claim cost as much as the backlog was
// long (9 ms at a backlog of 20,000).
func (d dialect) inJSON(column, param string) string {
	if d == dialectPostgres {
		return column + ` = ANY (ARRAY(` + d.jsonValues(param) + `))`
	}
	return column + ` IN (` + d.jsonValues(param) + `)`
}

// skipLocked ends the claim's candidate read. On PostgreSQL the rows read
// are locked until the claim commits, and rows another process is claiming
// are passed over instead of waited for; SQLite has one writer, so the
// read is already the claim's alone.
func (d dialect) skipLocked() string {
	if d == dialectPostgres {
		return ` FOR UPDATE SKIP LOCKED`
	}
	return ``
}

// forUpdate ends the read of a read-modify-write transaction: on
// PostgreSQL it locks the rows read until the commit, so that a concurrent
// writer waits and then works on what this one wrote (SQLite's writes are
// serial already, and it has no such clause).
func (d dialect) forUpdate() string {
	if d == dialectPostgres {
		return ` FOR UPDATE`
	}
	return ``
}

// Path is where the data lives: the SQLite file as given to OpenSQLite, or
// the PostgreSQL connection string without its password.
func (s *DB) Path() string { return s.path }

// Postgres reports whether the database is PostgreSQL.
func (s *DB) Postgres() bool { return s.dialect == dialectPostgres }

// errRetryTx asks write to run its transaction again: what it read was
// changed by a concurrent transaction before it could write (PostgreSQL
// only; SQLite's writes are serial).
var errRetryTx = errors.New("concurrent write: retry the transaction")

// insertYielding runs an INSERT ... ON CONFLICT DO NOTHING of what (for
// errors) in tx, and returns errRetryTx when it inserted nothing: another
// transaction inserted the row since this one read that there was none
// (PostgreSQL), and write runs this one again to read that row.
func insertYielding(ctx context.Context, tx *sql.Tx, what, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return errRetryTx
	}
	return nil
}

// maxTxRetries bounds the retries of a transaction that keeps losing to
// concurrent ones.
const maxTxRetries = 10

// write runs fn in a transaction and commits when fn returns nil. fn's
// error is returned unchanged, so callers' typed errors survive.
//
// On SQLite the transaction begins IMMEDIATE on the one writer connection:
// writes are serial, and a read-modify-write cannot lose an update. On
// PostgreSQL it is READ COMMITTED, and keeps that meaning by construction:
// a read-modify-write reads with forUpdate, so a concurrent one waits for
// its commit and then reads what it wrote; claims and fences are single
// conditional statements, which PostgreSQL re-checks on the row as it is
// once a concurrent writer commits; and inserts that may race (two claims
// of one idempotency key, two key check records) yield with ON CONFLICT DO
// NOTHING and return errRetryTx, so that the transaction runs again (fn
// must set its results afresh each time) and reads the winner's row.
func (s *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.runTx(ctx, nil, fn)
}

// runTx runs fn in one transaction with opts, again while it fails for a
// concurrent transaction's reason (errRetryTx, a serialization failure or
// a deadlock: only on PostgreSQL).
func (s *DB) runTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	for try := 0; ; try++ {
		err := s.runTxOnce(ctx, opts, fn)
		if err == nil || try == maxTxRetries || !retryable(err) || ctx.Err() != nil {
			if errors.Is(err, errRetryTx) {
				return fmt.Errorf("gave up after %d tries: %w", try+1, err)
			}
			return err
		}
	}
}

func (s *DB) runTxOnce(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.committed()
	return nil
}

// execWrite runs one statement on the writer outside a transaction of
// ours (its own, implicit), and tells the checkpointer.
func (s *DB) execWrite(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := s.writer.ExecContext(ctx, query, args...)
	if err == nil {
		s.committed()
	}
	return res, err
}

// retryable reports whether err is a transaction's loss to a concurrent
// one, after which running it again may succeed.
func retryable(err error) bool {
	if errors.Is(err, errRetryTx) {
		return true
	}
	switch pgCode(err) {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return false
}

// sqliteCode is the extended result code of a SQLite error, 0 for others.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// pgCode is the SQLSTATE of a PostgreSQL error, "" for others.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func isUniqueViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE || pgCode(err) == "23505"
}

func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY || pgCode(err) == "23503"
}

// querier is what both *sql.DB and *sql.Tx offer, so a read helper serves a
// plain read on the reader and a read inside a write transaction alike.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Timestamps are INTEGER unix nanoseconds: exact, and ordered like the
// times, so (created_at, id) sorts and compares correctly in SQL.
func toNanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullNanos(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

func nullString(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func stringPtr(n sql.NullString) *string {
	if !n.Valid {
		return nil
	}
	v := n.String
	return &v
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// seal encrypts a value bound to where it is stored (ad), so that a blob
// copied to another row or column fails to decrypt.
func (s *DB) seal(plain, ad string) []byte {
	return s.cipher.Seal([]byte(plain), []byte(ad))
}

// sealOptional stores "" as NULL: an absent token is not a secret.
func (s *DB) sealOptional(plain, ad string) any {
	if plain == "" {
		return nil
	}
	return s.seal(plain, ad)
}

// open decrypts a sealed string; NULL reads back as "".
func (s *DB) open(sealed []byte, ad string) (string, error) {
	b, err := s.openBytes(sealed, ad)
	return string(b), err
}

// openBytes decrypts a sealed value; NULL reads back as nil. The error wraps
// secrets.ErrDecrypt and names the place, never the value.
func (s *DB) openBytes(sealed []byte, ad string) ([]byte, error) {
	if sealed == nil {
		return nil, nil
	}
	b, err := s.cipher.Open(sealed, []byte(ad))
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w", ad, err)
	}
	if b == nil {
		b = []byte{} // sealed, so present: an empty value, not a missing one
	}
	return b, nil
}

// Page sizes: the default when the caller gives none, and a ceiling so one
// request cannot load a whole table.
const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
)

func pageLimit(p Page) int {
	switch {
	case p.Limit <= 0:
		return defaultPageLimit
	case p.Limit > maxPageLimit:
		return maxPageLimit
	}
	return p.Limit
}

// cursor is the position after the last item of a page. Kind keeps a cursor
// of one list from being accepted by another.
type cursor struct {
	Kind      string `json:"k"`
	CreatedAt int64  `json:"t"`
	ID        string `json:"i"`
}

func encodeCursor(kind string, createdAt time.Time, id string) string {
	b, _ := json.Marshal(cursor{Kind: kind, CreatedAt: toNanos(createdAt), ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(kind, s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, ErrInvalidCursor
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Kind != kind || c.ID == "" {
		return cursor{}, ErrInvalidCursor
	}
	return c, nil
}

// listQuery describes one keyset-paginated list.
type listQuery[T any] struct {
	kind   string // cursor kind
	query  string // SELECT ... FROM table, without WHERE
	where  []string
	args   []any
	scan   func(*sql.Rows) (T, error)
	keyOf  func(*T) (time.Time, string)
	source querier
	// skip, when set, may leave out a row whose scan failed (the value
	// then holds its key only) instead of failing the list.
	skip func(ctx context.Context, v *T, err error) bool
}

// run returns one page ordered by (created_at, id). Keyset pagination
// continues strictly after the last item returned, so rows inserted between
// two calls never shift the page boundaries: no item is skipped or repeated,
// whatever their created_at. One extra row is fetched to learn whether
// another page follows.
func (l listQuery[T]) run(ctx context.Context, p Page) ([]T, string, error) {
	where, args := l.where, l.args
	if p.Cursor != "" {
		c, err := decodeCursor(l.kind, p.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where[:len(where):len(where)], "(created_at, id) > (?, ?)")
		args = append(args[:len(args):len(args)], c.CreatedAt, c.ID)
	}
	q := l.query
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := pageLimit(p)
	q += " ORDER BY created_at, id LIMIT ?"
	args = append(args[:len(args):len(args)], limit+1)

	rows, err := l.source.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", l.kind, err)
	}
	defer rows.Close()
	out := make([]T, 0, min(limit, 64))
	// The page ends after its limit-th row, left out or not, so a skipped
	// row is neither returned again nor lets the next page skip others.
	var (
		more   bool
		lastT  time.Time
		lastID string
	)
	for n := 0; rows.Next(); n++ {
		if n == limit {
			more = true
			break
		}
		v, err := l.scan(rows)
		if err != nil && (l.skip == nil || !l.skip(ctx, &v, err)) {
			return nil, "", err
		}
		lastT, lastID = l.keyOf(&v)
		if err == nil {
			out = append(out, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list %s: %w", l.kind, err)
	}
	next := ""
	if more {
		next = encodeCursor(l.kind, lastT, lastID)
	}
	return out, next, nil
}

// Close closes the database; later calls return the first call's result.
// On SQLite it checkpoints the write-ahead log first, so that the file
// alone is a complete copy.
func (s *DB) Close() error {
	s.closeOnce.Do(func() {
		if s.dialect == dialectSQLite {
			s.closeErr = s.closeSQLite()
			return
		}
		s.wake.close()
		s.closeErr = errors.Join(s.closeStmts(), s.writer.Close())
	})
	return s.closeErr
}
