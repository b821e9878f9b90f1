package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
)

// IsPostgresURL reports whether db names a PostgreSQL database
// (postgres:// or postgresql://) rather than a SQLite file.
func IsPostgresURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// DefaultPostgresConns is the connection pool of one process when the URL
// does not say (pool_max_conns): enough for the delivery workers' short
// transactions and the API's requests at once.
const DefaultPostgresConns = 16

// migrationLock is the key of the advisory lock that processes starting
// together take to migrate one at a time ("hookd" in ASCII).
const migrationLock = 0x686f6f6b64

// OpenPostgres connects to the PostgreSQL database at dsn (a postgres://
// URL; pool_max_conns sets the pool, default DefaultPostgresConns), brings
// its schema up to date under an advisory lock, and checks the encryption
// key as OpenSQLite does. Several processes may open one database: unlike
// OpenSQLite it keeps no process lock, releases no lease and no
// idempotency claim at open (another process may hold them: they expire),
// and caches nothing another process could change.
func OpenPostgres(ctx context.Context, dsn string, c *secrets.Cipher, opts ...OpenOption) (*DB, error) {
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	if c == nil {
		return nil, errors.New("open postgres: a cipher is required to encrypt secrets at rest")
	}
	cfg, conns, err := parsePostgresURL(dsn)
	if err != nil {
		return nil, err
	}
	pool := sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	s := &DB{dialect: dialectPostgres, path: redactURL(dsn), writer: pool, reader: pool, cipher: c}
	s.hooks.off, s.events.off = true, true
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", s.path, err)
	}
	if err := migratePostgres(ctx, pool); err != nil {
		_ = pool.Close()
		return nil, err
	}
	if err := s.checkKey(ctx, o); err != nil {
		_ = pool.Close()
		return nil, err
	}
	s.wake = startNotifier(cfg, s.logger)
	return s, nil
}

// Migrate applies the schema steps the database db names lacks (a
// postgres:// URL or a SQLite file) and returns the versions it applied and
// the schema version the database is at: `hookd migrate`, for operators
// who migrate as a step of their own before starting the new version. It
// reads no secret, so it needs no key.
func Migrate(ctx context.Context, db string) (applied []int, latest int, err error) {
	if !IsPostgresURL(db) {
		return migrateSQLite(ctx, db)
	}
	cfg, _, err := parsePostgresURL(db)
	if err != nil {
		return nil, 0, err
	}
	pool := sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
	defer pool.Close()
	if err := pool.PingContext(ctx); err != nil {
		return nil, 0, fmt.Errorf("connect to %s: %w", redactURL(db), err)
	}
	return migrateCounting(ctx, pool, postgresMigrations, func(ctx context.Context) error { return migratePostgres(ctx, pool) })
}

// migratePostgres runs the migrations on one connection holding the
// migration lock: of processes starting together, one migrates and the
// others wait for it, then find nothing left to do.
func migratePostgres(ctx context.Context, pool *sql.DB) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, int64(migrationLock))
	}()
	return migrate(ctx, conn, postgresMigrations)
}

// notifyWork is the channel on which a write that makes work (a published
// event, a new delivery) tells every process: the one with free workers
// claims it at once instead of at its next poll.
const notifyWork = "hookd_work"

// notifyNewWork queues the notification in tx: PostgreSQL sends it on
// commit, and once per transaction however many deliveries it wrote. No-op
// on SQLite, whose one process wakes its engine itself.
func (s *DB) notifyNewWork(ctx context.Context, tx execQuerier) error {
	if s.dialect != dialectPostgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify('`+notifyWork+`', '')`); err != nil {
		return fmt.Errorf("notify other processes: %w", err)
	}
	return nil
}
