package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one numbered schema step. Steps are append-only: once a
// version has shipped, its statements must never change, since databases in
// the field already ran them; a fix is a new step.
type migration struct {
	version int
	name    string
	stmts   []string // run one by one, in order, in one transaction
}

// sqliteMigrations are SQLite's schema steps. Tables are STRICT so that a value of the
// wrong type is an error at write time rather than a surprise at read time.
// Times are INTEGER unix nanoseconds; sealed values are BLOBs produced by
// secrets.Cipher.
var sqliteMigrations = []migration{
	{
		version: 1,
		name:    "groups, webhooks, api keys, idempotency",
		stmts: []string{
			`CREATE TABLE groups (
				id          TEXT    NOT NULL PRIMARY KEY,
				name        TEXT    NOT NULL UNIQUE,
				description TEXT,
				created_at  INTEGER NOT NULL,
				updated_at  INTEGER NOT NULL
			) STRICT`,
			`CREATE INDEX groups_created ON groups (created_at, id)`,

			// group_id is NULL at account scope; RESTRICT backs up the
			// ErrGroupNotEmpty check of DeleteGroup.
			`CREATE TABLE webhooks (
				id                         TEXT    NOT NULL PRIMARY KEY,
				scope                      TEXT    NOT NULL,
				group_id                   TEXT    REFERENCES groups (id) ON DELETE RESTRICT,
				name                       TEXT,
				description                TEXT,
				url                        TEXT    NOT NULL,
				events                     TEXT    NOT NULL, -- JSON array
				active                     INTEGER NOT NULL,
				status                     TEXT    NOT NULL,
				disabled_reason            TEXT,
				headers                    TEXT    NOT NULL, -- JSON object
				auth_token                 BLOB,             -- sealed, NULL when none
				secret                     BLOB    NOT NULL, -- sealed
				previous_secret            BLOB,             -- sealed, NULL when none
				secret_version             INTEGER NOT NULL,
				secret_rotated_at          INTEGER,
				previous_secret_expires_at INTEGER,
				dead_letter_streak         INTEGER NOT NULL DEFAULT 0,
				created_at                 INTEGER NOT NULL,
				updated_at                 INTEGER NOT NULL
			) STRICT`,
			`CREATE INDEX webhooks_created ON webhooks (created_at, id)`,
			`CREATE INDEX webhooks_group_created ON webhooks (group_id, created_at, id)`,
			// Lists filtered by scope (publishing used it before migration 4).
			`CREATE INDEX webhooks_scope_created ON webhooks (scope, created_at, id)`,

			`CREATE TABLE api_keys (
				hash       TEXT    NOT NULL PRIMARY KEY,
				created_at INTEGER NOT NULL
			) STRICT`,

			`CREATE TABLE idempotency (
				key         TEXT    NOT NULL PRIMARY KEY,
				fingerprint TEXT    NOT NULL,
				in_flight   INTEGER NOT NULL,
				status_code INTEGER NOT NULL DEFAULT 0,
				location    TEXT    NOT NULL DEFAULT '',
				body        BLOB,             -- sealed, NULL while in flight
				created_at  INTEGER NOT NULL
			) STRICT`,
			`CREATE INDEX idempotency_created ON idempotency (created_at)`,
		},
	},
	deliveriesMigration,            // version 2, in db_deliveries.go
	leasesMigration,                // version 3, in db_claims.go
	subscriptionsMigration,         // version 4, in db_subscriptions.go
	keyCheckMigration,              // version 5, in keycheck.go
	signingKeysMigration,           // version 6, in db_webhooks.go
	bucketsMigration,               // version 7, in db_buckets.go
	dueWebhookMigration,            // version 8, in db_claims.go
	noLeaseIndexMigration,          // version 9, in db_claims.go
	idempotencyClaimUntilMigration, // version 10, in db_idempotency.go
	listingMigration,               // version 11, in db_listing.go
	replaysMigration,               // version 12, in db_unrecovered.go
	consoleMigration,               // version 13, in db_console.go
}

// migrate brings the database up to date, one transaction per step,
// recording each applied version in schema_migrations. Steps are applied by
// set, not by "everything above the highest applied version": versions are
// reserved by work in progress and may land out of order (5 before 3), and
// a database that already ran 5 must still get 3 when it arrives. It
// refuses a database that a newer hookd already migrated past what this one
// knows, since writing to it could corrupt data that the newer schema
// depends on.
//
// db is the whole database (SQLite: its writer, whose transactions begin
// IMMEDIATE, so each step's check and apply are one under the write lock)
// or one connection holding PostgreSQL's migration lock (migratePostgres).
func migrate(ctx context.Context, db migrator, steps []migration) error {
	return migrateSteps(ctx, db, steps)
}

// migrateCounting runs run (a migration of db to steps) and returns the
// versions it applied and the highest version the database is at.
func migrateCounting(ctx context.Context, db querier, steps []migration, run func(context.Context) error) ([]int, int, error) {
	before := appliedIfAny(ctx, db)
	if err := run(ctx); err != nil {
		return nil, 0, err
	}
	after, err := appliedVersions(ctx, db)
	if err != nil {
		return nil, 0, err
	}
	var applied []int
	for _, m := range steps {
		if after[m.version] && !before[m.version] {
			applied = append(applied, m.version)
		}
	}
	latest := 0
	for v := range after {
		latest = max(latest, v)
	}
	return applied, latest, nil
}

// appliedIfAny is appliedVersions, or none when the database has no
// schema_migrations table yet.
func appliedIfAny(ctx context.Context, db querier) map[int]bool {
	v, err := appliedVersions(ctx, db)
	if err != nil {
		// No table yet (each database says so in its own words); a real
		// failure shows again, and is reported, in the migration itself.
		return map[int]bool{}
	}
	return v
}

// latestVersion is the highest schema version this binary knows for d.
func latestVersion(d dialect) int {
	steps := sqliteMigrations
	if d == dialectPostgres {
		steps = postgresMigrations
	}
	v := 0
	for _, m := range steps {
		v = max(v, m.version)
	}
	return v
}

// migrator is *sql.DB or *sql.Conn.
type migrator interface {
	querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

func migrateSteps(ctx context.Context, db migrator, steps []migration) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at BIGINT  NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		return err
	}
	current := 0
	for v := range applied {
		current = max(current, v)
	}
	latest := 0
	for _, m := range steps {
		latest = max(latest, m.version)
	}
	if current > latest {
		return fmt.Errorf("database schema version %d is newer than this hookd (max %d); upgrade hookd", current, latest)
	}
	for _, m := range steps {
		if applied[m.version] {
			continue
		}
		if err := applyMigration(ctx, db, m); err != nil {
			return fmt.Errorf("migrate database to version %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

func appliedVersions(ctx context.Context, q querier) (map[int]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema versions: %w", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema versions: %w", err)
		}
		out[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema versions: %w", err)
	}
	return out, nil
}

func applyMigration(ctx context.Context, db migrator, m migration) error {
	tx, err := db.BeginTx(ctx, nil) // SQLite: IMMEDIATE, see OpenSQLite's _txlock
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	// Another process may have applied the step since migrate read the
	// version; the write lock taken by BEGIN IMMEDIATE makes this check final.
	var done bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.version).Scan(&done); err != nil {
		return err
	}
	if done {
		return nil
	}
	for _, stmt := range m.stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	// applied_at is bookkeeping for operators, not data hookd reasons about,
	// so the wall clock is fine here.
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, time.Now().UnixNano()); err != nil {
		return err
	}
	return tx.Commit()
}
