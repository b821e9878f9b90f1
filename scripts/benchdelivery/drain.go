package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/terraform-provider-hookd/scripts/internal/num"
)

// drainResult is the drain phase of one backends row: its hookd processes
// start together on a backlog published before any of them ran, and
// deliver it with nothing published meanwhile. Every row starts from the
// same backlog, which the saturation window's end does not give: a row
// that delivers faster ends its window with less queued, and PostgreSQL's
// rate depends on the backlog.
type drainResult struct {
	// Queued is what was published before the processes started:
	// -backend-backlog deliveries, rounded up to whole events.
	Queued int64 `json:"queued"`
	// Backlog is what was still queued once every process listened, when
	// the count began: the first to listen may have delivered a little.
	Backlog int64 `json:"backlog_when_draining_began"`
	// StartMS is from the release of the processes to the last one
	// listening (each opens the database then).
	StartMS float64 `json:"start_ms"`
	// DrainedPerSec is the median of the intervals that ended with work
	// still queued (drainRates).
	DrainedPerSec float64   `json:"deliveries_per_s"`
	Intervals     int       `json:"intervals"`
	Samples       []float64 `json:"deliveries_per_s_samples"`
	API           latency   `json:"api_read"`
	CPU           *cpuUse   `json:"cpu,omitempty"`
	ProbeMeanMS   float64   `json:"probe_mean_ms"`
}

// drainPhase measures one backends row's drain on the fresh database d:
//
//  1. one hookd process in loadMode (its delivery engine stopped) gets
//     the webhooks and the backlog through the API, POST /v1/events as
//     at saturation, and stops; nothing is attempted (checked: no
//     delivery succeeded, none reached the receiver);
//  2. the row's n processes start held, before they open the database,
//     and are released together;
//  3. once every one listens, the succeeded deliveries are counted every
//     cfg.interval for cfg.drain, or until nothing is queued.
func drainPhase(ctx context.Context, cfg *config, log io.Writer, rcv *receiver, d *database, n int, key string) (drainResult, error) {
	var res drainResult
	kids, urls, err := startChildren(ctx, d.dsn, 1, cfg.workers, key, d.dir, loadMode)
	if err != nil {
		return res, fmt.Errorf("load: %w", err)
	}
	loader, err := d.open(kids, urls, false)
	if err != nil {
		return res, fmt.Errorf("load: %w", err)
	}
	events, err := loadBacklog(ctx, cfg, loader, rcv)
	loader.stop()
	if err != nil {
		return res, fmt.Errorf("load: %w", err)
	}
	w := int64(cfg.backendWebhooks)
	res.Queued = events * w

	kids, _, err = startChildren(ctx, d.dsn, n, cfg.workers, key, d.dir, holdMode)
	if err != nil {
		return res, err
	}
	pr, err := d.openProbe()
	if err != nil {
		stopChildren(kids)
		return res, err
	}
	quietOrSay(ctx, cfg, log)
	released := time.Now()
	if urls, err = releaseChildren(ctx, kids); err != nil {
		_ = pr.close()
		stopChildren(kids)
		return res, err
	}
	res.StartMS = float64(time.Since(released).Microseconds()) / 1000
	h := newHookd(urls, func() { stopChildren(kids) })
	h.watch, h.probe = &watch{hookd: pids(kids), postmaster: d.postmaster}, pr
	defer h.stop()
	pub, err := newPublisher(h, json.RawMessage(`{}`), 4) // for the API reads only
	if err != nil {
		return res, err
	}
	defer pub.close()

	read := func() (t tick, err error) {
		pprof.Do(ctx, driverLabels, func(ctx context.Context) {
			start := time.Now()
			var s int64
			s, err = pr.countSucceeded(ctx)
			t = tick{at: start, accepted: events, succeeded: s, took: time.Since(start)}
		})
		return t, err
	}
	meter := startCPU(h.watch)
	reads := startAPIReads(ctx, pub)
	t, err := read()
	ticks := []tick{t}
	for end := t.at.Add(cfg.drain); err == nil; {
		sleepUntil(ctx, ticks[len(ticks)-1].at.Add(cfg.interval))
		if t, err = read(); err != nil {
			break
		}
		ticks = append(ticks, t)
		if t.accepted*w-t.succeeded <= 0 || !t.at.Before(end) || ctx.Err() != nil {
			break
		}
	}
	res.CPU = meter.stop()
	lats, readErr := reads.stop()
	_ = rcv.take()
	if err != nil {
		return res, fmt.Errorf("count deliveries: %w", err)
	}
	if readErr != nil {
		return res, readErr
	}
	res.Backlog = res.Queued - ticks[0].succeeded
	res.API = summarize(lats, 0)
	res.Samples = drainRates(ticks, w)
	res.DrainedPerSec, res.Intervals = num.Median(res.Samples), len(res.Samples)
	var took time.Duration
	for _, t := range ticks {
		took += t.took
	}
	res.ProbeMeanMS = float64(took.Microseconds()) / 1000 / float64(len(ticks))
	return res, nil
}

