// Package hookdtest runs a real hookd in-process for tests of other
// packages: a temp SQLite database (or, when HOOKD_TEST_DB=postgres, a new
// database on the test PostgreSQL server of package pgtest), a generated
// API key, and a listener on 127.0.0.1 with a kernel-chosen port.
//
// A package whose tests may run on PostgreSQL stops that server at the end
// with TestMain(m) { os.Exit(pgtest.Main(m)) }.
package hookdtest

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
)

// Server is a running hookd.
type Server struct {
	*server.Server
	URL    string // http://127.0.0.1:port
	APIKey string
	Dir    string // holds hookd.db and its key file

	db   string // the database: the SQLite file, or PostgreSQL's URL
	stop func(graceful bool)
}

// Stop shuts hookd down now (it is also stopped when the test ends); a later
// Start WithDir(s.Dir) restarts it on the same database.
func (s *Server) Stop() { s.stop(true) }

// ExecSQL runs a statement on hookd's database over a connection of its
// own, as an operator's SQL client would (a change the API does not offer,
// such as removing an API key). The statement must mean the same in SQLite
// and PostgreSQL and take no parameters.
func (s *Server) ExecSQL(t testing.TB, stmt string) {
	t.Helper()
	driver, dsn := "sqlite", "file:"+s.db+"?_pragma=busy_timeout(5000)"
	if store.IsPostgresURL(s.db) {
		driver, dsn = "pgx", s.db
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("hookdtest: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatalf("hookdtest: %s: %v", stmt, err)
	}
}

// Crash stops hookd the way a crash would, as far as the database can tell:
// connections are dropped, delivery attempts still running are abandoned
// (whatever they learn is never recorded, their leases stay in the
// database) and the database is closed. A later Start WithDir(s.Dir) must
// resume every unfinished delivery.
func (s *Server) Crash() { s.stop(false) }

type options struct {
	cfg server.Config
	dir string
}

// Option changes how Start configures hookd.
type Option func(*options)

// WithClock injects a clock (clockwork.NewFakeClock() for time travel).
func WithClock(c clockwork.Clock) Option { return func(o *options) { o.cfg.Clock = c } }

// WithDir reuses a data directory, to restart on the same database.
func WithDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithAPIKey configures a fixed API key instead of a generated one.
func WithAPIKey(key string) Option { return func(o *options) { o.cfg.APIKey = key } }

// WithLog sends hookd's log, debug level included, as text to w (a
// testlog.Buffer that the test reads).
func WithLog(w io.Writer) Option {
	return func(o *options) {
		o.cfg.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// WithConfig edits the whole configuration.
func WithConfig(fn func(*server.Config)) Option { return func(o *options) { fn(&o.cfg) } }

// Postgres reports whether the tests run hookd on PostgreSQL
// (HOOKD_TEST_DB=postgres).
func Postgres() bool { return pgtest.OnPostgres() }

// postgresDatabase is the database of the data directory dir: a new one on
// the first start, the same one again on a restart WithDir. Its URL and its
// encryption key (key, or one made for dir) are kept in dir, where SQLite
// would keep the database file and its key.
func postgresDatabase(t testing.TB, dir, key string) (dsn, encKey string) {
	t.Helper()
	urlFile := filepath.Join(dir, "postgres.url")
	b, err := os.ReadFile(urlFile)
	switch {
	case err == nil:
		dsn = string(b)
	case errors.Is(err, fs.ErrNotExist):
		dsn = pgtest.Database(t)
		if err := os.WriteFile(urlFile, []byte(dsn), 0o600); err != nil {
			t.Fatalf("hookdtest: %v", err)
		}
	default:
		t.Fatalf("hookdtest: %v", err)
	}
	if key != "" {
		return dsn, key
	}
	k, err := secrets.LoadOrCreateKeyFile(filepath.Join(dir, "postgres.key"))
	if err != nil {
		t.Fatalf("hookdtest: %v", err)
	}
	return dsn, base64.StdEncoding.EncodeToString(k)
}

// Start runs hookd until the test ends. Private destinations are allowed,
// since test receivers listen on loopback; the rate limit is off.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := &options{cfg: server.Config{AllowPrivateDestinations: true, Version: "test"}}
	for _, opt := range opts {
		opt(o)
	}
	if o.dir == "" {
		o.dir = t.TempDir()
	}
	o.cfg.DBPath = filepath.Join(o.dir, "hookd.db")
	if Postgres() {
		o.cfg.DBPath, o.cfg.EncryptionKey = postgresDatabase(t, o.dir, o.cfg.EncryptionKey)
	}
	s, err := server.New(context.Background(), o.cfg)
	if err != nil {
		t.Fatalf("hookdtest: start hookd: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = s.Shutdown(context.Background())
		t.Fatalf("hookdtest: listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	ts := &Server{Server: s, URL: "http://" + ln.Addr().String(), APIKey: o.cfg.APIKey, Dir: o.dir, db: o.cfg.DBPath}
	if ts.APIKey == "" {
		ts.APIKey = s.GeneratedAPIKey
	}
	stopped := false
	stop := func(graceful bool) {
		if stopped {
			return
		}
		stopped = true
		// Connections a test's client dialed but never used stay "new" on
		// the server, and a graceful shutdown waits 5 s for those.
		if tr, ok := http.DefaultTransport.(*http.Transport); ok {
			tr.CloseIdleConnections()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if !graceful {
			// No grace at all: Shutdown drops what is open and waits for
			// nothing.
			cancel()
		}
		defer cancel()
		if err := s.Shutdown(ctx); graceful && err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("hookdtest: shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("hookdtest: serve: %v", err)
		}
	}
	ts.stop = stop
	t.Cleanup(func() { stop(true) })
	return ts
}
