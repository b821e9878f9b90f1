// Package server assembles hookd: the store, its encryption key, the event
// catalog, the API keys and the HTTP API, for cmd/hookd and for tests that
// run a real hookd in-process.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/console"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/httpapi"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/metrics"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Config is everything `hookd serve` can be told.
type Config struct {
	// DBPath is the database: a SQLite file, or a postgres:// URL of a
	// PostgreSQL database that several hookd processes may share.
	DBPath string
	// APIKey, when set, is the only key the API accepts. When empty the keys
	// stored in the database apply, and a first key is generated if there
	// are none (see Server.GeneratedAPIKey).
	APIKey string
	// EncryptionKey (base64 of 32 bytes) encrypts secrets at rest; required
	// with PostgreSQL. When empty on SQLite the key is read from
	// KeyFilePath(DBPath), and created there (mode 0600) only for a
	// database that holds no data. Either way a key that does not
	// open the database's secrets stops New (see openStore).
	EncryptionKey            string
	CatalogPath              string
	AllowPrivateDestinations bool
	RateLimit                float64
	RateBurst                int
	// AuthFailureLimit and AuthFailureBurst limit failed authentications
	// per client address (httpapi.Config).
	AuthFailureLimit float64
	AuthFailureBurst int
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client, for that limit (httpapi.Config).
	TrustedProxies []netip.Prefix
	// Retention of deliveries and events (default 30 days).
	Retention time.Duration
	// IdempotencyLease is how long an idempotent call's claim on its key
	// holds unless the call renews it (default
	// httpapi.DefaultIdempotencyLease).
	IdempotencyLease time.Duration
	// DeliveryWorkers bounds concurrent delivery attempts (default 128).
	DeliveryWorkers int
	// DeliveryPerWebhook bounds concurrent attempts of one webhook (default
	// half the workers, at most 16).
	DeliveryPerWebhook int
	// AttemptTimeout bounds one delivery attempt (default 15 s).
	AttemptTimeout time.Duration
	// MetricsOwnListener moves GET /metrics off the API listener, where it
	// requires the API key, to the handler ServeMetrics serves without one
	// (--metrics-addr).
	MetricsOwnListener bool
	// DisableConsole turns off the web console, served under /console/ on
	// the API's listener otherwise (--console=false).
	DisableConsole bool
	// ConsoleIdleTimeout ends a console session unused for this long
	// (default 30 minutes).
	ConsoleIdleTimeout time.Duration
	// Jitter replaces the retry schedule's random jitter (tests).
	Jitter  delivery.Jitter
	Version string
	Logger  *slog.Logger
	Clock   clockwork.Clock
}

// Server is a configured hookd.
type Server struct {
	Store   delivery.Store
	Engine  *delivery.Engine
	Catalog *catalog.Catalog
	Metrics *metrics.Metrics
	// GeneratedAPIKey is the key created at this start, "" otherwise. It is
	// shown once and only its hash is stored.
	GeneratedAPIKey string

	db          *store.DB
	console     *console.Console
	handler     http.Handler
	http        *http.Server
	metricsHTTP *http.Server
	log         *slog.Logger
}

