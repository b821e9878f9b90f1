package main

import (
	"fmt"
	"io"
	"strings"
)

// writeBackends prints the backends table: one row per backend and
// process count, every hookd a child process of the driver, so that the
// CPU columns can tell hookd, PostgreSQL and the driver apart.
func writeBackends(w io.Writer, cfg *config, res *results) {
	sec := res.Backends
	if sec == nil {
		return
	}
	webhooks := cfg.backendWebhooks
	if len(res.Runs) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Backends: hookd as child processes sharing one database, W=%d, %d delivery workers per process, %d publishers spread over the processes\n\n",
		webhooks, res.Workers, cfg.publishers)
	cols := []string{
		"hookd", "deliveries/s, draining", "backlog when draining began", "deliveries/s, saturation", "events accepted/s, saturation",
		fmt.Sprintf("publish→receipt p50 / p99, %.0f events/s", res.Rate),
		"API read p50 / p99: saturation; draining",
		"CPU draining: hookd / PostgreSQL / driver / others", "CPU saturation: hookd / PostgreSQL / driver / others",
		"deliveries per CPU-second of hookd + PostgreSQL, draining",
	}
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
	for _, r := range sec.Rows {
		name := backendName(r.Backend, r.Processes)
		if r.NA != "" {
			cells := []string{name, r.NA}
			for len(cells) < len(cols) {
				cells = append(cells, "–")
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
			continue
		}
		s, d := r.Saturation, r.Drain
		drained := "–"
		if d.Intervals > 0 {
			drained = fmtRate(d.DrainedPerSec)
		}
		perCPU := "–"
		if c := d.CPU; c != nil && c.Hookd+c.Postgres > 0 && d.Intervals > 0 {
			perCPU = fmtRate(d.DrainedPerSec / (c.Hookd + c.Postgres))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join([]string{
			name, drained, fmtRate(float64(d.Backlog)), fmtRate(s.DeliveredPerSec), fmtRate(s.AcceptedPerSec),
			fmtP50P99(r.Fixed.Receipt), fmtP50P99(s.APIWindow) + "; " + fmtP50P99(d.API),
			fmtSplit(d.CPU), fmtSplit(s.WindowCPU), perCPU,
		}, " | "))
	}
	fmt.Fprintln(w)
	notes := append([]string{}, sec.Notes...)
	if sec.PostgresSettings != "" {
		notes = append(notes, "PostgreSQL: Debian's server started for the run (internal/pgtest) on 127.0.0.1, "+sec.PostgresSettings+
			"; a fresh database per phase. SQLite runs in WAL with synchronous=NORMAL, which syncs at checkpoints, not at every commit: "+
			"synchronous_commit=on is the stricter of the two (a committed delivery survives a power loss), -pg-synchronous-commit off the closer match")
	}
	queued := backlogEvents(cfg.backendBacklog, webhooks) * int64(webhooks)
	notes = append(notes,
		fmt.Sprintf("draining: a phase of its own per row, on a fresh database: %s deliveries (%s events, -backend-backlog) are published through the API of one hookd process whose delivery engine is stopped, ", fmtRate(float64(queued)), fmtRate(float64(backlogEvents(cfg.backendBacklog, webhooks))))+
			"which then stops (nothing attempted: checked); the row's processes start held, before they open the database, and are released together; "+
			fmt.Sprintf("from the moment every one listens, total deliveries recorded as succeeded per second across all processes (one count of the shared database), for %s or until nothing is queued, nothing published meanwhile. ", cfg.drain)+
			"Every row so drains from the same backlog, which the saturation window's end did not give (a row that delivers faster ends its window with less queued, and PostgreSQL's rate depends on the backlog); "+
			"\"backlog when draining began\" is what was queued when the count began: the first process to listen may have delivered some before the last one did",
		backlogCheck(sec.Rows),
		fmt.Sprintf("saturation: the window ends once %s deliveries are queued (-backend-backlog), or after %s; the fixed-rate phase asks for %s deliveries/s with no backlog",
			fmtRate(float64(cfg.backendBacklog)), cfg.sat, fmtRate(res.Rate*float64(webhooks))),
		apiReadNote+" (through the first process)",
		"CPU in cores: hookd = the hookd child processes; PostgreSQL = the postmaster and its children (backends included, the durable count's too); "+
			"driver = this process (publishers, receiver, the count); others = the rest of the machine",
		"each process has its own delivery workers: two processes attempt up to twice as many deliveries at once")
	var probes []string
	for _, r := range sec.Rows {
		if r.NA == "" {
			probes = append(probes, fmt.Sprintf("%.1f / %.1f (%s)", r.Saturation.ProbeMeanMS, r.Drain.ProbeMeanMS, backendName(r.Backend, r.Processes)))
		}
	}
	notes = append(notes, fmt.Sprintf("the durable count (one count(*) per %s) took %s ms on average, saturation / draining", cfg.interval, strings.Join(probes, ", ")))
	for _, r := range sec.Rows {
		if r.NA == "" && r.Fixed.Receipt.Missing > 0 {
			notes = append(notes, fmt.Sprintf("%s: at %.0f events/s, %d of %d deliveries were not received within %s of the last publish",
				backendName(r.Backend, r.Processes), res.Rate, r.Fixed.Receipt.Missing, r.Fixed.Receipt.N+r.Fixed.Receipt.Missing, cfg.settle))
		}
	}
	for _, n := range notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	fmt.Fprintln(w)
}

// fmtSplit prints a phase's CPU as hookd / PostgreSQL / driver / others.
func fmtSplit(c *cpuUse) string {
	if c == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f / %.2f / %.2f / %.2f", c.Hookd, c.Postgres, c.Self, c.Others)
}

// backlogCheck says whether every row's drain began from the same backlog
// (within 1 %), and how long the processes took to start once released.
func backlogCheck(rows []backendResult) string {
	lo, hi, spread := backlogSpread(rows)
	var starts []string
	for _, r := range rows {
		if r.NA == "" {
			starts = append(starts, fmt.Sprintf("%.0f ms (%s)", r.Drain.StartMS, backendName(r.Backend, r.Processes)))
		}
	}
	took := "released, the processes listened after " + strings.Join(starts, ", ")
	if spread <= 0.01 {
		return fmt.Sprintf("backlog when draining began: %s to %s, every row within 1 %% of the others; %s", fmtRate(float64(lo)), fmtRate(float64(hi)), took)
	}
	return fmt.Sprintf("**backlog when draining began: %s to %s, %.1f %% apart (more than 1 %%): those rows did not drain from the same backlog (a process slow to start delivered alone meanwhile); run again**; %s",
		fmtRate(float64(lo)), fmtRate(float64(hi)), 100*spread, took)
}
