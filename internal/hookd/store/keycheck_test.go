package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

func hasKeyCheck(t *testing.T, path string) bool {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM key_check`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// dropKeyCheck makes the database look like one created before the key
// check record existed (schema version 5 applied, no record).
func dropKeyCheck(t *testing.T, s *DB) {
	t.Helper()
	if _, err := s.writer.ExecContext(t.Context(), `DELETE FROM key_check`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestKeyCheckRefusesAnotherKey(t *testing.T) {
	path := newLocation(t)
	s := openAt(t, path, testKey) // empty: the record is written at once
	if err := s.VerifyKey(t.Context()); err != nil {
		t.Fatalf("VerifyKey: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !hasKeyCheck(t, path) {
		t.Fatal("no key check record in a new database")
	}
	if _, err := openLoc(path, testCipher(t, otherKey)); !errors.Is(err, ErrWrongEncryptionKey) {
		t.Fatalf("open with another key = %v, want ErrWrongEncryptionKey", err)
	}
	openAt(t, path, testKey) // the right key still opens it
}

// A key generated at this start is accepted by an empty database only;
// refusing writes nothing.
func TestKeyCheckNewKey(t *testing.T) {
	path := newLocation(t)
	s, err := openLoc(path, testCipher(t, testKey), WithNewKey())
	if err != nil {
		t.Fatalf("new key, new database: %v", err)
	}
	_ = s.Close()
	// Even with nothing else stored, the record says a key was chosen.
	if _, err := openLoc(path, testCipher(t, otherKey), WithNewKey()); !errors.Is(err, ErrDatabaseHoldsData) {
		t.Fatalf("new key, database with a key check = %v, want ErrDatabaseHoldsData", err)
	}

	// A database from before the record, holding only an API key hash.
	legacy := newLocation(t)
	s = openAt(t, legacy, testKey)
	if err := s.AddAPIKey(t.Context(), "hash", t0); err != nil {
		t.Fatal(err)
	}
	dropKeyCheck(t, s)
	if _, err := openLoc(legacy, testCipher(t, otherKey), WithNewKey()); !errors.Is(err, ErrDatabaseHoldsData) {
		t.Fatalf("new key, legacy database with data = %v, want ErrDatabaseHoldsData", err)
	}
	if hasKeyCheck(t, legacy) {
		t.Error("a refused open wrote a key check record")
	}
}

// A database created before the record gets one written with the key that
// opens its secrets, and refuses a key that does not, writing nothing.
func TestKeyCheckLegacyDatabase(t *testing.T) {
	for _, tc := range []struct {
		name string
		fill func(t *testing.T, s *DB)
	}{
		{"webhook secret", func(t *testing.T, s *DB) { mustCreateWebhook(t, s, minimalWebhook("wh_1", t0)) }},
		{"idempotent response", func(t *testing.T, s *DB) {
			ctx := t.Context()
			if _, err := s.BeginIdempotent(ctx, "k", "fp", t0, t0, t0.AddDate(0, 0, 1)); err != nil {
				t.Fatal(err)
			}
			if err := s.CompleteIdempotent(ctx, outcome("k", t0, 201, "", []byte("body"))); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := newLocation(t)
			s := openAt(t, path, testKey)
			tc.fill(t, s)
			dropKeyCheck(t, s)

			if _, err := openLoc(path, testCipher(t, otherKey)); !errors.Is(err, ErrWrongEncryptionKey) {
				t.Fatalf("legacy database, another key = %v, want ErrWrongEncryptionKey", err)
			}
			if hasKeyCheck(t, path) {
				t.Fatal("a refused open wrote a key check record")
			}
			s = openAt(t, path, testKey)
			_ = s.Close()
			if !hasKeyCheck(t, path) {
				t.Fatal("the right key did not write the key check record")
			}
			if _, err := openLoc(path, testCipher(t, otherKey)); !errors.Is(err, ErrWrongEncryptionKey) {
				t.Fatalf("after the upgrade, another key = %v, want ErrWrongEncryptionKey", err)
			}
		})
	}

	// Nothing sealed (groups only): no key can be wrong, the first one wins.
	path := newLocation(t)
	s := openAt(t, path, testKey)
	mustCreateGroup(t, s, "grp_1", "g", t0)
	dropKeyCheck(t, s)
	openAt(t, path, otherKey).Close()
	if _, err := openLoc(path, testCipher(t, testKey)); !errors.Is(err, ErrWrongEncryptionKey) {
		t.Fatalf("groups-only database adopted otherKey, then testKey = %v, want ErrWrongEncryptionKey", err)
	}
}

// Two processes opening one new database concurrently agree on one record:
// the loser of the race sees the winner's record and, with another key,
// is refused rather than overwriting it. (On SQLite the process lock
// usually refuses the loser first; either refusal keeps the record whole.)
func TestKeyCheckConcurrentOpens(t *testing.T) {
	path := newLocation(t)
	// Created (WAL mode, schema) beforehand: two first opens of a missing
	// file race on switching to WAL, which SQLite answers with SQLITE_BUSY
	// whatever the busy timeout; the key check is what is under test.
	dropKeyCheck(t, openAt(t, path, testKey))
	keys := [][]byte{testKey, otherKey}
	errs := make(chan error, 2)
	for _, k := range keys {
		go func() {
			s, err := openLoc(path, testCipher(t, k))
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	var refused, opened int
	for range keys {
		switch err := <-errs; {
		case err == nil:
			opened++
		case errors.Is(err, ErrWrongEncryptionKey), errors.Is(err, ErrDatabaseInUse):
			refused++
		default:
			t.Fatalf("concurrent open: %v", err)
		}
	}
	if opened != 1 || refused != 1 {
		t.Fatalf("opened %d, refused %d; want exactly one of each", opened, refused)
	}
}

// Versions land out of order (5 before 3): a database that ran 5 still gets
// 3 when a later binary brings it.
func TestMigrationsOutOfOrder(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	step := func(v int, table string) migration {
		return migration{version: v, name: table, stmts: []string{`CREATE TABLE ` + table + ` (x INTEGER)`}}
	}
	ctx := context.Background()
	if err := migrateSteps(ctx, db, []migration{step(1, "a"), step(5, "c")}); err != nil {
		t.Fatal(err)
	}
	if err := migrateSteps(ctx, db, []migration{step(1, "a"), step(5, "c"), step(3, "b")}); err != nil {
		t.Fatalf("a late step 3: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO b (x) VALUES (1)`); err != nil {
		t.Fatalf("step 3 was not applied: %v", err)
	}
	if err := migrateSteps(ctx, db, []migration{step(1, "a"), step(3, "b")}); err == nil {
		t.Fatal("a binary that knows up to 3 opened a database at 5")
	}
}

// Processes starting together on a new PostgreSQL database migrate it
// once, one after another under the advisory lock: without the lock they
// would run the same schema steps at once (CREATE TABLE of a table another
// just made, a version recorded twice) and all but one fail.
func TestConcurrentFirstOpensMigrateOnce(t *testing.T) {
	if !testPostgres() {
		t.Skip("SQLite: one process per database (its lock refuses the others)")
	}
	loc := newLocation(t)
	const processes = 4
	errs := make(chan error, processes)
	start := make(chan struct{})
	cipher := testCipher(t, testKey) // here: t.Fatal must not run in the goroutines
	for range processes {
		go func() {
			<-start
			s, err := openLoc(loc, cipher)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	close(start)
	for range processes {
		if err := <-errs; err != nil {
			t.Errorf("a concurrent first open: %v", err)
		}
	}
	db := rawDB(t, loc)
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(postgresMigrations) {
		t.Errorf("schema_migrations holds %d steps, want every one of the %d", n, len(postgresMigrations))
	}
}
