package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// CopyConfig is a copy of one hookd database into another (hookd copy).
type CopyConfig struct {
	// From and To are databases as DBPath takes them: SQLite files or
	// postgres:// URLs. From must exist; To must hold no data (a new
	// SQLite file is created).
	From, To string
	// EncryptionKey is HOOKD_ENCRYPTION_KEY. When empty, From must be a
	// SQLite database with its key file, and a SQLite To gets a key file
	// of its own holding the same key.
	EncryptionKey string
	// Progress, if set, is told of each table once it is copied.
	Progress func(store.CopiedTable)
}

// CopyResult is what Copy did.
type CopyResult struct {
	Tables []store.CopiedTable
	// KeyFile is the key file the key was read from ("" when it came from
	// EncryptionKey), and ToKeyFile the one written beside a SQLite To.
	KeyFile, ToKeyFile string
}

// Copy copies every webhook, group, API key, event, delivery and attempt
// of cfg.From into the empty cfg.To (store.Copy), both opened with one
// encryption key: the secrets are copied sealed and open with it there.
// hookd on SQLite holds its database's lock while Copy reads it, so a
// hookd still serving it makes Copy refuse; processes on a PostgreSQL From
// must be stopped first (what they write during the copy is not in it).
func Copy(ctx context.Context, cfg CopyConfig) (CopyResult, error) {
	var res CopyResult
	if cfg.From == "" || cfg.To == "" {
		return res, errors.New("give the database to copy from (--from) and the one to copy to (--to)")
	}
	if samePlace(cfg.From, cfg.To) {
		return res, fmt.Errorf("--from and --to are the same database (%s)", store.RedactURL(cfg.From))
	}
	key, err := copyKey(cfg, &res)
	if err != nil {
		return res, err
	}
	if !store.IsPostgresURL(cfg.From) {
		if _, err := os.Stat(cfg.From); err != nil {
			return res, fmt.Errorf("--from: the database %s: %w", cfg.From, err)
		}
	}
	// A key from the file is the file's for openStore too, so that its
	// refusals name the file, not the variable.
	from, err := openStore(ctx, Config{DBPath: cfg.From, EncryptionKey: cfg.EncryptionKey})
	if err != nil {
		return res, fmt.Errorf("--from: %w", err)
	}
	defer func() { _ = from.Close() }()

	writeKeyFile := false
	if cfg.EncryptionKey == "" && !store.IsPostgresURL(cfg.To) {
		// hookd serve --db To finds the key where it found From's.
		res.ToKeyFile = KeyFilePath(cfg.To)
		switch held, err := secrets.LoadKeyFile(res.ToKeyFile); {
		case errors.Is(err, fs.ErrNotExist):
			writeKeyFile = true
		case err != nil:
			return res, fmt.Errorf("--to: %w", err)
		case !bytes.Equal(held, key):
			return res, fmt.Errorf("--to: the key file %s holds another key than %s's: copy into a new file, or remove both %s and %s if that database is not needed",
				res.ToKeyFile, cfg.From, cfg.To, res.ToKeyFile)
		}
	}
	to, err := openStore(ctx, Config{DBPath: cfg.To, EncryptionKey: base64.StdEncoding.EncodeToString(key)})
	if errors.Is(err, store.ErrWrongEncryptionKey) {
		return res, fmt.Errorf("--to: the database %s was created with another encryption key than %s's, so it is not a new database: copy into a new, empty one",
			store.RedactURL(cfg.To), store.RedactURL(cfg.From))
	}
	if err != nil {
		return res, fmt.Errorf("--to: %w", err)
	}
	defer func() { _ = to.Close() }()
	if writeKeyFile {
		// Before the copy: a copy that commits and then loses its key file
		// (a crash in between) could be neither served nor copied again.
		if err := secrets.WriteKeyFile(res.ToKeyFile, key); err != nil {
			return res, fmt.Errorf("--to: %w", err)
		}
	}
	if res.Tables, err = store.Copy(ctx, from, to, cfg.Progress); err != nil {
		if errors.Is(err, store.ErrTargetNotEmpty) {
			return res, fmt.Errorf("--to: %w: hookd copies only into an empty database (a new SQLite file, or a PostgreSQL database that no hookd serve has started on; hookd migrate on it is fine)", err)
		}
		return res, err
	}
	return res, nil
}

// copyKey is the key of cfg.From: HOOKD_ENCRYPTION_KEY, else the key file
// of a SQLite From, which must exist (Copy never makes a key).
func copyKey(cfg CopyConfig, res *CopyResult) ([]byte, error) {
	if cfg.EncryptionKey != "" {
		key, err := secrets.ParseKey(cfg.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("HOOKD_ENCRYPTION_KEY: %w", err)
		}
		return key, nil
	}
	if store.IsPostgresURL(cfg.From) {
		return nil, &keyError{kind: ErrEncryptionKeyRequired, msg: fmt.Sprintf(
			"HOOKD_ENCRYPTION_KEY is required to copy from PostgreSQL (%s): set it to the key its hookd processes are given", store.RedactURL(cfg.From))}
	}
	res.KeyFile = KeyFilePath(cfg.From)
	key, err := secrets.LoadKeyFile(res.KeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &keyError{kind: ErrKeyFileMissing, msg: fmt.Sprintf(
			"--from: the key file %s is missing: set HOOKD_ENCRYPTION_KEY to the key the database %s was created with", res.KeyFile, cfg.From)}
	}
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	return key, nil
}

// samePlace reports whether a and b name one database: the same URL, or
// the same file however it is written.
func samePlace(a, b string) bool {
	if store.IsPostgresURL(a) || store.IsPostgresURL(b) {
		return a == b
	}
	return realPath(a) == realPath(b)
}

// realPath is path made absolute, through its symbolic links as far as it
// exists.
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		return resolved
	}
	dir, file := filepath.Split(abs)
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(resolved, file)
	}
	return abs
}
