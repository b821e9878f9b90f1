package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

// config is one run's scale.
type config struct {
	procs, webhooks, events int
	publishers              int
	maxDelay                time.Duration // the receiver's longest answer delay
	killAt                  float64       // share of the events published before the kill
	killed                  int           // index of the process killed
	quiet                   int           // single events of the wake-up phase
	drainTimeout            time.Duration
	attemptTimeout          time.Duration // hookd's --attempt-timeout
	goCmd, src              string
	keep                    bool
}

// The ids of the events published: those of the load, and those of the
// wake-up phase after it.
const (
	loadPrefix = "evt_load_"
	wakePrefix = "evt_wake_"
)

// killGrace: the receiver's view of the kill counts the killed process's
// requests answered less than this before it, as well as those in the
// handler: hookd records an attempt after the answer, and under load that
// takes hundreds of milliseconds. It is only reported; the checks use the
// leases the process held (report.stuck).
const killGrace = time.Second

// publishRetry bounds the retries of one publish.
const publishRetry = 60 * time.Second

// restartAfter: the killed process is started again this long after the
// last lease live at the kill has run out, so that the others, which
// claim as a lease runs out or at their next poll (1 s), take over what
// it held.
const restartAfter = 3 * time.Second

// killWait is how long the kill waits for the process to have an attempt
// in the receiver's handler.
const killWait = 5 * time.Second

// run is the whole scenario: PostgreSQL, hookd built and started, the
// load, the kill, the drain, the checks. The report is filled as far as
// the run got; err is the first failure (pgtest.ErrNoBinaries when
// PostgreSQL is missing).
func run(ctx context.Context, cfg config, progress io.Writer) (*report, error) {
	rep := &report{cfg: cfg}
	logf := func(format string, args ...any) { fmt.Fprintf(progress, "multiproc: "+format+"\n", args...) }

	work, err := os.MkdirTemp("", "hookd-multiproc-")
	if err != nil {
		return rep, err
	}
	if cfg.keep {
		logf("keeping %s", work)
	} else {
		defer os.RemoveAll(work)
	}
	src, err := filepath.Abs(cfg.src)
	if err != nil {
		return rep, err
	}
	began := time.Now()
	bin := filepath.Join(work, "hookd")
	if err := hookdproc.GoBuild(ctx, cfg.goCmd, src, "./cmd/hookd", bin); err != nil {
		return rep, err
	}
	logf("built hookd in %s", time.Since(began).Round(100*time.Millisecond))

	pg, err := pgtest.Start()
	if err != nil {
		return rep, err
	}
	defer func() {
		if err := pg.Stop(); err != nil {
			logf("stopping PostgreSQL: %v", err)
		}
	}()
	if err := pg.CreateDatabase(ctx, "hookd"); err != nil {
		return rep, err
	}
	dsn := pg.DSN("hookd")
	logf("PostgreSQL (pid %d) on 127.0.0.1:%d", pg.PID(), pg.Port())

	rc := newReceiver(cfg.maxDelay)
	url, stopReceiver, err := rc.serve()
	if err != nil {
		return rep, err
	}
	defer stopReceiver()
	_, portStr, _ := net.SplitHostPort(url[len("http://"):])
	port, _ := strconv.Atoi(portStr)

	cl, err := startCluster(ctx, bin, work, dsn, cfg.procs, cfg.attemptTimeout)
	if err != nil {
		return rep, err
	}
	defer cl.stop()
	rc.attribute(cl.whoSent(port))
	for i, h := range cl.procs {
		logf("hookd %c (pid %d) on %s", 'A'+i, h.PID(), h.Addr)
	}
	if err := cl.createWebhooks(ctx, cfg.webhooks, url, rc); err != nil {
		return rep, err
	}
	data, err := cl.exampleData(ctx)
	if err != nil {
		return rep, err
	}

	p, err := openProbe(ctx, dsn)
	if err != nil {
		return rep, err
	}
	defer p.close()
	if err := load(ctx, cfg, cl, rc, p, data, rep, logf); err != nil {
		return rep, err
	}
	if err := p.waitTerminal(ctx, cfg.drainTimeout); err != nil {
		return rep, err
	}
	rep.drained = time.Now()
	rc.waitIdle(ctx, 5*time.Second)
	logf("all deliveries terminal %s after the last publish", rep.drained.Sub(rep.lastPublish).Round(time.Millisecond))

	if err := check(ctx, p, rc, rep); err != nil {
		return rep, err
	}
	if cfg.quiet > 0 {
		if err := wakeups(ctx, cfg, cl, rc, data, rep); err != nil {
			return rep, err
		}
	}
	var failures []string
	rep.verified, failures = rc.signatures()
	if len(failures) > 0 {
		return rep, fmt.Errorf("%d requests whose signatures stripe-go and the Standard Webhooks library do not both verify, the first: %v", len(failures), failures[:min(5, len(failures))])
	}
	return rep, nil
}

// load publishes cfg.events round-robin through the processes from
// cfg.publishers goroutines, and kills process cfg.killed (SIGKILL) once
// cfg.killAt of them are published, restarting it at once.
func load(ctx context.Context, cfg config, cl *cluster, rc *receiver, p *probe, data json.RawMessage, rep *report, logf func(string, ...any)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rep.publishedAt = make(map[string]published, cfg.events)
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	next := make(chan int)
	var done atomic.Int64
	killAfter := int64(float64(cfg.events) * cfg.killAt)
	killNow := make(chan struct{})
	var killOnce sync.Once

	var wg sync.WaitGroup
	for range cfg.publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id := fmt.Sprintf("%s%06d", loadPrefix, i)
				sent, proc, err := publishRetrying(ctx, cl, i%cfg.procs, id, data, cfg.webhooks)
				if err != nil {
					fail(fmt.Errorf("event %d through hookd %c: %w", i, 'A'+proc, err))
					return
				}
				mu.Lock()
				rep.publishedAt[id] = published{proc: proc, sent: sent}
				mu.Unlock()
				if done.Add(1) == killAfter {
					killOnce.Do(func() { close(killNow) })
				}
			}
		}()
	}
	killed := make(chan error, 1)
	go func() {
		select {
		case <-killNow:
		case <-ctx.Done():
			killed <- nil
			return
		}
		killed <- killAndRestart(ctx, cfg, cl, rc, p, rep, logf)
	}()
	rep.firstPublish = time.Now()
