package store

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

type migrationRow struct {
	Version   int
	AppliedAt int64
}

func appliedMigrations(t *testing.T, s *DB) []migrationRow {
	t.Helper()
	rows, err := s.reader.QueryContext(t.Context(), `SELECT version, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []migrationRow
	for rows.Next() {
		var r migrationRow
		if err := rows.Scan(&r.Version, &r.AppliedAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// Versions increase in the order the steps run; gaps are allowed (versions
// are reserved by changes developed in parallel, and migrate applies every
// missing step, whatever its number).
func TestMigrationsWellFormed(t *testing.T) {
	for i, m := range sqliteMigrations {
		if m.version < 1 || (i > 0 && m.version <= sqliteMigrations[i-1].version) {
			t.Errorf("migration %d has version %d; versions must increase from 1", i, m.version)
		}
		if len(m.stmts) == 0 {
			t.Errorf("migration %d is empty", m.version)
		}
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	sqliteOnly(t, "the SQLite file and its migrations")
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := openAt(t, path, testKey)
	ctx := t.Context()
	g := mustCreateGroup(t, s, "grp_1", "g", t0)
	full := fullWebhook("wh_1", g.ID, t0)
	mustCreateWebhook(t, s, full)
	if err := s.AddAPIKey(ctx, "hash", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginIdempotent(ctx, "k", "fp", t0, t0, t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteIdempotent(ctx, outcome("k", t0, 201, "/v1/webhooks/wh_1", []byte(`{"secret":"`+full.Secret+`"}`))); err != nil {
		t.Fatal(err)
	}
	applied := appliedMigrations(t, s)
	if len(applied) != len(sqliteMigrations) {
		t.Fatalf("applied migrations %v, want %d", applied, len(sqliteMigrations))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // a second Close is harmless
		t.Errorf("second Close: %v", err)
	}

	s = openAt(t, path, testKey)
	diff(t, "migrations after reopen (none re-applied)", appliedMigrations(t, s), applied)
	diff(t, "webhook after reopen", mustGetWebhook(t, s, "wh_1"), full)
	if got, err := s.GetGroup(ctx, "grp_1"); err != nil {
		t.Fatal(err)
	} else {
		diff(t, "group after reopen", got, g)
	}
	if ok, err := s.HasAPIKey(ctx, "hash"); err != nil || !ok {
		t.Errorf("API key lost on reopen: %v, %v", ok, err)
	}
	rec, err := s.BeginIdempotent(ctx, "k", "fp", t0, t0, t0.AddDate(0, 0, 1))
	if err != nil || rec == nil || rec.StatusCode != 201 || !bytes.Contains(rec.Body, []byte(full.Secret)) {
		t.Errorf("idempotency record after reopen = %+v, %v", rec, err)
	}
}

func TestReopenWithAnotherKeyFailsToDecrypt(t *testing.T) {
	path := newLocation(t)
	s := openAt(t, path, testKey)
	mustCreateGroup(t, s, "grp_1", "g", t0)
	mustCreateWebhook(t, s, fullWebhook("wh_1", "grp_1", t0))
	if _, err := s.BeginIdempotent(t.Context(), "k", "fp", t0, t0, t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteIdempotent(t.Context(), outcome("k", t0, 201, "", []byte("body"))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The key check refuses the other key at open...
	if _, err := openLoc(path, testCipher(t, otherKey)); !errors.Is(err, ErrWrongEncryptionKey) {
		t.Fatalf("OpenSQLite with another key = %v, want ErrWrongEncryptionKey", err)
	}
	// ...and should a store ever hold the wrong cipher anyway, reads still
	// fail closed, one value at a time.
	s = openAt(t, path, testKey)
	s.cipher = testCipher(t, otherKey)
	if _, err := s.GetWebhook(t.Context(), "wh_1"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Errorf("GetWebhook with another key = %v, want ErrDecrypt", err)
	}
	// A list leaves out (and logs) what it cannot read rather than failing
	// for every row: see TestListWebhooksSkipsUnreadable.
	if page, next, err := s.ListWebhooks(t.Context(), WebhookFilter{}, Page{}); err != nil || len(page) != 0 || next != "" {
		t.Errorf("ListWebhooks with another key = %d webhooks, %q, %v; want none", len(page), next, err)
	}
	if _, err := s.BeginIdempotent(t.Context(), "k", "fp", t0, t0, t0.AddDate(0, 0, 1)); !errors.Is(err, secrets.ErrDecrypt) {
		t.Errorf("BeginIdempotent with another key = %v, want ErrDecrypt", err)
	}
	// Nothing secret in a group: it still reads.
	if _, err := s.GetGroup(t.Context(), "grp_1"); err != nil {
		t.Errorf("GetGroup with another key: %v", err)
	}
}

// A sealed value is bound to its row and column: copying one webhook's
// secret blob over another's, or over another column, does not decrypt.
func TestSealedValuesBoundToPlace(t *testing.T) {
	s := newStore(t)
	mustCreateWebhook(t, s, fullWebhook("wh_a", "", t0))
	mustCreateWebhook(t, s, minimalWebhook("wh_b", t0))
	for _, q := range []string{
		`UPDATE webhooks SET secret = (SELECT secret FROM webhooks WHERE id = 'wh_a') WHERE id = 'wh_b'`,
		`UPDATE webhooks SET secret = previous_secret WHERE id = 'wh_a'`,
	} {
		if _, err := s.writer.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"wh_a", "wh_b"} {
		if _, err := s.GetWebhook(t.Context(), id); !errors.Is(err, secrets.ErrDecrypt) {
			t.Errorf("GetWebhook(%s) with a moved ciphertext = %v, want ErrDecrypt", id, err)
		}
	}
}

// The Ed25519 private keys are sealed to their place like the secrets.
func TestSigningKeysBoundToPlace(t *testing.T) {
	for _, q := range []string{
		`UPDATE webhooks SET signing_key = previous_signing_key WHERE id = 'wh_a'`,
		`UPDATE webhooks SET signing_key = (SELECT signing_key FROM webhooks WHERE id = 'wh_b') WHERE id = 'wh_a'`,
	} {
		s := newStore(t)
		mustCreateWebhook(t, s, fullWebhook("wh_a", "", t0))
		mustCreateWebhook(t, s, fullWebhook("wh_b", "", t0))
		if _, err := s.writer.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetWebhook(t.Context(), "wh_a"); !errors.Is(err, secrets.ErrDecrypt) {
			t.Errorf("after %s: GetWebhook = %v, want ErrDecrypt", q, err)
		}
	}
}

// olderSQLite makes a SQLite file with the schema steps before version
// applied, as an older hookd left it, and returns its path and a handle
// for the test to fill and close.
func olderSQLite(t *testing.T, version int) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hookd.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range sqliteMigrations {
		if m.version < version {
			if err := applyMigration(t.Context(), db, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path, db
}

// A database of the schema before signature schemes (version 2) keeps its
// webhooks, which read as v1 with no signing keys, and takes v1a ones.
func TestMigrateToSignatureSchemes(t *testing.T) {
	sqliteOnly(t, "migration 6 of an older SQLite database")
	path, db := olderSQLite(t, 3)
	c := testCipher(t, testKey)
	secret := secrets.NewSecret()
	if _, err := db.Exec(`INSERT INTO webhooks (id, scope, url, events, active, status, headers, secret, secret_version, created_at, updated_at)
		VALUES ('wh_old', 'account', 'https://example.com/old', '[]', 1, 'active', '{}', ?, 1, 0, 0)`,
		c.Seal([]byte(secret), []byte(webhookAD("wh_old", "secret")))); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path, testKey)
	if got := appliedMigrations(t, s); len(got) != len(sqliteMigrations) {
		t.Errorf("applied %v, want %d steps", got, len(sqliteMigrations))
	}
	old := mustGetWebhook(t, s, "wh_old")
	if old.SignatureScheme != rules.SchemeV1 || old.SigningKey != "" || old.PreviousSigningKey != "" || old.Secret != secret {
		t.Errorf("the old webhook reads as scheme %q, signing key set %t, previous key set %t", old.SignatureScheme, old.SigningKey != "", old.PreviousSigningKey != "")
	}
	v1a := fullWebhook("wh_new", "", t0)
	v1a.Scope = ScopeAccount
	mustCreateWebhook(t, s, v1a)
	diff(t, "v1a webhook", mustGetWebhook(t, s, "wh_new"), v1a)
}

// A webhook stored without a scheme signs as webhooks always did.
func TestEmptySchemeStoredAsDefault(t *testing.T) {
	s := newStore(t)
	w := minimalWebhook("wh_1", t0)
	w.SignatureScheme = ""
	mustCreateWebhook(t, s, w)
	if got := mustGetWebhook(t, s, "wh_1").SignatureScheme; got != rules.DefaultScheme {
		t.Errorf("scheme %q, want %q", got, rules.DefaultScheme)
	}
}

// secretsFixture stores a webhook with every sealed field and an idempotent
// answer holding its secret, and returns the webhook's URL (stored in
// clear: proof that a search of the raw data finds what is there) and the
// plain values that must be found nowhere.
func secretsFixture(t *testing.T, s *DB) (url string, plain map[string]string) {
	t.Helper()
	w := fullWebhook("wh_1", "", t0)
	w.Scope = ScopeAccount
	w.AuthToken = "Bearer plaintext-auth-token-0123456789"
	w.URL = "https://visible.example.com/marker"
	mustCreateWebhook(t, s, w)
	if _, err := s.BeginIdempotent(t.Context(), "k", "fp", t0, t0, t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	body := `{"id":"wh_1","secret":"` + w.Secret + `"}`
	if err := s.CompleteIdempotent(t.Context(), outcome("k", t0, 201, "", []byte(body))); err != nil {
		t.Fatal(err)
	}
	return w.URL, map[string]string{
		"secret":            w.Secret,
		"secret key":        strings.TrimPrefix(w.Secret, secrets.SecretPrefix),
		"previous secret":   w.PreviousSecret,
		"signing key":       w.SigningKey,
		"signing key bytes": strings.TrimPrefix(w.SigningKey, "whsk_")[:20],
		"previous key":      w.PreviousSigningKey,
		"auth token":        w.AuthToken,
		"idempotency body":  body,
		"body's secret key": strings.TrimPrefix(w.Secret, secrets.SecretPrefix)[:20],
	}
}

func checkNoClearText(t *testing.T, raw []byte, url string, plain map[string]string) {
	t.Helper()
	if !bytes.Contains(raw, []byte(url)) {
		t.Fatal("the webhook URL is not in the raw data; the search below proves nothing")
	}
	for what, p := range plain {
		if bytes.Contains(raw, []byte(p)) {
			t.Errorf("the %s is stored in clear text", what)
		}
	}
}

func TestSecretsEncryptedAtRest(t *testing.T) {
	sqliteOnly(t, "reads the SQLite file's bytes (TestSecretsEncryptedInRows covers PostgreSQL)")
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	s := openAt(t, path, testKey)
	url, plain := secretsFixture(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, name := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		b, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	checkNoClearText(t, raw, url, plain)
}

// The stored rows, read raw below the store, hold no secret in clear: on
// PostgreSQL, the same key and the same sealing as on SQLite.
func TestSecretsEncryptedInRows(t *testing.T) {
	loc := newLocation(t)
	s := openAt(t, loc, testKey)
	url, plain := secretsFixture(t, s)
	db := rawDB(t, loc)
	defer db.Close()
	var raw []byte
	for _, q := range []string{
		`SELECT url, COALESCE(auth_token, ''), secret, COALESCE(previous_secret, ''), COALESCE(signing_key, ''), COALESCE(previous_signing_key, ''), headers FROM webhooks`,
		`SELECT key, key, key, key, key, key, body FROM idempotency`,
	} {
		rows, err := db.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			cols := make([][]byte, 7)
			ptrs := make([]any, 7)
			for i := range cols {
				ptrs[i] = &cols[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			raw = append(raw, bytes.Join(cols, []byte{0})...)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	checkNoClearText(t, raw, url, plain)
}

func TestDatabaseFileMode(t *testing.T) {
	sqliteOnly(t, "the SQLite file's mode")
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := openAt(t, path, testKey)
	mustCreateWebhook(t, s, minimalWebhook("wh_1", t0)) // makes the WAL exist
	for _, name := range []string{path, path + "-wal"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(name), fi.Mode().Perm())
		}
	}
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
}

// The writer's settings, as OpenSQLite asks for them: a pragma the driver
// did not apply would go unnoticed otherwise (each costs or saves time,
// not a visible behaviour).
func TestWriterPragmas(t *testing.T) {
	sqliteOnly(t, "SQLite's pragmas")
	s := openAt(t, filepath.Join(t.TempDir(), "hookd.db"), testKey)
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "1", // NORMAL
		"foreign_keys": "1",
		// Savepoints' statement journals in memory, not spilled to a
		// temporary file (sqlite.go): MEMORY.
		"temp_store": "2",
		// The checkpointer's connection checkpoints; the writer only past
		// this many pages (sqlite_checkpoint.go).
		"wal_autocheckpoint": fmt.Sprint(writerCheckpointPages),
	} {
		var got string
		if err := s.writer.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := newLocation(t)
	s := openAt(t, path, testKey)
	if _, err := s.writer.ExecContext(t.Context(),
		`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, latestVersion(s.dialect)+5); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := openLoc(path, testCipher(t, testKey))
	if err == nil || !strings.Contains(err.Error(), "is newer than this hookd") || !strings.Contains(err.Error(), "upgrade hookd") {
		t.Errorf("opening a newer database = %v, want a schema version error", err)
	}
}

