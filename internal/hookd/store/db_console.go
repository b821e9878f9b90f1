package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The web console keeps in the database what every hookd process behind
// a load balancer must see alike, so that any of them answers any page:
// its sessions, the key that signs its sign-in form, and the progress of
// its recoveries (db_console_recoveries.go). A session is found by the
// hash of its id, never the id itself (a copy of the database signs no
// one in); its CSRF secret is sealed like the other secrets.

// consoleMigration adds the console's tables and, under the same version,
// the deliveries' index by webhook and status (db_status_index.go).
var consoleMigration = migration{
	version: 13,
	name:    "console sessions, sign-in key and recoveries; deliveries by webhook and status",
	stmts: []string{
		`CREATE TABLE console_sessions (
			id_hash    TEXT    NOT NULL PRIMARY KEY, -- hex SHA-256 of the cookie's session id
			key_hash   TEXT    NOT NULL,             -- the API key it signed in with (api_keys.hash)
			csrf       BLOB    NOT NULL,             -- sealed
			created_at INTEGER NOT NULL,
			idle_until INTEGER NOT NULL,             -- ends unless used before
			expires_at INTEGER NOT NULL,             -- ends, used or not
			flash_ok   INTEGER,                      -- the last action's outcome, NULL when none
			flash      TEXT
		) STRICT`,
		`CREATE TABLE console_keys (
			name   TEXT NOT NULL PRIMARY KEY,
			sealed BLOB NOT NULL
		) STRICT`,
		`CREATE TABLE console_recoveries (
			id          TEXT    NOT NULL PRIMARY KEY,
			key_hash    TEXT    NOT NULL,
			once        TEXT    NOT NULL,             -- the form's one-time token
			webhook_id  TEXT    NOT NULL,
			since       TEXT    NOT NULL,             -- as the form gave it
			until       INTEGER NOT NULL,
			owner       TEXT    NOT NULL,             -- the console (process) running it
			state       TEXT    NOT NULL,
			listed      INTEGER NOT NULL,             -- total is every delivery to replay
			total       INTEGER NOT NULL,
			replayed    INTEGER NOT NULL,
			failed      INTEGER NOT NULL,
			failures    TEXT    NOT NULL,             -- JSON array, the first few
			error       TEXT,
			created_at  INTEGER NOT NULL,
			updated_at  INTEGER NOT NULL,
			UNIQUE (key_hash, once)
		) STRICT`,
		deliveriesStatusIndex,
	},
}

var consoleMigrationPostgres = migration{
	version: consoleMigration.version,
	name:    consoleMigration.name,
	stmts: []string{
		`CREATE TABLE console_sessions (
			id_hash    TEXT   NOT NULL PRIMARY KEY,
			key_hash   TEXT   NOT NULL,
			csrf       BYTEA  NOT NULL,
			created_at BIGINT NOT NULL,
			idle_until BIGINT NOT NULL,
			expires_at BIGINT NOT NULL,
			flash_ok   BIGINT,
			flash      TEXT
		)`,
		`CREATE TABLE console_keys (
			name   TEXT  NOT NULL PRIMARY KEY,
			sealed BYTEA NOT NULL
		)`,
		`CREATE TABLE console_recoveries (
			id          TEXT   NOT NULL PRIMARY KEY,
			key_hash    TEXT   NOT NULL,
			once        TEXT   NOT NULL,
			webhook_id  TEXT   NOT NULL,
			since       TEXT   NOT NULL,
			until       BIGINT NOT NULL,
			owner       TEXT   NOT NULL,
			state       TEXT   NOT NULL,
			listed      BIGINT NOT NULL,
			total       BIGINT NOT NULL,
			replayed    BIGINT NOT NULL,
			failed      BIGINT NOT NULL,
			failures    TEXT   NOT NULL,
			error       TEXT,
			created_at  BIGINT NOT NULL,
			updated_at  BIGINT NOT NULL,
			UNIQUE (key_hash, once)
		)`,
		deliveriesStatusIndex,
	},
}

// ConsoleSession is one signed-in browser of the console.
type ConsoleSession struct {
	IDHash    string // hex SHA-256 of the id its cookie holds
	KeyHash   string // the API key's hash
	CSRF      string // the secret its forms carry; sealed at rest
	CreatedAt time.Time
	IdleUntil time.Time // it ends at IdleUntil unless used before, which moves it on
	ExpiresAt time.Time // it ends at ExpiresAt, used or not
	Flash     *ConsoleFlash
}

// ConsoleFlash is an action's outcome, shown once by the next page.
type ConsoleFlash struct {
	OK      bool
	Message string
}

func consoleCSRFAD(idHash string) string { return "console_sessions/" + idHash + "/csrf" }

