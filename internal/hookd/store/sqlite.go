package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
)

// SQLite is the Store on one SQLite file, through the pure-Go
// modernc.org/sqlite driver (no cgo, so hookd stays a static binary).
//
// It holds two pools on the same file. SQLite allows one writer at a time, so
// every write goes through a pool of exactly one connection whose
// transactions begin IMMEDIATE: writers queue inside database/sql instead of
// racing for the lock and failing with SQLITE_BUSY, and a read-modify-write
// transaction takes the write lock before it reads, so what it read cannot
// change under it. Plain reads use a separate pool of several connections;
// in WAL mode they see the last committed state without blocking the writer.
//
// Code holding a transaction on the writer must only use that transaction:
// asking the writer pool for another connection would wait forever for the
// one it holds.
type SQLite struct {
	path   string
	lock   *flock.Flock
	writer *sql.DB
	reader *sql.DB
	cipher *secrets.Cipher
	group  groupQueue
	stmts  stmtCache
	hooks  webhookCache
	events eventCache
	log    *slog.Logger // nil: slog.Default(); see SetLogger

	closeOnce sync.Once
	closeErr  error
}

var _ Store = (*SQLite)(nil)

// ErrDatabaseInUse: another process holds the database (OpenSQLite).
var ErrDatabaseInUse = errors.New("the database is in use by another hookd process")

// busyTimeoutMS is how long a connection waits for a lock held by another
// process (a backup, the sqlite3 shell) before it gives up with SQLITE_BUSY.
const busyTimeoutMS = 5000

// OpenSQLite opens (creating it when missing) the database at path, brings
// its schema up to date, and encrypts secrets at rest with c. It refuses a
// key that does not open the database's secrets (ErrWrongEncryptionKey) and
// a new key for a database that holds data (ErrDatabaseHoldsData, see
// WithNewKey).
func OpenSQLite(path string, c *secrets.Cipher, opts ...OpenOption) (*SQLite, error) {
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	if c == nil {
		return nil, errors.New("open sqlite: a cipher is required to encrypt secrets at rest")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database path %s: %w", path, err)
	}
	// SQLite would create the file with mode 0644 (less the umask); the
	// file holds encrypted secrets and the list of API key hashes, so create it
	// ourselves, private to the owner. SQLite gives the -wal and -shm files
	// the mode of the database file.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}

	// One process per SQLite database: leases, rate limits and the engine's
	// in-flight bounds live in one process's memory and store, so a second
	// one would deliver the same work. The lock is the operating system's
	// (flock, LockFileEx): it goes away with the process, however it ends.
	lock := flock.New(abs + ".lock")
	locked, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock database: %w", err)
	}
	if !locked {
		return nil, fmt.Errorf("%w: %s is locked through %s; stop the other hookd first (to run several hookd processes, use PostgreSQL)", ErrDatabaseInUse, path, abs+".lock")
	}
	s := &SQLite{path: path, lock: lock, cipher: c}
	opened := false
	defer func() {
		if !opened {
			_ = lock.Unlock()
		}
	}()
	common := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS),
		"foreign_keys(1)",
		// NORMAL is durable in WAL mode except for the last transactions
		// before a power loss, and saves an fsync per commit.
		"synchronous(NORMAL)",
	}
	s.writer, err = sql.Open("sqlite", dsn(abs, append(common, "journal_mode(WAL)"), "immediate"))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxIdleTime(0)
	s.writer.SetConnMaxLifetime(0)

	// Schema changes run on the writer before the reader pool exists, so no
	// reader ever sees a half-migrated database.
	ctx := context.Background()
	if err := s.writer.PingContext(ctx); err != nil {
		_ = s.writer.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := migrate(ctx, s.writer); err != nil {
		_ = s.writer.Close()
		return nil, err
	}
	if err := s.checkKey(ctx, o); err != nil {
		_ = s.writer.Close()
		return nil, err
	}
	if err := releaseLeases(ctx, s.writer); err != nil {
		_ = s.writer.Close()
		return nil, err
	}
	if err := releaseIdempotencyClaims(ctx, s.writer); err != nil {
		_ = s.writer.Close()
		return nil, err
	}
	if err := s.prepareWrites(ctx); err != nil {
		_ = s.closeStmts()
		_ = s.writer.Close()
		return nil, err
	}

	// query_only makes an accidental write through the reader pool fail
	// loudly instead of racing the writer for the lock.
	s.reader, err = sql.Open("sqlite", dsn(abs, append(common, "query_only(1)"), ""))
	if err != nil {
		_ = s.writer.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	n := max(4, runtime.NumCPU())
	s.reader.SetMaxOpenConns(n)
	s.reader.SetMaxIdleConns(n)
	if err := s.reader.PingContext(ctx); err != nil {
		_ = s.reader.Close()
		_ = s.writer.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	opened = true
	return s, nil
}

// dsn builds a file: URI for path: escaping the path keeps a '?' or '#' in a
// directory name from being read as the start of the parameters.
func dsn(abs string, pragmas []string, txlock string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter: file:/C:/...
	}
	q := url.Values{"_pragma": pragmas}
	if txlock != "" {
		q.Set("_txlock", txlock)
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + q.Encode()
}

// Path is the database file as given to OpenSQLite.
func (s *SQLite) Path() string { return s.path }

// Close checkpoints the write-ahead log into the database file, so that the
// file alone is a complete copy, and closes both pools. Later calls return
// the first call's result.
func (s *SQLite) Close() error {
	s.closeOnce.Do(func() {
		errStmts := s.closeStmts()
		errReader := s.reader.Close()
		_, errCheckpoint := s.writer.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		if errCheckpoint != nil {
			errCheckpoint = fmt.Errorf("checkpoint: %w", errCheckpoint)
		}
		errWriter := s.writer.Close()
		// The lock goes last, once nothing of ours can write any more.
		s.closeErr = errors.Join(errStmts, errReader, errCheckpoint, errWriter, s.lock.Unlock())
	})
	return s.closeErr
}

// write runs fn in an IMMEDIATE transaction on the writer and commits when
// fn returns nil. fn's error is returned unchanged, so callers' typed errors
// survive.
func (s *SQLite) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
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
	return nil
}

// sqliteCode is the extended result code of a driver error, 0 for others.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
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
func (s *SQLite) seal(plain, ad string) []byte {
	return s.cipher.Seal([]byte(plain), []byte(ad))
}

// sealOptional stores "" as NULL: an absent token is not a secret.
func (s *SQLite) sealOptional(plain, ad string) any {
	if plain == "" {
		return nil
	}
	return s.seal(plain, ad)
}

// open decrypts a sealed string; NULL reads back as "".
func (s *SQLite) open(sealed []byte, ad string) (string, error) {
	b, err := s.openBytes(sealed, ad)
	return string(b), err
}

// openBytes decrypts a sealed value; NULL reads back as nil. The error wraps
// secrets.ErrDecrypt and names the place, never the value.
func (s *SQLite) openBytes(sealed []byte, ad string) ([]byte, error) {
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