// An older database (here: one with no schema at all, as a previous hookd
// version might leave only some steps applied) gets the missing steps.
func TestMigrateFromEmptyFile(t *testing.T) {
	sqliteOnly(t, "an empty SQLite file")
	path := filepath.Join(t.TempDir(), "hookd.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path, testKey)
	if got := appliedMigrations(t, s); len(got) != len(sqliteMigrations) {
		t.Errorf("applied %v, want %d steps", got, len(sqliteMigrations))
	}
	mustCreateWebhook(t, s, minimalWebhook("wh_1", t0))
}

// The path is escaped into a file: URI; characters that mean something in
// a URI must not change which file is opened.
func TestPathWithURICharacters(t *testing.T) {
	sqliteOnly(t, "SQLite file paths")
	dir := filepath.Join(t.TempDir(), "a?b#c %20&d=e")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hookd.db")
	s := openAt(t, path, testKey)
	mustCreateWebhook(t, s, minimalWebhook("wh_1", t0))
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %s: %v", path, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("files created outside %s: %v", dir, entries)
	}
}

func TestOpenRequiresCipher(t *testing.T) {
	if _, err := openLoc(newLocation(t), nil); err == nil {
		t.Error("OpenSQLite with a nil cipher succeeded")
	}
}

// The connection settings the design relies on are really in effect on
// both pools.
func TestConnectionSettings(t *testing.T) {
	sqliteOnly(t, "SQLite's pragmas")
	s := newStore(t)
	for _, c := range []struct {
		pool   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{"writer", s.writer, "journal_mode", "wal"},
		{"writer", s.writer, "foreign_keys", "1"},
		{"writer", s.writer, "busy_timeout", "5000"},
		{"writer", s.writer, "synchronous", "1"}, // NORMAL
		{"writer", s.writer, "query_only", "0"},
		{"reader", s.reader, "journal_mode", "wal"},
		{"reader", s.reader, "busy_timeout", "5000"},
		{"reader", s.reader, "query_only", "1"},
	} {
		var got string
		if err := c.db.QueryRowContext(t.Context(), "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: PRAGMA %s = %s, want %s", c.pool, c.pragma, got, c.want)
		}
	}
	if _, err := s.reader.ExecContext(t.Context(), `DELETE FROM api_keys`); err == nil {
		t.Error("the reader pool accepts writes")
	}
}