// backlogEvents is how many events of w deliveries each make a backlog
// of at least backlog deliveries.
func backlogEvents(backlog int64, w int) int64 {
	return (backlog + int64(w) - 1) / int64(w)
}

// loadBacklog creates cfg.backendWebhooks webhooks on the receiver through
// h (a loadMode process, whose engine is stopped) and publishes the events
// of -backend-backlog deliveries with cfg.publishers concurrent
// publishers; it returns the number of events, once it has checked that
// every delivery is stored and none was attempted.
func loadBacklog(ctx context.Context, cfg *config, h *hookd, rcv *receiver) (int64, error) {
	w := cfg.backendWebhooks
	if _, err := h.createWebhooks(ctx, w, rcv.url); err != nil {
		return 0, err
	}
	data, err := h.exampleData(ctx)
	if err != nil {
		return 0, err
	}
	pub, err := newPublisher(h, data, cfg.publishers)
	if err != nil {
		return 0, err
	}
	defer pub.close()
	_ = rcv.take()
	events := backlogEvents(cfg.backendBacklog, w)
	l := &ledger{}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range cfg.publishers {
		wg.Add(1)
		go pprof.Do(ctx, driverLabels, func(ctx context.Context) {
			defer wg.Done()
			for next.Add(1) <= events && ctx.Err() == nil {
				l.add(pub.publish(ctx))
			}
		})
	}
	wg.Wait()
	if err := l.failed(); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	stored, err := h.probe.countDeliveries(ctx)
	if err != nil {
		return 0, err
	}
	succeeded, err := h.probe.countSucceeded(ctx)
	if err != nil {
		return 0, err
	}
	got := rcv.take()
	if want := events * int64(w); stored != want || succeeded != 0 || len(got) != 0 {
		return 0, fmt.Errorf("%d events published: %d deliveries stored (want %d), %d succeeded and %d received (want none: the loading process must not deliver)",
			events, stored, want, succeeded, len(got))
	}
	return events, nil
}

// drainRates are the deliveries per second of each interval between
// ticks (w deliveries per event accepted) up to the first that ended with
// nothing queued, which is left out: the engine may have been idle in it.
func drainRates(ticks []tick, w int64) []float64 {
	var rates []float64
	for i := 1; i < len(ticks); i++ {
		a, b := ticks[i-1], ticks[i]
		if b.accepted*w-b.succeeded <= 0 {
			break
		}
		rates = append(rates, float64(b.succeeded-a.succeeded)/b.at.Sub(a.at).Seconds())
	}
	return rates
}

// backlogSpread is the lowest and highest backlog the rows' drains began
// from, and how far apart they are, as a fraction of the highest (0 with
// fewer than two rows).
func backlogSpread(rows []backendResult) (lo, hi int64, spread float64) {
	n := 0
	for _, r := range rows {
		if r.NA != "" {
			continue
		}
		b := r.Drain.Backlog
		if n == 0 || b < lo {
			lo = b
		}
		if n == 0 || b > hi {
			hi = b
		}
		n++
	}
	if n < 2 || hi <= 0 {
		return lo, hi, 0
	}
	return lo, hi, float64(hi-lo) / float64(hi)
}
