package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the read-only probe of the store

	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

// eventType is the catalog type every webhook subscribes to and every event
// has.
const eventType = "transfer.created"

// apiKey is the fixed key of the benchmark's hookd (it listens on loopback
// only, for the length of one phase).
const apiKey = "hk_bench_delivery_0123456789abcdef"

// hookd is hookd on a fresh database, with a client of its HTTP API: one
// in-process server (startHookd), or one or more child processes sharing
// one database (startChildren).
type hookd struct {
	url      string   // the first process's API
	urls     []string // every process's API: the publishers spread over them
	api      *http.Client
	probe    *probe
	watch    *watch // the child processes, for the CPU figures; nil in-process
	shutdown func()
}

// startHookd starts hookd in-process, through its public entry point
// (server.New, as cmd/hookd does), on 127.0.0.1:0 with a temporary SQLite
// database. It must be called from a goroutine without profiler labels:
// the engine's and the HTTP server's goroutines inherit the caller's
// labels, and the profile tells hookd from the driver by them.
func startHookd(ctx context.Context, workers int) (*hookd, error) {
	dir, err := os.MkdirTemp("", "benchdelivery-")
	if err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "hookd.db")
	srv, err := server.New(ctx, server.Config{
		DBPath: db, APIKey: apiKey, AllowPrivateDestinations: true,
		DeliveryWorkers: workers, Version: "bench",
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start hookd: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Shutdown(ctx)
		_ = os.RemoveAll(dir)
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	h := newHookd([]string{"http://" + ln.Addr().String()}, func() {
		// Waiting at most a few seconds for attempts in flight: what is
		// still queued is abandoned with the database.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "benchdelivery: hookd serve:", err)
		}
		_ = os.RemoveAll(dir)
	})
	if h.probe, err = openProbe(db); err != nil {
		h.stop()
		return nil, err
	}
	return h, nil
}

func newHookd(urls []string, shutdown func()) *hookd {
	return &hookd{
		url: urls[0], urls: urls, shutdown: shutdown,
		api: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}},
	}
}

// stop closes the probe and the client and shuts hookd down.
func (h *hookd) stop() {
	if h.probe != nil {
		_ = h.probe.close()
	}
	h.api.CloseIdleConnections()
	h.shutdown()
}

// call makes one API request and decodes a 2xx answer into out (when not
// nil).
func (h *hookd) call(ctx context.Context, method, path string, body, out any) error {
	return hookdproc.CallJSON(ctx, h.api, h.url, apiKey, method, path, body, out)
}

// createWebhooks subscribes n account webhooks on receiverURL to eventType
// and returns the signing secret of the first.
func (h *hookd) createWebhooks(ctx context.Context, n int, receiverURL string) (string, error) {
	secret := ""
	for i := range n {
		var wh struct {
			Secret string `json:"secret"`
		}
		err := h.call(ctx, http.MethodPost, "/v1/webhooks/account", map[string]any{
			"name": fmt.Sprintf("bench-%d", i), "url": receiverURL, "events": []string{eventType},
		}, &wh)
		if err != nil {
			return "", fmt.Errorf("create webhook %d: %w", i, err)
		}
		if secret == "" {
			secret = wh.Secret
		}
	}
	return secret, nil
}

// exampleData is the catalog's example payload of eventType.
func (h *hookd) exampleData(ctx context.Context) (json.RawMessage, error) {
	var cat struct {
		Data []struct {
			Type    string          `json:"type"`
			Example json.RawMessage `json:"example"`
		} `json:"data"`
	}
	if err := h.call(ctx, http.MethodGet, "/v1/webhooks/events", nil, &cat); err != nil {
		return nil, err
	}
	for _, et := range cat.Data {
		if et.Type == eventType && len(et.Example) > 0 {
			return et.Example, nil
		}
	}
	return nil, fmt.Errorf("the catalog has no example of %s", eventType)
}

// probe reads the store's database read-only, on its own connection, to
// count what hookd has durably recorded. It is the one place that knows
// the store's schema (table deliveries and attempts): when the schema
// changes, change the queries here.
type probe struct {
	db        *sql.DB
	succeeded string // the count's query, in the database's placeholders
}

const countSucceeded = `SELECT count(*) FROM deliveries WHERE status = `

// openProbe opens the SQLite file at path read-only.
func openProbe(path string) (*probe, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	q := url.Values{"mode": {"ro"}, "_pragma": {"busy_timeout(5000)", "query_only(1)"}}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: abs}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &probe{db: db, succeeded: countSucceeded + "?"}, nil
}

// openPostgresProbe opens one connection to the PostgreSQL database at dsn,
// in read-only transactions. Its reads cost the server CPU, which the
// report counts as PostgreSQL's.
func openPostgresProbe(dsn string) (*probe, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	return &probe{db: db, succeeded: countSucceeded + "$1"}, nil
}

func (p *probe) close() error { return p.db.Close() }

// succeeded counts the deliveries recorded as succeeded.
func (p *probe) countSucceeded(ctx context.Context) (int64, error) {
	var n int64
	err := p.db.QueryRowContext(ctx, p.succeeded, store.DeliverySucceeded).Scan(&n)
	return n, err
}

// countDeliveries counts the deliveries, whatever their status.
func (p *probe) countDeliveries(ctx context.Context) (int64, error) {
	var n int64
	err := p.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries`).Scan(&n)
	return n, err
}

// firstAttempt is when hookd started the first attempt of a delivery of an
// event, as it recorded it (wall clock).
type firstAttempt struct {
	EventID   string
	StartedAt time.Time
}

// firstAttempts lists the first attempt of every delivery.
func (p *probe) firstAttempts(ctx context.Context) ([]firstAttempt, error) {
	rows, err := p.db.QueryContext(ctx, `SELECT d.event_id, a.started_at FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.number = 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []firstAttempt
	for rows.Next() {
		var fa firstAttempt
		var nanos int64
		if err := rows.Scan(&fa.EventID, &nanos); err != nil {
			return nil, err
		}
		fa.StartedAt = time.Unix(0, nanos)
		out = append(out, fa)
	}
	return out, rows.Err()
}
