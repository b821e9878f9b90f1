package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"time"

	"github.com/hookd/terraform-provider-hookd/scripts/internal/num"
)

// fixedResult is the fixed-rate phase of one W.
type fixedResult struct {
	Events       int     `json:"events"`
	Late         int     `json:"late_publishes"` // could not start on schedule
	Receipt      latency `json:"publish_to_receipt"`
	FirstAttempt latency `json:"publish_to_first_attempt"`
	CPU          *cpuUse `json:"cpu,omitempty"` // while publishing
}

// fixedRate publishes at cfg.rate events/s: first cfg.warmup (ignored), then
// cfg.fixed measured; it then waits up to cfg.settle for the deliveries of
// the measured events, and measures from each publish's return to the
// receiver's receipt and to hookd's recorded start of the first attempt.
// A delivery not received (or not attempted) by then counts as slower than
// any measured one.
func fixedRate(ctx context.Context, cfg *config, r *run) (fixedResult, error) {
	// The warm-up's deliveries are waited for (up to cfg.settle), so that
	// the measured events do not queue behind them.
	warm := &ledger{}
	atRate(ctx, r.pub, warm, cfg.rate, cfg.warmup)
	awaitReceipts(ctx, r.rcv, warm.returnedAt(), r.webhooks, cfg.settle)
	l := &ledger{}
	meter := startCPU(r.h.watch)
	late := atRate(ctx, r.pub, l, cfg.rate, cfg.fixed)
	cpu := meter.stop()
	if err := l.failed(); err != nil {
		return fixedResult{}, err
	}
	returned := l.returnedAt()
	want := len(returned) * r.webhooks
	got := awaitReceipts(ctx, r.rcv, returned, r.webhooks, cfg.settle)
	res := fixedResult{Events: len(returned), Late: late, CPU: cpu}
	lat := make([]time.Duration, 0, len(got))
	for _, rc := range got {
		lat = append(lat, rc.At.Sub(returned[rc.EventID]))
	}
	res.Receipt = summarize(lat, want-len(lat))

	// An attempt is recorded after its response: give the last ones received
	// a moment to be stored.
	var firsts []firstAttempt
	for deadline := time.Now().Add(time.Second); ; {
		var err error
		if firsts, err = r.h.probe.firstAttempts(ctx); err != nil {
			return res, fmt.Errorf("read first attempts: %w", err)
		}
		if countFor(firsts, returned) >= len(got) || time.Now().After(deadline) {
			break
		}
		sleepUntil(ctx, time.Now().Add(20*time.Millisecond))
	}
	lat = lat[:0]
	for _, fa := range firsts {
		if t, ok := returned[fa.EventID]; ok {
			lat = append(lat, fa.StartedAt.Sub(t))
		}
	}
	res.FirstAttempt = summarize(lat, want-len(lat))
	return res, nil
}

// awaitReceipts collects the receipts of the deliveries of these events
// until there are webhooks of each, or until wait has passed; receipts of
// other events are dropped.
func awaitReceipts(ctx context.Context, rcv *receiver, events map[string]time.Time, webhooks int, wait time.Duration) []receipt {
	want := len(events) * webhooks
	var got []receipt
	for deadline := time.Now().Add(wait); ; {
		for _, rc := range rcv.take() {
			if _, ok := events[rc.EventID]; ok {
				got = append(got, rc)
			}
		}
		if len(got) >= want || !time.Now().Before(deadline) || ctx.Err() != nil {
			return got
		}
		sleepUntil(ctx, time.Now().Add(20*time.Millisecond))
	}
}

func countFor(firsts []firstAttempt, events map[string]time.Time) int {
	n := 0
	for _, fa := range firsts {
		if _, ok := events[fa.EventID]; ok {
			n++
		}
	}
	return n
}

// satResult is the saturation phase of one W.
type satResult struct {
	Publishers int `json:"publishers"`
	// Medians of the per-interval rates over the window.
	AcceptedPerSec  float64 `json:"events_accepted_per_s"`
	DeliveredPerSec float64 `json:"deliveries_per_s"`
	DrainedPerSec   float64 `json:"deliveries_per_s_draining"`
	DrainIntervals  int     `json:"drain_intervals"`
	BacklogAtEnd    int64   `json:"backlog_at_window_end"`
	Receipt         latency `json:"publish_to_receipt"`
	// ReceivedPerSec cross-checks DeliveredPerSec: requests the receiver
	// got during the window, whether or not hookd recorded them yet.
	ReceivedPerSec float64 `json:"received_per_s"`
	// APIWindow and APIDrain are the latencies of API reads made during
	// the window and while draining (publisher.apiReads).
	APIWindow        latency   `json:"api_read_saturation"`
	APIDrain         latency   `json:"api_read_draining"`
	ProbeMeanMS      float64   `json:"probe_mean_ms"` // cost of one durable count
	WindowCPU        *cpuUse   `json:"window_cpu,omitempty"`
	DrainCPU         *cpuUse   `json:"drain_cpu,omitempty"`
	try              int       // of leastDisturbed, to keep its profile
	AcceptedSamples  []float64 `json:"accepted_per_s_samples"`
	DeliveredSamples []float64 `json:"deliveries_per_s_samples"`
}

// sample is one reading of the counters.
type tick struct {
	at        time.Time
	accepted  int64 // events
	succeeded int64 // deliveries, durable
	took      time.Duration
}

