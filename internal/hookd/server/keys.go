package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Typed start-up refusals of New; callers test them with errors.Is.
var (
	// ErrKeyFileMissing: the database holds data and no key was given,
	// neither in HOOKD_ENCRYPTION_KEY nor in the key file beside the
	// database.
	ErrKeyFileMissing = errors.New("the encryption key file is missing")
	// ErrWrongEncryptionKey: the key given does not open the database's
	// secrets (the store's error, named here for New's callers).
	ErrWrongEncryptionKey = store.ErrWrongEncryptionKey
)

// keyError is a start-up refusal with a message for the operator (which
// key is at fault, and what to do) that still matches its typed error.
type keyError struct {
	msg  string
	kind error
}

func (e *keyError) Error() string { return e.msg }
func (e *keyError) Unwrap() error { return e.kind }

// KeyFilePath is where hookd keeps the encryption key of the database at
// dbPath when HOOKD_ENCRYPTION_KEY is not set.
func KeyFilePath(dbPath string) string { return dbPath + ".key" }

// ErrEncryptionKeyRequired: the database is PostgreSQL and
// HOOKD_ENCRYPTION_KEY is not set.
var ErrEncryptionKeyRequired = errors.New("HOOKD_ENCRYPTION_KEY is required with PostgreSQL")

// openStore finds the encryption key and opens the database with it. The
// key comes from HOOKD_ENCRYPTION_KEY, else (SQLite only) from the key
// file; a key file is created only for a database that holds no data,
// since a new key could not decrypt the secrets already stored.
func openStore(ctx context.Context, cfg Config) (*store.DB, error) {
	if store.IsPostgresURL(cfg.DBPath) {
		return openPostgres(ctx, cfg)
	}
	keyPath := KeyFilePath(cfg.DBPath)
	var (
		key    []byte
		newKey bool
		err    error
	)
	if cfg.EncryptionKey != "" {
		if key, err = secrets.ParseKey(cfg.EncryptionKey); err != nil {
			return nil, fmt.Errorf("HOOKD_ENCRYPTION_KEY: %w", err)
		}
	} else {
		key, err = secrets.LoadKeyFile(keyPath)
		if errors.Is(err, fs.ErrNotExist) {
			key, err = secrets.CreateKeyFile(keyPath)
			newKey = true
		}
		if err != nil {
			return nil, err
		}
	}
	c, err := secrets.NewCipher(key)
	if err != nil {
		return nil, err
	}
	var opts []store.OpenOption
	if newKey {
		opts = append(opts, store.WithNewKey())
	}
	st, err := store.OpenSQLite(cfg.DBPath, c, opts...)
	if err != nil && newKey {
		// Nothing was sealed with the key just created (the database holds
		// data, or another process has it): remove it, so that the next
		// start does not take it for the database's own.
		_ = os.Remove(keyPath)
	}
	switch {
	case err == nil:
		return st, nil
	case errors.Is(err, store.ErrDatabaseHoldsData):
		return nil, &keyError{kind: ErrKeyFileMissing, msg: fmt.Sprintf(
			"the database %s holds data but its key file %s is missing: restore that file from a backup, "+
				"or set HOOKD_ENCRYPTION_KEY to the key the database was created with "+
				"(hookd does not create a new key for a database that holds data: it could not decrypt the secrets stored there)",
			cfg.DBPath, keyPath)}
	case errors.Is(err, store.ErrWrongEncryptionKey) && cfg.EncryptionKey != "":
		return nil, &keyError{kind: err, msg: fmt.Sprintf(
			"HOOKD_ENCRYPTION_KEY does not open the database %s (its secrets were sealed with another key): "+
				"set HOOKD_ENCRYPTION_KEY to the key the database was created with%s",
			cfg.DBPath, unsetHint(keyPath))}
	case errors.Is(err, store.ErrWrongEncryptionKey):
		return nil, &keyError{kind: err, msg: fmt.Sprintf(
			"the key file %s does not open the database %s (its secrets were sealed with another key): "+
				"put back the key file the database was created with, or set HOOKD_ENCRYPTION_KEY to that key",
			keyPath, cfg.DBPath)}
	}
	return nil, fmt.Errorf("open database %s: %w", cfg.DBPath, err)
}

// openPostgres opens a PostgreSQL database, with the key every process
// sharing it is given: there is no file beside a PostgreSQL database to
// keep one in, and processes must agree on it.
func openPostgres(ctx context.Context, cfg Config) (*store.DB, error) {
	name := store.RedactURL(cfg.DBPath)
	if cfg.EncryptionKey == "" {
		return nil, &keyError{kind: ErrEncryptionKeyRequired, msg: fmt.Sprintf(
			"HOOKD_ENCRYPTION_KEY is required with PostgreSQL (%s): give every hookd process sharing the database the same key, "+
				"32 random bytes in base64 (for example the output of `openssl rand -base64 32`), and keep it safe: the secrets stored cannot be read without it", name)}
	}
	key, err := secrets.ParseKey(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("HOOKD_ENCRYPTION_KEY: %w", err)
	}
	c, err := secrets.NewCipher(key)
	if err != nil {
		return nil, err
	}
	st, err := store.OpenPostgres(ctx, cfg.DBPath, c)
	if errors.Is(err, store.ErrWrongEncryptionKey) {
		return nil, &keyError{kind: err, msg: fmt.Sprintf(
			"HOOKD_ENCRYPTION_KEY does not open the database %s (its secrets were sealed with another key): "+
				"set HOOKD_ENCRYPTION_KEY to the key the database was created with, the one the other hookd processes are given", name)}
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	return st, nil
}

// unsetHint points at the key file when there is one that the variable
// overrides: the usual mistake is a variable left over from another setup.
func unsetHint(keyPath string) string {
	if _, err := os.Stat(keyPath); err == nil {
		return ", or unset it to use the key file " + keyPath
	}
	return ""
}