// New opens the database and prepares the API; it does not listen yet.
func New(ctx context.Context, cfg Config) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clock := cfg.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if cfg.DBPath == "" {
		return nil, errors.New("the database path is empty: set --db or HOOKD_DB")
	}
	cat := catalog.Default()
	if cfg.CatalogPath != "" {
		var err error
		if cat, err = catalog.Load(cfg.CatalogPath); err != nil {
			return nil, fmt.Errorf("event catalog: %w", err)
		}
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st.SetLogger(log)
	s := &Server{Store: st, Catalog: cat, db: st, log: log}
	s.Metrics = metrics.New(metrics.Config{Stats: st, Clock: clock, Logger: log, Version: cfg.Version})
	apiKeyHash := ""
	if cfg.APIKey != "" {
		apiKeyHash = secrets.HashAPIKey(cfg.APIKey)
	} else if s.GeneratedAPIKey, err = ensureAPIKey(ctx, st, clock); err != nil {
		_ = st.Close()
		return nil, err
	}
	s.Engine = delivery.New(delivery.Config{
		Store: st, Catalog: cat, Clock: clock, Logger: log, Version: cfg.Version,
		Workers: cfg.DeliveryWorkers, PerWebhook: cfg.DeliveryPerWebhook, AttemptTimeout: cfg.AttemptTimeout, AllowPrivateDestinations: cfg.AllowPrivateDestinations,
		Retention: cfg.Retention, Jitter: cfg.Jitter, Observer: s.Metrics, Wakeups: st.Wakeups(),
		IdempotencyTTL: httpapi.DefaultIdempotencyTTL,
	})
	var metricsOnAPI http.Handler
	if !cfg.MetricsOwnListener {
		metricsOnAPI = s.Metrics.Handler()
	}
	api, err := httpapi.New(httpapi.Config{
		Store: st, Engine: s.Engine, Catalog: cat, Clock: clock, Logger: log, Version: cfg.Version,
		AllowPrivateDestinations: cfg.AllowPrivateDestinations, APIKeyHash: apiKeyHash, IdempotencyLease: cfg.IdempotencyLease,
		RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst,
		AuthFailureLimit: cfg.AuthFailureLimit, AuthFailureBurst: cfg.AuthFailureBurst, TrustedProxies: cfg.TrustedProxies,
		Requests: s.Metrics, Metrics: metricsOnAPI, Ready: s.ready, SharedLimits: sharedLimits(st),
	})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	// Turned off, the console's paths say so (not the API's 401 for a
	// request without a key).
	cons := console.Off()
	if !cfg.DisableConsole {
		if s.console, err = console.New(console.Config{
			API: api, Store: st, Clock: clock, Logger: log, IdleTimeout: cfg.ConsoleIdleTimeout,
		}); err != nil {
			_ = st.Close()
			return nil, err
		}
		cons = s.console
	}
	// Split by prefix, not with a ServeMux: a mux would answer unclean
	// API paths (`//`, `../`) itself, with a redirect and an HTML body,
	// where the API answers problem+json. An unclean path under the
	// console (/console/../v1/groups) goes to the API too, which
	// refuses it: the console's own mux would redirect it, out of the
	// console as often as not.
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if (strings.HasPrefix(p, console.Prefix) || p == strings.TrimSuffix(console.Prefix, "/")) && httpapi.CanonicalPath(p) {
			cons.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
	// Built here, not in Serve, so that Shutdown may run concurrently with
	// Serve (and before it) without a race.
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	s.metricsHTTP = &http.Server{
		Handler:           s.Metrics.Listener(), // GET /metrics; problem+json for anything else
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Deliveries stored before a crash or stop are resumed now.
	if err := s.Engine.Start(ctx); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("start the delivery engine: %w", err)
	}
	return s, nil
}

// sharedLimits is where the rate limits keep their buckets: in the
// database when other processes share it, so that N processes allow what
// one does; in memory (nil) when the process is the database's only one.
func sharedLimits(st *store.DB) httpapi.Buckets {
	if st.Postgres() {
		return st
	}
	return nil
}

// ensureAPIKey creates the first API key of a database that has none, and
// returns it; "" when the database has a key (of processes starting
// together on an empty PostgreSQL database, one makes it).
func ensureAPIKey(ctx context.Context, st store.Store, clock clockwork.Clock) (string, error) {
	n, err := st.CountAPIKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("read API keys: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	key := secrets.NewAPIKey()
	added, err := st.AddFirstAPIKey(ctx, secrets.HashAPIKey(key), clock.Now().UTC())
	if err != nil {
		return "", fmt.Errorf("store the generated API key: %w", err)
	}
	if !added {
		return "", nil
	}
	return key, nil
}

// Handler is the HTTP API (and the console), for tests that want it
// without a listener.
func (s *Server) Handler() http.Handler { return s.handler }

// ServeMetrics serves GET /metrics, without an API key, on ln until
// Shutdown: for a listener only the monitoring network reaches.
func (s *Server) ServeMetrics(ln net.Listener) error {
	s.log.Info("serving metrics", "addr", ln.Addr().String())
	err := s.metricsHTTP.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ready is the readiness check: the database answers and the encryption
// key opens its key check record.
func (s *Server) ready(ctx context.Context) error {
	if err := s.db.Ping(ctx); err != nil {
		return fmt.Errorf("the database does not answer: %w", err)
	}
	if err := s.db.VerifyKey(ctx); errors.Is(err, store.ErrWrongEncryptionKey) {
		return errors.New("the encryption key is not verified: it does not open the database's key check record")
	} else if err != nil {
		return fmt.Errorf("the encryption key could not be verified: %w", err)
	}
	return nil
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.log.Info("listening", "addr", ln.Addr().String())
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests, waits for those in flight and for
// running delivery attempts (until ctx ends), and closes the database.
// Deliveries not yet attempted stay stored for the next start.
func (s *Server) Shutdown(ctx context.Context) error {
	var httpErr error
	for _, srv := range []*http.Server{s.http, s.metricsHTTP} {
		if err := srv.Shutdown(ctx); err != nil {
			// Past the grace period: drop the connections still open (a
			// client that opened one and never sent a request keeps it
			// "new" forever).
			httpErr = errors.Join(httpErr, err, srv.Close())
		}
	}
	if s.console != nil {
		s.console.Close() // its recoveries replay through the engine
	}
	engineErr := s.Engine.Stop(ctx)
	return errors.Join(httpErr, engineErr, s.Store.Close())
}