// saturation runs cfg.publishers publishers flat out: cfg.warmup, then the
// measured window of cfg.sat (or less: once the backlog has reached
// r.backlogCap, after two intervals at least), then stops publishing and
// keeps counting for cfg.drain (none when 0: the backends table measures
// its drains apart, drainPhase) while the backlog drains. Rates are medians over intervals of
// cfg.interval: events accepted, and deliveries recorded as succeeded in
// the store (read-only probe). The latency is that of the deliveries the
// receiver got during the window, from the publish call's return: when
// publishing outruns delivery the backlog grows, and so does this latency,
// with the window's length.
func saturation(ctx context.Context, cfg *config, r *run, profile func() func()) (satResult, error) {
	res := satResult{Publishers: cfg.publishers}
	l := &ledger{}
	stop := make(chan struct{})
	pubDone := make(chan struct{})
	go pprof.Do(ctx, driverLabels, func(ctx context.Context) {
		defer close(pubDone)
		flatOut(ctx, r.pub, l, cfg.publishers, stop)
	})
	// The probe runs under the driver's labels too: its SQLite reads are
	// the measurement's cost, not hookd's.
	read := func() (t tick, err error) {
		pprof.Do(ctx, driverLabels, func(ctx context.Context) {
			l.mu.Lock()
			n := int64(len(l.events))
			l.mu.Unlock()
			start := time.Now()
			var s int64
			s, err = r.h.probe.countSucceeded(ctx)
			t = tick{at: start, accepted: n, succeeded: s, took: time.Since(start)}
		})
		return t, err
	}
	base, err := read()
	if err != nil {
		return res, err
	}
	sleepUntil(ctx, base.at.Add(cfg.warmup))
	_ = r.rcv.take()
	endProfile := func() {}
	if !cfg.drainOnly {
		endProfile = profile()
	}
	meter := startCPU(r.h.watch)
	reads := startAPIReads(ctx, r.pub)
	var window, drain []tick
	t, err := read()
	if err != nil {
		endProfile()
		return res, err
	}
	window = append(window, t)
	for end := t.at.Add(cfg.sat); ; {
		sleepUntil(ctx, window[len(window)-1].at.Add(cfg.interval))
		if t, err = read(); err != nil {
			break
		}
		window = append(window, t)
		full := r.backlogCap > 0 && len(window) > 2 && t.accepted*int64(r.webhooks)-t.succeeded >= r.backlogCap
		if !t.at.Before(end) || full || ctx.Err() != nil {
			break
		}
	}
	receipts := r.rcv.take()
	res.WindowCPU = meter.stop()
	windowReads, readErr := reads.stop()
	close(stop)
	<-pubDone
	if cfg.drainOnly {
		endProfile = profile()
	}
	var drainReads []time.Duration
	var drainReadErr error
	if cfg.drain > 0 {
		meter = startCPU(r.h.watch)
		reads = startAPIReads(ctx, r.pub)
		if err == nil {
			drain = append(drain, window[len(window)-1])
			for end := time.Now().Add(cfg.drain); time.Now().Before(end) && ctx.Err() == nil; {
				sleepUntil(ctx, drain[len(drain)-1].at.Add(cfg.interval))
				if t, err = read(); err != nil {
					break
				}
				drain = append(drain, t)
			}
		}
		res.DrainCPU = meter.stop()
		drainReads, drainReadErr = reads.stop()
	}
	endProfile()
	if err != nil {
		return res, fmt.Errorf("count deliveries: %w", err)
	}
	if err := errors.Join(readErr, drainReadErr); err != nil {
		return res, err
	}
	res.APIWindow, res.APIDrain = summarize(windowReads, 0), summarize(drainReads, 0)
	if err := l.failed(); err != nil {
		return res, err
	}

	w := int64(r.webhooks)
	for i := 1; i < len(window); i++ {
		a, b := window[i-1], window[i]
		secs := b.at.Sub(a.at).Seconds()
		res.AcceptedSamples = append(res.AcceptedSamples, float64(b.accepted-a.accepted)/secs)
		res.DeliveredSamples = append(res.DeliveredSamples, float64(b.succeeded-a.succeeded)/secs)
	}
	res.AcceptedPerSec, res.DeliveredPerSec = num.Median(res.AcceptedSamples), num.Median(res.DeliveredSamples)
	last := window[len(window)-1]
	res.BacklogAtEnd = last.accepted*w - last.succeeded
	// Draining: only intervals that ended with work still queued, so that
	// the engine was never idle within them.
	drained := drainRates(drain, w)
	res.DrainedPerSec, res.DrainIntervals = num.Median(drained), len(drained)

	var took time.Duration
	for _, t := range append(window, drain...) {
		took += t.took
	}
	res.ProbeMeanMS = float64(took.Microseconds()) / 1000 / float64(len(window)+len(drain))

	returned := l.returnedAt()
	var lat []time.Duration
	for _, rc := range receipts {
		if t, ok := returned[rc.EventID]; ok {
			lat = append(lat, rc.At.Sub(t))
		}
	}
	res.Receipt = summarize(lat, 0)
	res.ReceivedPerSec = float64(len(receipts)) / window[len(window)-1].at.Sub(window[0].at).Seconds()
	return res, nil
}

// apiReadRun is publisher.apiReads running in the background.
type apiReadRun struct {
	quit chan struct{}
	done chan struct{}
	lats []time.Duration
	err  error
}

// startAPIReads starts the API reads, under the driver's labels (their
// client side is the measurement's cost, not hookd's).
func startAPIReads(ctx context.Context, p *publisher) *apiReadRun {
	a := &apiReadRun{quit: make(chan struct{}), done: make(chan struct{})}
	go pprof.Do(ctx, driverLabels, func(ctx context.Context) {
		defer close(a.done)
		a.lats, a.err = p.apiReads(ctx, a.quit)
	})
	return a
}

// stop ends the reads and returns their latencies.
func (a *apiReadRun) stop() ([]time.Duration, error) {
	close(a.quit)
	<-a.done
	return a.lats, a.err
}

func sleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
