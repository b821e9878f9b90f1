package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// shared is the test binary's one server, started by the first Database
// call. A failed start is remembered: every later test gets the same skip
// or failure without running initdb again.
var shared struct {
	mu      sync.Mutex
	started bool
	server  *Server
	err     error
}

// sharedServer starts the shared server on first use.
func sharedServer() (*Server, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		shared.server, shared.err = Start()
	}
	return shared.server, shared.err
}

// stopShared stops the shared server if one was started; a later Database
// call would start a new one.
func stopShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	s := shared.server
	shared.started, shared.server, shared.err = false, nil, nil
	if s == nil {
		return nil
	}
	return s.Stop()
}

// Main runs the package's tests and then stops the shared server:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// A server that did not stop cleanly turns a passing run into a failing
// one: it is a leak the next run would trip over.
func Main(m *testing.M) int {
	code := m.Run()
	if err := stopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Database returns the DSN of a new, empty database on the shared server
// (started on first use), dropped WITH (FORCE) when the test ends. Without
// PostgreSQL's server binaries it skips the test, saying what to install,
// unless HOOKD_REQUIRE_POSTGRES=1, when it fails it.
func Database(t testing.TB) string {
	t.Helper()
	return database(t, sharedServer, os.Getenv(EnvRequire) == "1")
}

// dbSeq numbers the databases of this process; with the test's name it
// makes a database name unique on the shared server.
var dbSeq atomic.Int64

// cleanupTimeout bounds dropping a test's database.
const cleanupTimeout = 30 * time.Second

// database is Database with the server and the requirement injected, so
// that the skip and the failure can be tested on a machine that has
// PostgreSQL.
func database(t testing.TB, server func() (*Server, error), require bool) string {
	t.Helper()
	s := serverFor(t, server, require)
	name := dbName(t.Name(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := s.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := s.DropDatabase(ctx, name); err != nil {
			t.Errorf("dropping the test's database: %v", err)
		}
	})
	return s.DSN(name)
}

// dbName is "t_<test name, lowercased, letters and digits>_<seq>", within
// PostgreSQL's 63-byte identifier limit; the name only helps a human
// reading the server's log, the number makes it unique.
func dbName(testName string, seq int64) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	base := strings.TrimSuffix(b.String(), "_")
	if len(base) > 40 {
		base = base[:40]
	}
	return fmt.Sprintf("t_%s_%d", base, seq)
}
