package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
)

// The backends -backend names.
const (
	backendSQLite   = "sqlite"
	backendPostgres = "postgres"
)

// sqliteOneProcess is the reason SQLite has no row with more processes:
// hookd refuses to open a SQLite file another process has open (lock file).
const sqliteOneProcess = "n/a: one process per SQLite file"

// backendResult is one row of the backends table: hookd on one backend
// with some number of processes sharing its database.
type backendResult struct {
	Backend   string      `json:"backend"`
	Processes int         `json:"processes"`
	NA        string      `json:"not_applicable,omitempty"`
	Webhooks  int         `json:"webhooks"`
	Fixed     fixedResult `json:"fixed_rate"`
	// Saturation's own drain is not measured (its backlog is whatever the
	// window left): Drain is, from the same backlog for every row.
	Saturation satResult   `json:"saturation"`
	Drain      drainResult `json:"drain"`
}

// backendsSection is the backends table with what the reader must know to
// read it.
type backendsSection struct {
	Rows []backendResult `json:"rows"`
	// PostgresSettings is how the server ran (durability).
	PostgresSettings string   `json:"postgres_settings,omitempty"`
	Notes            []string `json:"notes,omitempty"`
}

// resolveBackends turns -backend into the list to measure; "" (the
// default) is both where PostgreSQL's binaries are found, else SQLite
// alone with a note. HOOKD_REQUIRE_POSTGRES=1 makes missing binaries an
// error, as in the tests.
func resolveBackends(flag string) (backends []string, note string, err error) {
	switch flag {
	case backendSQLite:
		return []string{backendSQLite}, "", nil
	case backendPostgres:
		return []string{backendPostgres}, "", nil
	case "both":
		return []string{backendSQLite, backendPostgres}, "", nil
	}
	if _, err := pgtest.Binaries(); err != nil {
		if errors.Is(err, pgtest.ErrNoBinaries) && os.Getenv(pgtest.EnvRequire) != "1" {
			return []string{backendSQLite}, fmt.Sprintf("PostgreSQL rows skipped: %v", err), nil
		}
		return nil, "", fmt.Errorf("%w ($%s=1)", err, pgtest.EnvRequire)
	}
	return []string{backendSQLite, backendPostgres}, "", nil
}

// measureBackends runs the fixed-rate, saturation and drain phases with
// cfg.backendWebhooks webhooks on every backend and process count asked,
// every hookd a child process, every phase on a fresh database.
func measureBackends(ctx context.Context, cfg *config, rcv *receiver, log io.Writer) (*backendsSection, error) {
	backends, note, err := resolveBackends(cfg.backend)
	if err != nil {
		return nil, err
	}
	sec := &backendsSection{}
	if note != "" {
		fmt.Fprintln(log, note)
		sec.Notes = append(sec.Notes, note)
	}
	key, err := newEncryptionKey()
	if err != nil {
		return nil, err
	}
	var pg *pgtest.Server
	if slices.Contains(backends, backendPostgres) {
		opts := []pgtest.Option{pgtest.Durable()}
		sec.PostgresSettings = "fsync=on, full_page_writes=on, synchronous_commit=" + cfg.pgSyncCommit
		if cfg.pgSyncCommit != "on" {
			opts = append(opts, pgtest.WithSetting("synchronous_commit", cfg.pgSyncCommit))
		}
		if pg, err = pgtest.Start(opts...); err != nil {
			return nil, err
		}
		defer func() {
			if err := pg.Stop(); err != nil {
				fmt.Fprintln(log, "benchdelivery:", err)
			}
		}()
	}
	// The saturation phase stops when publishing does: each row's drain is
	// measured apart, from the same backlog (drainPhase).
	satCfg := *cfg
	satCfg.drain = 0
	seq := 0
	for _, b := range backends {
		for _, n := range cfg.processes {
			row := backendResult{Backend: b, Processes: n, Webhooks: cfg.backendWebhooks}
			if b == backendSQLite && n > 1 {
				row.NA = sqliteOneProcess
				sec.Rows = append(sec.Rows, row)
				continue
			}
			start := func(ctx context.Context) (*hookd, error) {
				seq++
				return startBackend(ctx, b, n, cfg.workers, key, pg, seq)
			}
			w := cfg.backendWebhooks
			name := backendName(b, n)
			fmt.Fprintf(log, "%s, W=%d: fixed rate %.0f events/s\n", name, w, cfg.rate)
			row.Fixed, err = leastDisturbed(ctx, cfg, log, func(int) (fixedResult, error) {
				var fr fixedResult
				err := withRun(ctx, cfg, rcv, w, start, func(r *run) error {
					quietOrSay(ctx, cfg, log)
					var err error
					fr, err = fixedRate(ctx, cfg, r)
					return err
				})
				return fr, err
			}, func(fr fixedResult) float64 { return others(fr.CPU) })
			if err != nil {
				return nil, fmt.Errorf("%s, fixed rate: %w", name, err)
			}
			fmt.Fprintf(log, "%s, W=%d: saturation, %d publishers\n", name, w, cfg.publishers)
			row.Saturation, err = leastDisturbed(ctx, cfg, log, func(int) (satResult, error) {
				var sr satResult
				err := withRun(ctx, cfg, rcv, w, start, func(r *run) error {
					quietOrSay(ctx, cfg, log)
					r.backlogCap = cfg.backendBacklog
					var err error
					sr, err = saturation(ctx, &satCfg, r, noProfile)
					return err
				})
				return sr, err
			}, func(sr satResult) float64 { return others(sr.WindowCPU) })
			if err != nil {
				return nil, fmt.Errorf("%s, saturation: %w", name, err)
			}
			fmt.Fprintf(log, "%s, W=%d: draining %s deliveries published before the processes start\n",
				name, w, fmtRate(float64(backlogEvents(cfg.backendBacklog, w)*int64(w))))
			row.Drain, err = leastDisturbed(ctx, cfg, log, func(int) (drainResult, error) {
				seq++
				d, err := newDatabase(ctx, b, pg, seq)
				if err != nil {
					return drainResult{}, err
				}
				defer d.drop()
				return drainPhase(ctx, cfg, log, rcv, d, n, key)
			}, func(dr drainResult) float64 { return others(dr.CPU) })
			if err != nil {
				return nil, fmt.Errorf("%s, draining: %w", name, err)
			}
			sec.Rows = append(sec.Rows, row)
		}
	}
	return sec, nil
}