feed:
	for i := range cfg.events {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	rep.lastPublish = time.Now()
	if killAfter >= int64(cfg.events) || killAfter <= 0 {
		killOnce.Do(func() { close(killNow) })
	}
	if err := <-killed; err != nil {
		fail(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return firstErr
	}
	logf("published %d events in %s", cfg.events, rep.lastPublish.Sub(rep.firstPublish).Round(time.Millisecond))
	return nil
}

// publishRetrying publishes one event through process proc, or while it
// is down through the next live one, retrying while the call fails (the
// event id makes it idempotent); it returns when the call that succeeded
// was sent, and through which process.
func publishRetrying(ctx context.Context, cl *cluster, proc int, id string, data json.RawMessage, want int) (time.Time, int, error) {
	deadline := time.Now().Add(publishRetry)
	for {
		sent, through := time.Now(), cl.live(proc)
		n, err := cl.publish(ctx, through, id, data)
		if err == nil {
			if n != want {
				return sent, through, fmt.Errorf("%d deliveries scheduled, want %d (one per webhook)", n, want)
			}
			return sent, through, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return sent, through, err
		}
		select {
		case <-ctx.Done():
			return sent, through, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// killAndRestart kills process cfg.killed by its pid, notes the leases
// live at that moment (the dead process's among them) and what the
// receiver had of it in flight, and starts it again on the same database
// and port once every one of those leases has run out (and restartAfter
// more): the deliveries it held are then the other processes' to take
// over, which the checks require of at least one (rep.takenOver).
func killAndRestart(ctx context.Context, cfg config, cl *cluster, rc *receiver, p *probe, rep *report, logf func(string, ...any)) error {
	pid := cl.procs[cfg.killed].PID()
	// Kill while the process has an attempt in the receiver's handler, so
	// that the kill interrupts one (a kill between two of its claims,
	// holding no lease, would prove nothing and fail the checks); give up
	// waiting after killWait and kill anyway, which the checks then report.
	for deadline := time.Now().Add(killWait); rc.inHandler(cl.sender(cfg.killed)) == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	who := cl.kill(cfg.killed)
	rep.killTime = time.Now()
	rep.killedSender = who
	rep.inHandlerAtKill, rep.recentAtKill = rc.atKill(who, rep.killTime, killGrace)
	var err error
	if rep.leasesAtKill, err = p.leasedAt(ctx, rep.killTime); err != nil {
		return fmt.Errorf("leases at the kill: %w", err)
	}
	logf("killed hookd %c (pid %d, SIGKILL): %d of its requests in the receiver's handler, %d answered in the last %s",
		'A'+cfg.killed, pid, len(rep.inHandlerAtKill), len(rep.recentAtKill), killGrace)
	var last int64
	for _, until := range rep.leasesAtKill {
		last = max(last, until)
	}
	wait := time.Until(time.Unix(0, last).Add(restartAfter))
	logf("restarting hookd %c in %s, once the %d leases live at the kill have run out", 'A'+cfg.killed, wait.Round(time.Millisecond), len(rep.leasesAtKill))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait):
	}
	if err := cl.start(ctx, cfg.killed); err != nil {
		return fmt.Errorf("restart hookd %c: %w", 'A'+cfg.killed, err)
	}
	rep.restarted = time.Now()
	logf("restarted hookd %c (pid %d) in %s", 'A'+cfg.killed, cl.procs[cfg.killed].PID(), rep.restarted.Sub(rep.killTime).Round(time.Millisecond))
	return nil
}

// wakeups publishes cfg.quiet single events, one at a time on an idle
// cluster, through a process that was not killed, and records for each
// delivery how long after the publish was sent its request arrived, and
// from which process.
func wakeups(ctx context.Context, cfg config, cl *cluster, rc *receiver, data json.RawMessage, rep *report) error {
	proc := 0
	if cfg.killed == 0 && cfg.procs > 1 {
		proc = 1
	}
	rep.quietProc = proc
	for q := range cfg.quiet {
		before := rc.count()
		sent := time.Now()
		if _, _, err := publishRetrying(ctx, cl, proc, fmt.Sprintf("%s%04d", wakePrefix, q), data, cfg.webhooks); err != nil {
			return fmt.Errorf("wake-up event %d: %w", q, err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for rc.count() < before+cfg.webhooks {
			if time.Now().After(deadline) {
				return fmt.Errorf("wake-up event %d: %d of %d deliveries received within 10 s", q, rc.count()-before, cfg.webhooks)
			}
			time.Sleep(time.Millisecond)
		}
		reqs, _ := rc.snapshot()
		for _, r := range reqs[before:] {
			rep.quiet = append(rep.quiet, quietDelivery{latency: r.Start.Sub(sent), cross: r.From.proc != proc, from: r.From})
		}
		rc.waitIdle(ctx, time.Second)
		time.Sleep(100 * time.Millisecond) // let every process go back to sleep
	}
	return nil
}
