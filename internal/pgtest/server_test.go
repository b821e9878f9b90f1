package pgtest

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// startServer starts a server of the test's own, stopped at cleanup; it
// skips like Database does when PostgreSQL is not installed.
func startServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	begin := time.Now()
	s, err := Start(opts...)
	if errors.Is(err, ErrNoBinaries) && os.Getenv(EnvRequire) != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("initdb + postgres ready in %s (pid %d, port %d)", time.Since(begin).Round(time.Millisecond), s.PID(), s.Port())
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func TestStartTwoDatabasesAreIsolated(t *testing.T) {
	s := startServer(t)
	ctx := t.Context()
	for _, db := range []string{"alpha", "beta"} {
		if err := s.CreateDatabase(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	alpha, beta := connect(t, s.DSN("alpha")), connect(t, s.DSN("beta"))

	for conn, want := range map[*pgx.Conn]string{alpha: "alpha", beta: "beta"} {
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("current_database() = %q, want %q", got, want)
		}
	}

	if _, err := alpha.Exec(ctx, "CREATE TABLE hooks (id int PRIMARY KEY); INSERT INTO hooks VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := alpha.QueryRow(ctx, "SELECT count(*) FROM hooks").Scan(&n); err != nil || n != 1 {
		t.Fatalf("alpha: count = %d, %v; want 1", n, err)
	}
	_, err := beta.Exec(ctx, "SELECT * FROM hooks")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" { // undefined_table
		t.Fatalf("beta sees alpha's table: err = %v, want undefined_table", err)
	}

	// The same name twice is refused (duplicate_database), not ignored.
	err = s.CreateDatabase(ctx, "alpha")
	if !errors.As(err, &pgErr) || pgErr.Code != "42P04" {
		t.Fatalf("CreateDatabase(alpha) again: %v, want duplicate_database", err)
	}

	// DropDatabase ends beta's open connection rather than failing on it.
	if err := s.DropDatabase(ctx, "beta"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDatabase(ctx, "beta"); err != nil {
		t.Fatalf("beta again after the drop: %v", err)
	}
}

func TestStartSettings(t *testing.T) {
	show := func(t *testing.T, s *Server, name string) string {
		t.Helper()
		var v string
		if err := connect(t, s.DSN("postgres")).QueryRow(t.Context(), "SHOW "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Run("defaults", func(t *testing.T) {
		s := startServer(t, WithSetting("work_mem", "8MB"))
		for name, want := range map[string]string{
			"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
			"max_connections": "200", "listen_addresses": "127.0.0.1", "unix_socket_directories": "",
			"work_mem": "8MB", "server_encoding": "UTF8", "lc_collate": "C",
		} {
			if got := show(t, s, name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if _, err := os.Stat(s.Dir() + "/data/PG_VERSION"); err != nil {
			t.Errorf("data directory: %v", err)
		}
	})
	t.Run("durable, one setting overridden", func(t *testing.T) {
		s := startServer(t, Durable(), WithSetting("synchronous_commit", "off"))
		for name, want := range map[string]string{"fsync": "on", "full_page_writes": "on", "synchronous_commit": "off"} {
			if got := show(t, s, name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
	})
}

func TestStartFailureQuotesTheLog(t *testing.T) {
	if _, err := Binaries(); err != nil && os.Getenv(EnvRequire) != "1" {
		t.Skip(err)
	}
	begin := time.Now()
	_, err := Start(WithSetting("no_such_setting", "1"))
	if err == nil {
		t.Fatal("Start with an unknown setting succeeded")
	}
	if !strings.Contains(err.Error(), `unrecognized configuration parameter "no_such_setting"`) {
		t.Errorf("error does not quote the server's log:\n%v", err)
	}
	if d := time.Since(begin); d > 15*time.Second {
		t.Errorf("failing start took %s: it should end when postgres exits", d)
	}
}

// A port taken between freePort and postgres's bind costs a retry, not the
// start.
func TestStartRetriesATakenPort(t *testing.T) {
	if _, err := Binaries(); err != nil && os.Getenv(EnvRequire) != "1" {
		t.Skip(err)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	takenPort := taken.Addr().(*net.TCPAddr).Port //nolint:forcetypeassert // a "tcp" listener's address is *net.TCPAddr

	var offered []int
	s, err := startWith(func() (int, error) {
		if len(offered) == 0 {
			offered = append(offered, takenPort)
			return takenPort, nil
		}
		p, err := freePort()
		offered = append(offered, p)
		return p, err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	}()
	if len(offered) != 2 || s.Port() != offered[1] {
		t.Errorf("ports offered %v, server on %d; want the taken one, then a second", offered, s.Port())
	}
	connect(t, s.DSN("postgres"))

	// Every port taken: Start gives up after portAttempts, saying why.
	_, err = startWith(func() (int, error) { return takenPort, nil })
	if err == nil || !strings.Contains(err.Error(), "could not bind a free port in 3 attempts") {
		t.Errorf("all ports taken: %v", err)
	}
}

func TestDSN(t *testing.T) {
	s := &Server{port: 54321}
	if got, want := s.DSN("hookd"), "postgres://postgres@127.0.0.1:54321/hookd?sslmode=disable"; got != want {
		t.Errorf("DSN = %q, want %q", got, want)
	}
}