func noProfile() func() { return func() {} }

func backendName(b string, n int) string {
	name := map[string]string{backendSQLite: "SQLite", backendPostgres: "PostgreSQL"}[b]
	if n == 1 {
		return name + ", 1 process"
	}
	return fmt.Sprintf("%s, %d processes", name, n)
}

// database is a fresh database for one phase: a SQLite file in a
// temporary directory, or database bench_<seq> on the PostgreSQL server.
// The directory holds the hookd processes' logs too.
type database struct {
	dsn        string // the SQLite file or the postgres:// URL
	postgres   bool
	dir        string
	postmaster int // the PostgreSQL server's PID, 0 for SQLite
	drop       func()
}

func newDatabase(ctx context.Context, backend string, pg *pgtest.Server, seq int) (*database, error) {
	dir, err := os.MkdirTemp("", "benchdelivery-")
	if err != nil {
		return nil, err
	}
	d := &database{dsn: filepath.Join(dir, "hookd.db"), dir: dir, drop: func() { _ = os.RemoveAll(dir) }}
	if backend == backendPostgres {
		dbName := fmt.Sprintf("bench_%d", seq)
		if err := pg.CreateDatabase(ctx, dbName); err != nil {
			d.drop()
			return nil, err
		}
		d.dsn, d.postgres, d.postmaster = pg.DSN(dbName), true, pg.PID()
		d.drop = func() {
			if err := pg.DropDatabase(context.Background(), dbName); err != nil {
				fmt.Fprintln(os.Stderr, "benchdelivery:", err)
			}
			_ = os.RemoveAll(dir)
		}
	}
	return d, nil
}

// open wraps started hookd processes (their API addresses urls) with a
// client and the probe; stop stops the processes, and drop too.
func (d *database) open(kids []*child, urls []string, drop bool) (*hookd, error) {
	h := newHookd(urls, func() {
		stopChildren(kids)
		if drop {
			d.drop()
		}
	})
	h.watch = &watch{hookd: pids(kids), postmaster: d.postmaster}
	var err error
	if h.probe, err = d.openProbe(); err != nil {
		h.stop()
		return nil, err
	}
	return h, nil
}

// openProbe opens the read-only count on the database.
func (d *database) openProbe() (*probe, error) {
	if d.postgres {
		return openPostgresProbe(d.dsn)
	}
	return openProbe(d.dsn)
}

// startBackend starts n hookd child processes on a fresh database, which
// stopping them drops.
func startBackend(ctx context.Context, backend string, n, workers int, key string, pg *pgtest.Server, seq int) (*hookd, error) {
	d, err := newDatabase(ctx, backend, pg, seq)
	if err != nil {
		return nil, err
	}
	kids, urls, err := startChildren(ctx, d.dsn, n, workers, key, d.dir, serveMode)
	if err != nil {
		d.drop()
		return nil, err
	}
	return d.open(kids, urls, true)
}

// newEncryptionKey is HOOKD_ENCRYPTION_KEY for every process of a run.
func newEncryptionKey() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}
