package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
)

// Typed errors of the key check at open; callers test them with errors.Is
// and say which key (variable or file) is at fault, which the store cannot
// know.
var (
	// ErrWrongEncryptionKey: the key does not open what the database holds
	// (its key check record, or, in a database from before the record, an
	// existing secret).
	ErrWrongEncryptionKey = errors.New("the encryption key does not open this database's secrets")
	// ErrDatabaseHoldsData: a newly generated key was offered for a
	// database that already holds data sealed with, or created under,
	// another key.
	ErrDatabaseHoldsData = errors.New("the database already holds data")
)

// keyCheckMigration stores a value sealed with the encryption key, so that
// a wrong key is caught when the database is opened rather than as a 500 on
// every read of a secret. One row at most.
var keyCheckMigration = migration{
	version: 5,
	name:    "encryption key check",
	stmts: []string{
		`CREATE TABLE key_check (
			id     INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
			sealed BLOB    NOT NULL
		) STRICT`,
	},
}

// keyCheckPlain is what the key check record holds, bound to its place by
// keyCheckAD; its content is no secret, only whether it opens matters.
const (
	keyCheckPlain = "hookd encryption key check v1"
	keyCheckAD    = "key_check/1/sealed"
)

// OpenOption changes how OpenSQLite treats the database.
type OpenOption func(*openOptions)

type openOptions struct {
	newKey          bool
	listEvery       time.Duration // SQLite's lister (startLister); tests only
	checkpointEvery time.Duration // SQLite's checkpointer (openCheckpointer); tests only
}

// WithNewKey says that the cipher's key was generated for this start: the
// database must hold no data, or OpenSQLite refuses with
// ErrDatabaseHoldsData and writes nothing.
func WithNewKey() OpenOption { return func(o *openOptions) { o.newKey = true } }

// checkKey verifies the cipher against the key check record, writing the
// record when there is none yet: in an empty database, or in one created
// before the record existed when the key opens one of its secrets. It runs
// in one write transaction, so two processes opening the same new database
// cannot write two different records.
func (s *DB) checkKey(ctx context.Context, o openOptions) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var sealed []byte
		err := tx.QueryRowContext(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&sealed)
		switch {
		case err == nil:
			if o.newKey {
				return ErrDatabaseHoldsData
			}
			return s.openKeyCheck(sealed)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("read the key check record: %w", err)
		}
		hasData, err := holdsData(ctx, tx)
		if err != nil {
			return err
		}
		if hasData && o.newKey {
			return ErrDatabaseHoldsData
		}
		if hasData {
			if err := s.openExistingSecret(ctx, tx); err != nil {
				return err
			}
		}
		// Another process opening the new database may write it first
		// (PostgreSQL): then the key is checked against its record.
		return insertYielding(ctx, tx, "write the key check record",
			`INSERT INTO key_check (id, sealed) VALUES (1, ?) ON CONFLICT (id) DO NOTHING`, s.seal(keyCheckPlain, keyCheckAD))
	})
}

func (s *DB) openKeyCheck(sealed []byte) error {
	plain, err := s.cipher.Open(sealed, []byte(keyCheckAD))
	if err != nil || string(plain) != keyCheckPlain {
		return ErrWrongEncryptionKey
	}
	return nil
}

// VerifyKey reads the key check record again and opens it: the readiness
// check that the database still answers with the data this key opens (a
// file swapped underneath a running hookd does not).
func (s *DB) VerifyKey(ctx context.Context) error {
	var sealed []byte
	if err := s.reader.QueryRowContext(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&sealed); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ErrWrongEncryptionKey
		}
		return fmt.Errorf("read the key check record: %w", err)
	}
	return s.openKeyCheck(sealed)
}

// holdsData reports whether anything was ever stored: an API key is written
// at the first start, so a database that served once holds data.
func holdsData(ctx context.Context, tx *sql.Tx) (bool, error) {
	var found bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys) OR EXISTS (SELECT 1 FROM groups)
		OR EXISTS (SELECT 1 FROM webhooks) OR EXISTS (SELECT 1 FROM idempotency) OR EXISTS (SELECT 1 FROM events)`).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("look for stored data: %w", err)
	}
	return found, nil
}

// openExistingSecret tries the key on one sealed value of a database from
// before the key check record: a webhook's signing secret, else a stored
// idempotent response. A database with neither has nothing the key could
// fail to open, so any key is right for it.
func (s *DB) openExistingSecret(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []struct {
		query string
		ad    func(id string) string // the place the value was sealed for
	}{
		{`SELECT id, secret FROM webhooks LIMIT 1`, func(id string) string { return webhookAD(id, "secret") }},
		{`SELECT key, body FROM idempotency WHERE body IS NOT NULL LIMIT 1`, idempotencyAD},
	} {
		var (
			id     string
			sealed []byte
		)
		err := tx.QueryRowContext(ctx, q.query).Scan(&id, &sealed)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read a sealed value: %w", err)
		}
		if _, err := s.cipher.Open(sealed, []byte(q.ad(id))); errors.Is(err, secrets.ErrDecrypt) {
			return ErrWrongEncryptionKey
		} else if err != nil {
			return err
		}
		return nil
	}
	return nil
}
