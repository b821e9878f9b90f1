package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// Test fixtures. Times carry nanoseconds so that a lossy round trip (to
// micro- or milliseconds) shows.
var (
	testKey  = bytes.Repeat([]byte{0x42}, secrets.KeySize)
	otherKey = bytes.Repeat([]byte{0x17}, secrets.KeySize)
	t0       = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)
)

func testCipher(t testing.TB, key []byte) *secrets.Cipher {
	t.Helper()
	c, err := secrets.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The suite runs on SQLite, and on PostgreSQL when HOOKD_TEST_DB=postgres
// (make test runs it both ways): the same tests, so the two backends keep
// one behaviour. Tests of what only one backend has say so (sqliteOnly).
func testPostgres() bool { return pgtest.OnPostgres() }

// newLocation is where a new, empty database is: a file in a temp dir, or
// a new database on the test PostgreSQL server.
func newLocation(t testing.TB) string {
	t.Helper()
	if testPostgres() {
		return pgtest.Database(t)
	}
	return filepath.Join(t.TempDir(), "hookd.db")
}

// openLoc opens the database at loc: a postgres:// URL or a SQLite file.
func openLoc(loc string, c *secrets.Cipher, opts ...OpenOption) (*DB, error) {
	if IsPostgresURL(loc) {
		return OpenPostgres(context.Background(), loc, c, opts...)
	}
	return OpenSQLite(loc, c, opts...)
}

// openAt opens the database at loc and closes it when the test ends.
func openAt(t testing.TB, loc string, key []byte) *DB {
	t.Helper()
	return openWith(t, loc, key)
}

// openWith is openAt with options.
func openWith(t testing.TB, loc string, key []byte, opts ...OpenOption) *DB {
	t.Helper()
	s, err := openLoc(loc, testCipher(t, key), opts...)
	if err != nil {
		t.Fatalf("open %s: %v", loc, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newStore opens a fresh database.
func newStore(t testing.TB) *DB {
	t.Helper()
	return openAt(t, newLocation(t), testKey)
}

// sqliteOnly skips a test of what only the SQLite store has (its file,
// its process lock) when the suite runs on PostgreSQL.
func sqliteOnly(t testing.TB, why string) {
	t.Helper()
	if testPostgres() {
		t.Skip("SQLite only: " + why)
	}
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func ptr[T any](v T) *T { return &v }

// fullWebhook sets every field, nullable ones included.
func fullWebhook(id, groupID string, created time.Time) *Webhook {
	return &Webhook{
		ID:                      id,
		Scope:                   ScopeGroup,
		GroupID:                 groupID,
		Name:                    ptr("orders"),
		Description:             ptr("order events to the ERP"),
		URL:                     "https://erp.example.com/hooks",
		Events:                  []string{"order.created", "order.paid"},
		Active:                  true,
		Status:                  StatusActive,
		DisabledReason:          ptr("was paused"),
		Headers:                 map[string]string{"X-Tenant": "acme", "x-lower": "v"},
		AuthToken:               "Bearer tok_" + id,
		Secret:                  secrets.NewSecret(),
		PreviousSecret:          secrets.NewSecret(),
		SecretVersion:           2,
		SecretRotatedAt:         ptr(created.Add(time.Hour + 7)),
		PreviousSecretExpiresAt: ptr(created.Add(25*time.Hour + 9)),
		DeadLetterStreak:        1,
		CreatedAt:               created,
		UpdatedAt:               created.Add(3),
		SignatureScheme:         rules.SchemeV1a,
		SigningKey:              signing.NewSigningKey(),
		PreviousSigningKey:      signing.NewSigningKey(),
	}
}

// minimalWebhook leaves every nullable field unset.
func minimalWebhook(id string, created time.Time) *Webhook {
	return &Webhook{
		ID:              id,
		Scope:           ScopeAccount,
		URL:             "https://example.com/" + id,
		Events:          []string{},
		Active:          false,
		Status:          StatusInactive,
		Secret:          secrets.NewSecret(),
		SecretVersion:   1,
		CreatedAt:       created,
		UpdatedAt:       created,
		SignatureScheme: rules.SchemeV1,
	}
}

func mustCreateGroup(t testing.TB, s *DB, id, name string, created time.Time) *Group {
	t.Helper()
	g := &Group{ID: id, Name: name, CreatedAt: created, UpdatedAt: created}
	if err := s.CreateGroup(context.Background(), g); err != nil {
		t.Fatalf("CreateGroup %s: %v", id, err)
	}
	return g
}

func mustCreateWebhook(t testing.TB, s *DB, w *Webhook) {
	t.Helper()
	if err := s.CreateWebhook(context.Background(), w); err != nil {
		t.Fatalf("CreateWebhook %s: %v", w.ID, err)
	}
}

func mustGetWebhook(t testing.TB, s *DB, id string) *Webhook {
	t.Helper()
	w, err := s.GetWebhook(context.Background(), id)
	if err != nil {
		t.Fatalf("GetWebhook %s: %v", id, err)
	}
	return w
}

func diff[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func TestContextHonoured(t *testing.T) {
	s := newStore(t)
	mustCreateWebhook(t, s, minimalWebhook("wh_1", t0))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.GetWebhook(ctx, "wh_1"); !errors.Is(err, context.Canceled) {
		t.Errorf("GetWebhook with a canceled context = %v", err)
	}
	if err := s.CreateWebhook(ctx, minimalWebhook("wh_2", t0)); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateWebhook with a canceled context = %v", err)
	}
	if _, err := s.GetWebhook(t.Context(), "wh_2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a canceled create was stored: %v", err)
	}
}

// rawDB is a plain connection to the database at loc, below the store.
func rawDB(t testing.TB, loc string) *sql.DB {
	t.Helper()
	if !IsPostgresURL(loc) {
		db, err := sql.Open("sqlite", loc)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	cfg, _, err := parsePostgresURL(loc)
	if err != nil {
		t.Fatal(err)
	}
	return sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
}

// queryPlan is SQLite's EXPLAIN QUERY PLAN of query, one line per step.
func queryPlan(t *testing.T, q querier, query string, args ...any) []string {
	t.Helper()
	rows, err := q.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
