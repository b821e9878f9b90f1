package pgtest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestDatabase(t *testing.T) {
	var first, second string
	t.Run("a", func(t *testing.T) {
		first, second = Database(t), Database(t)
		if first == second {
			t.Fatalf("two calls gave the same database %s", first)
		}
		a, b := connect(t, first), connect(t, second)
		if _, err := a.Exec(t.Context(), "CREATE TABLE only_in_a (id int)"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := b.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("second database sees the first's table: %d, %v", n, err)
		}
		// Left open on purpose: cleanup must drop the databases anyway.
	})
	if t.Skipped() || t.Failed() {
		return
	}
	// The subtest's cleanup has dropped both, its connections open or not.
	s, err := sharedServer()
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, s.DSN("postgres"))
	for _, dsn := range []string{first, second} {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		var exists bool
		if err := conn.QueryRow(t.Context(), "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", cfg.Database).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Errorf("database %s still exists after its test ended", cfg.Database)
		}
	}
}

// Many parallel tests share one server; each gets its own database.
func TestDatabaseParallel(t *testing.T) {
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			conn := connect(t, Database(t))
			if _, err := conn.Exec(t.Context(), "CREATE TABLE hooks (id int PRIMARY KEY)"); err != nil {
				t.Fatal(err) // would fail if two tests were given one database
			}
		})
	}
}

// recorder is a testing.TB that records Skip and Fatal (and ends the
// goroutine as the real ones do) so that their use can be checked.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper()        {}
func (r *recorder) Name() string   { return "TestRecorder" }
func (r *recorder) Cleanup(func()) {}
func (r *recorder) Skipf(format string, a ...any) {
	r.skipped = fmt.Sprintf(format, a...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.fatal = fmt.Sprintf(format, a...)
	runtime.Goexit()
}
func (r *recorder) Fatal(a ...any) { r.fatal = fmt.Sprint(a...); runtime.Goexit() }

func runDatabase(server func() (*Server, error), require bool) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		database(r, server, require)
	}()
	<-done
	return r
}

func TestDatabaseWithoutBinaries(t *testing.T) {
	t.Setenv(EnvBin, t.TempDir()) // the real lookup, finding nothing
	start := func() (*Server, error) { return Start() }

	r := runDatabase(start, false)
	if r.fatal != "" || !strings.Contains(r.skipped, "apt-get install -y postgresql") {
		t.Errorf("not required: skipped %q, fatal %q; want a skip naming what to install", r.skipped, r.fatal)
	}

	r = runDatabase(start, true)
	if r.skipped != "" || !strings.Contains(r.fatal, "apt-get install -y postgresql") || !strings.Contains(r.fatal, EnvRequire+"=1") {
		t.Errorf("required: skipped %q, fatal %q; want a failure naming what to install and why", r.skipped, r.fatal)
	}

	// Any other start failure is a failure even when not required: a
	// broken install must not pass as a missing one.
	r = runDatabase(func() (*Server, error) { return nil, errors.New("initdb: exit status 1") }, false)
	if r.skipped != "" || r.fatal == "" {
		t.Errorf("broken install: skipped %q, fatal %q; want a failure", r.skipped, r.fatal)
	}
}

func TestDBName(t *testing.T) {
	for _, tc := range []struct {
		test string
		want string
	}{
		{"TestStore/Claim due", "t_teststore_claim_due_7"},
		{"Test__X--Y", "t_test_x_y_7"},
		{strings.Repeat("A", 100), "t_" + strings.Repeat("a", 40) + "_7"},
	} {
		if got := dbName(tc.test, 7); got != tc.want {
			t.Errorf("dbName(%q) = %q, want %q", tc.test, got, tc.want)
		}
	}
	if n := len(dbName(strings.Repeat("x", 500), 1<<62)); n > 63 {
		t.Errorf("name of %d bytes, over PostgreSQL's 63", n)
	}
}
