// Package hookdtest runs a real hookd in-process for tests of other
// packages: a temp SQLite database, a generated API key, and a listener on
// 127.0.0.1 with a kernel-chosen port.
package hookdtest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

// Server is a running hookd.
type Server struct {
	*server.Server
	URL    string // http://127.0.0.1:port
	APIKey string
	Dir    string // holds hookd.db and its key file

	stop func(graceful bool)
}

// Stop shuts hookd down now (it is also stopped when the test ends); a later
// Start WithDir(s.Dir) restarts it on the same database.
func (s *Server) Stop() { s.stop(true) }

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

// WithConfig edits the whole configuration.
func WithConfig(fn func(*server.Config)) Option { return func(o *options) { fn(&o.cfg) } }

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
	ts := &Server{Server: s, URL: "http://" + ln.Addr().String(), APIKey: o.cfg.APIKey, Dir: o.dir}
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
