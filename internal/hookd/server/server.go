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
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/httpapi"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Config is everything `hookd serve` can be told.
type Config struct {
	DBPath string
	// APIKey, when set, is the only key the API accepts. When empty the keys
	// stored in the database apply, and a first key is generated if there
	// are none (see Server.GeneratedAPIKey).
	APIKey string
	// EncryptionKey (base64 of 32 bytes) encrypts secrets at rest. When empty
	// the key is read from, or created in, DBPath + ".key" with mode 0600.
	EncryptionKey            string
	CatalogPath              string
	AllowPrivateDestinations bool
	RateLimit                float64
	RateBurst                int
	// Retention of deliveries and events (default 30 days).
	Retention time.Duration
	// DeliveryWorkers bounds concurrent delivery attempts (default 8).
	DeliveryWorkers int
	// DeliveryPerWebhook bounds concurrent attempts of one webhook (default
	// half the workers).
	DeliveryPerWebhook int
	// AttemptTimeout bounds one delivery attempt (default 15 s).
	AttemptTimeout time.Duration
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
	// GeneratedAPIKey is the key created at this start, "" otherwise. It is
	// shown once and only its hash is stored.
	GeneratedAPIKey string

	handler http.Handler
	http    *http.Server
	log     *slog.Logger
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
	key, err := encryptionKey(cfg)
	if err != nil {
		return nil, err
	}
	c, err := secrets.NewCipher(key)
	if err != nil {
		return nil, err
	}
	st, err := store.OpenSQLite(cfg.DBPath, c)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", cfg.DBPath, err)
	}
	st.SetLogger(log)
	s := &Server{Store: st, Catalog: cat, log: log}
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
		Retention: cfg.Retention, Jitter: cfg.Jitter,
	})
	api, err := httpapi.New(httpapi.Config{
		Store: st, Engine: s.Engine, Catalog: cat, Clock: clock, Logger: log, Version: cfg.Version,
		AllowPrivateDestinations: cfg.AllowPrivateDestinations, APIKeyHash: apiKeyHash,
		RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst,
	})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	s.handler = api
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
	// Deliveries stored before a crash or stop are resumed now.
	if err := s.Engine.Start(ctx); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("start the delivery engine: %w", err)
	}
	return s, nil
}

func encryptionKey(cfg Config) ([]byte, error) {
	if cfg.EncryptionKey != "" {
		key, err := secrets.ParseKey(cfg.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("HOOKD_ENCRYPTION_KEY: %w", err)
		}
		return key, nil
	}
	return secrets.LoadOrCreateKeyFile(cfg.DBPath + ".key")
}

// ensureAPIKey creates the first API key of a database that has none.
func ensureAPIKey(ctx context.Context, st store.Store, clock clockwork.Clock) (string, error) {
	n, err := st.CountAPIKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("read API keys: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	key := secrets.NewAPIKey()
	if err := st.AddAPIKey(ctx, secrets.HashAPIKey(key), clock.Now().UTC()); err != nil {
		return "", fmt.Errorf("store the generated API key: %w", err)
	}
	return key, nil
}

// Handler is the HTTP API, for tests that want it without a listener.
func (s *Server) Handler() http.Handler { return s.handler }

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
	httpErr := s.http.Shutdown(ctx)
	if httpErr != nil {
		// Past the grace period: drop the connections still open (a client
		// that opened one and never sent a request keeps it "new" forever).
		httpErr = errors.Join(httpErr, s.http.Close())
	}
	engineErr := s.Engine.Stop(ctx)
	return errors.Join(httpErr, engineErr, s.Store.Close())
}
