package server_test

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

func newKey(b byte) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune(b)), 32)))
}

// startAndStop leaves a database that holds data (a generated API key),
// with its key in the key file or, when envKey is set, nowhere on disk.
func startAndStop(t *testing.T, envKey string) (db, keyFile string) {
	t.Helper()
	s := hookdtest.Start(t, hookdtest.WithConfig(func(c *server.Config) { c.EncryptionKey = envKey }))
	s.Stop()
	db = filepath.Join(s.Dir, "hookd.db")
	return db, server.KeyFilePath(db)
}

func TestMissingKeyFileRefused(t *testing.T) {
	sqliteOnly(t, "the key file beside a SQLite database")
	db, keyFile := startAndStop(t, "")
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	_, err := server.New(t.Context(), server.Config{DBPath: db})
	if !errors.Is(err, server.ErrKeyFileMissing) {
		t.Fatalf("New without the key file = %v, want ErrKeyFileMissing", err)
	}
	want := "the database " + db + " holds data but its key file " + keyFile + " is missing: restore that file from a backup, " +
		"or set HOOKD_ENCRYPTION_KEY to the key the database was created with " +
		"(hookd does not create a new key for a database that holds data: it could not decrypt the secrets stored there)"
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was left next to the database: %v", err)
	}
}

// A database whose key was only ever in HOOKD_ENCRYPTION_KEY has no key
// file; starting it without the variable must not make one up.
func TestEnvKeyForgottenRefused(t *testing.T) {
	sqliteOnly(t, "the key file beside a SQLite database")
	db, keyFile := startAndStop(t, newKey(1))
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("HOOKD_ENCRYPTION_KEY set, yet a key file exists: %v", err)
	}
	if _, err := server.New(t.Context(), server.Config{DBPath: db}); !errors.Is(err, server.ErrKeyFileMissing) {
		t.Fatalf("New without the variable = %v, want ErrKeyFileMissing", err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was created: %v", err)
	}
	s, err := server.New(t.Context(), server.Config{DBPath: db, EncryptionKey: newKey(1)})
	if err != nil {
		t.Fatalf("the right variable: %v", err)
	}
	_ = s.Shutdown(t.Context())
}

func TestWrongKeyFileRefused(t *testing.T) {
	sqliteOnly(t, "the key file beside a SQLite database")
	db, keyFile := startAndStop(t, "")
	if err := os.WriteFile(keyFile, []byte(newKey(2)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := server.New(t.Context(), server.Config{DBPath: db})
	if !errors.Is(err, server.ErrWrongEncryptionKey) {
		t.Fatalf("New with another key file = %v, want ErrWrongEncryptionKey", err)
	}
	want := "the key file " + keyFile + " does not open the database " + db + " (its secrets were sealed with another key): " +
		"put back the key file the database was created with, or set HOOKD_ENCRYPTION_KEY to that key"
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
}

func TestWrongEnvKeyRefused(t *testing.T) {
	sqliteOnly(t, "a SQLite database and its key file (TestPostgresKeyRequiredAndChecked covers PostgreSQL)")
	db, keyFile := startAndStop(t, "")
	_, err := server.New(t.Context(), server.Config{DBPath: db, EncryptionKey: newKey(3)})
	if !errors.Is(err, server.ErrWrongEncryptionKey) {
		t.Fatalf("New with another HOOKD_ENCRYPTION_KEY = %v, want ErrWrongEncryptionKey", err)
	}
	want := "HOOKD_ENCRYPTION_KEY does not open the database " + db + " (its secrets were sealed with another key): " +
		"set HOOKD_ENCRYPTION_KEY to the key the database was created with, or unset it to use the key file " + keyFile
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}

	db, _ = startAndStop(t, newKey(4))
	_, err = server.New(t.Context(), server.Config{DBPath: db, EncryptionKey: newKey(5)})
	want = "HOOKD_ENCRYPTION_KEY does not open the database " + db + " (its secrets were sealed with another key): " +
		"set HOOKD_ENCRYPTION_KEY to the key the database was created with"
	if !errors.Is(err, server.ErrWrongEncryptionKey) || err.Error() != want {
		t.Errorf("without a key file:\n got %v\nwant %s", err, want)
	}
}