// CreateConsoleSession stores a new session, and deletes the sessions
// that ended by now (a sign-in is when the table grows).
func (s *DB) CreateConsoleSession(ctx context.Context, cs *ConsoleSession, now time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qPruneConsoleSessions, toNanos(now), toNanos(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO console_sessions (id_hash, key_hash, csrf, created_at, idle_until, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, cs.IDHash, cs.KeyHash, s.seal(cs.CSRF, consoleCSRFAD(cs.IDHash)),
			toNanos(cs.CreatedAt), toNanos(cs.IdleUntil), toNanos(cs.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create console session: %w", err)
	}
	return nil
}

const qPruneConsoleSessions = `DELETE FROM console_sessions WHERE idle_until <= ? OR expires_at <= ?`

// GetConsoleSession reads the session whose id has hash idHash, ended or
// not (the caller's clock says): ErrNotFound when there is none.
func (s *DB) GetConsoleSession(ctx context.Context, idHash string) (*ConsoleSession, error) {
	cs := &ConsoleSession{IDHash: idHash}
	var (
		csrf                   []byte
		created, idle, expires int64
		flashOK                sql.NullInt64
		flash                  sql.NullString
	)
	err := s.read().QueryRowContext(ctx, `SELECT key_hash, csrf, created_at, idle_until, expires_at, flash_ok, flash
		FROM console_sessions WHERE id_hash = ?`, idHash).Scan(&cs.KeyHash, &csrf, &created, &idle, &expires, &flashOK, &flash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read console session: %w", err)
	}
	if cs.CSRF, err = s.open(csrf, consoleCSRFAD(idHash)); err != nil {
		return nil, fmt.Errorf("read console session: %w", err)
	}
	cs.CreatedAt, cs.IdleUntil, cs.ExpiresAt = fromNanos(created), fromNanos(idle), fromNanos(expires)
	if flashOK.Valid {
		cs.Flash = &ConsoleFlash{OK: flashOK.Int64 == 1, Message: flash.String}
	}
	return cs, nil
}

// TouchConsoleSession moves the session's idle end on to idleUntil, never
// back (another process may have moved it further); a session gone (signed
// out on another process) is left gone.
func (s *DB) TouchConsoleSession(ctx context.Context, idHash string, idleUntil time.Time) error {
	n := toNanos(idleUntil)
	if _, err := s.execWrite(ctx, `UPDATE console_sessions SET idle_until = ? WHERE id_hash = ? AND idle_until < ?`, n, idHash, n); err != nil {
		return fmt.Errorf("touch console session: %w", err)
	}
	return nil
}

// DeleteConsoleSession ends a session on every process (sign-out); a
// session already gone is not an error.
func (s *DB) DeleteConsoleSession(ctx context.Context, idHash string) error {
	if _, err := s.execWrite(ctx, `DELETE FROM console_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	return nil
}

// SetConsoleFlash keeps an action's outcome for the session's next page,
// on whichever process serves it.
func (s *DB) SetConsoleFlash(ctx context.Context, idHash string, f ConsoleFlash) error {
	if _, err := s.execWrite(ctx, `UPDATE console_sessions SET flash_ok = ?, flash = ? WHERE id_hash = ?`,
		boolInt(f.OK), f.Message, idHash); err != nil {
		return fmt.Errorf("set console flash: %w", err)
	}
	return nil
}

// TakeConsoleFlash returns the session's flash and clears it in one
// transaction, so that one page shows it, whichever process serves two at
// once; nil when there is none.
func (s *DB) TakeConsoleFlash(ctx context.Context, idHash string) (*ConsoleFlash, error) {
	var f *ConsoleFlash
	err := s.write(ctx, func(tx *sql.Tx) error {
		f = nil
		var (
			ok  sql.NullInt64
			msg sql.NullString
		)
		err := tx.QueryRowContext(ctx, `SELECT flash_ok, flash FROM console_sessions WHERE id_hash = ?`+s.dialect.forUpdate(), idHash).Scan(&ok, &msg)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !ok.Valid {
			return nil
		}
		if err != nil {
			return err
		}
		f = &ConsoleFlash{OK: ok.Int64 == 1, Message: msg.String}
		_, err = tx.ExecContext(ctx, `UPDATE console_sessions SET flash_ok = NULL, flash = NULL WHERE id_hash = ?`, idHash)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("take console flash: %w", err)
	}
	return f, nil
}

// PruneConsoleSessions deletes the sessions ended by now.
func (s *DB) PruneConsoleSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.execWrite(ctx, qPruneConsoleSessions, toNanos(now), toNanos(now))
	if err != nil {
		return 0, fmt.Errorf("prune console sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ConsoleKey returns the console's key named name: the one stored, or,
// when there is none yet, fresh, which it stores. Processes sharing the
// database agree on it: of two storing theirs at once, one wins and both
// return its key. Sealed at rest.
func (s *DB) ConsoleKey(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	ad := "console_keys/" + name
	var key []byte
	err := s.write(ctx, func(tx *sql.Tx) error {
		var sealed []byte
		err := tx.QueryRowContext(ctx, `SELECT sealed FROM console_keys WHERE name = ?`, name).Scan(&sealed)
		switch {
		case err == nil:
			key, err = s.openBytes(sealed, ad)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		key = fresh
		return insertYielding(ctx, tx, "store the console key",
			`INSERT INTO console_keys (name, sealed) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, s.cipher.Seal(fresh, []byte(ad)))
	})
	if err != nil {
		return nil, fmt.Errorf("console key %s: %w", name, err)
	}
	return key, nil
}
