// Package delivery is hookd's delivery engine: it fans published events out
// to the webhooks that subscribe to them, and delivers each one with signed
// HTTP requests on a retry schedule, from a bounded worker pool. All state
// lives in the store, written before any attempt, so a restart resumes the
// work where it was.
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/netpolicy"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Store is what the engine persists to.
type Store interface {
	store.Store
	store.DeliveryStore
}

// Config configures an Engine.
type Config struct {
	Store   Store
	Catalog *catalog.Catalog
	Clock   clockwork.Clock // nil: the real clock
	Logger  *slog.Logger    // nil: discard
	Version string

	// Workers bounds concurrent attempts, scheduled and manual, while they
	// wait on their receivers (default 128); as many again may be being
	// recorded (see worker).
	Workers int
	// PerWebhook bounds the concurrent attempts of one webhook (default
	// half the workers, at most 16), so that an endpoint that hangs holds
	// at most that many workers and the others keep flowing.
	PerWebhook int
	// AttemptTimeout bounds one attempt, from dialling to the end of the
	// response body (default 15 s). It is real time, not Clock time: it
	// bounds real network I/O.
	AttemptTimeout time.Duration
	// AllowPrivateDestinations lets the dialer connect to loopback and
	// private addresses.
	AllowPrivateDestinations bool
	// Retention is how long terminal deliveries and their events are kept
	// (default 30 days).
	Retention time.Duration
	// Jitter replaces the random ±10 % jitter (tests).
	Jitter Jitter
	// Transport replaces the HTTP transport (its dialer must still apply the
	// destination policy).
	Transport http.RoundTripper
	// Observer is told about events and attempts (nil: nobody).
	Observer Observer
	// IdempotencyTTL, when set, prunes the stored outcomes of idempotent
	// requests older than it with the deliveries: the API no longer replays
	// them (httpapi.Config.IdempotencyTTL, the same value), and keys that
	// are never used again would stay for ever.
	IdempotencyTTL time.Duration
	// Wakeups receives when another process sharing the store wrote new
	// work (store.DB.Wakeups on PostgreSQL; nil: none), so that whichever
	// process has free workers takes it at once.
	Wakeups <-chan struct{}
}

// Engine delivers events.
type Engine struct {
	cfg      Config
	store    Store
	clock    clockwork.Clock
	log      *slog.Logger
	client   *http.Client
	schedule Schedule

	wake  chan struct{}
	slots chan struct{} // a token per attempt waiting on its receiver
	// newWork is set when work may have come that a claim must look past
	// the webhooks at their cap to find (Wake). lookPastAt is when claims
	// look past them again after one that did came back short (nothing
	// else was due), and skipped says that a claim since then did not look
	// and came back short (so it may have left work unseen); both are the
	// loop's own.
	newWork    atomic.Bool
	lookPastAt time.Time
	skipped    bool
	// recording holds a token per attempt whose receiver answered and that
	// is being recorded: as many as workers.
	recording chan struct{}
	mu        sync.Mutex
	busy      map[string]int // running or reserved attempts per webhook, under mu
	freed     chan struct{}  // closed and replaced when a place frees or a claim ends, under mu
	// claimView is the copy of busy the running claim works on, nil while
	// no claim runs; under mu. See reserve.
	claimView map[string]int

	wg      sync.WaitGroup
	pool    *goPool
	cancel  context.CancelFunc
	stopped chan struct{}
}

// Defaults of Config.
const (
	// DefaultWorkers: attempts mostly wait on their receivers, and the
	// more of them are in flight, the more outcomes one group commit
	// records and the more free workers one claim serves. Draining a
	// backlog to 10 or 100 webhooks (benchdelivery's quick runs), 128
	// workers made 8,200-9,600 deliveries/s where 32 made 5,100-7,000, on
	// fewer CPU-seconds per delivery; 256 made no more than 128.
	DefaultWorkers = 128
	// DefaultPerWebhook caps the default of PerWebhook, so that a hanging
	// endpoint holds an eighth of the default workers, not half.
	DefaultPerWebhook     = 16
	DefaultAttemptTimeout = 15 * time.Second
	DefaultRetention      = 30 * 24 * time.Hour
)

const (
	pruneInterval = time.Hour
	// idlePoll bounds the sleep while work is due that this engine cannot
	// take (its webhooks at their cap, or leased): a finishing attempt wakes
	// the scheduler at once, the poll covers work freed elsewhere. With
	// other processes on the store it bounds every sleep.
	idlePoll = time.Second
	// lookPastEvery spaces the claims that look past the webhooks at their
	// cap while no new work comes, once one found nothing there: looking
	// past walks their backlogs in the due index, and with one webhook
	// holding a long backlog at its cap, every claim looking past made the
	// engine deliver 2,000/s instead of 5,000. Work of other webhooks that
	// falls due by the clock alone (a retry) waits at most this long behind
	// them; new work (Wake) is looked for at once.
	lookPastEvery   = 200 * time.Millisecond
	maxResponseBody = 4 << 10
)

// New builds an Engine; Start runs it.
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.PerWebhook <= 0 {
		cfg.PerWebhook = max(1, min(cfg.Workers/2, DefaultPerWebhook))
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	transport := cfg.Transport
	if transport == nil {
		transport = newTransport(cfg.AllowPrivateDestinations, cfg.AttemptTimeout, cfg.Workers)
	}
	return &Engine{
		cfg: cfg, store: cfg.Store, clock: cfg.Clock, log: cfg.Logger,
		client: &http.Client{
			Transport: transport,
			// Redirects are not followed: a 3xx is the receiver's answer, and
			// a failure, so a redirect cannot lead a signed payload elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		schedule:  Schedule{Jitter: cfg.Jitter},
		wake:      make(chan struct{}, 1),
		slots:     make(chan struct{}, cfg.Workers),
		recording: make(chan struct{}, cfg.Workers),
		busy:      map[string]int{},
		freed:     make(chan struct{}),
		pool:      newGoPool(),
	}
}

func newTransport(allowPrivate bool, attemptTimeout time.Duration, workers int) *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = netpolicy.Control
	}
	return &http.Transport{
		// No proxy: a proxy would dial the destination for us, around the policy.
		Proxy:             nil,
		DialContext:       dialer.DialContext,
		ForceAttemptHTTP2: true,
		MaxIdleConns:      max(100, 2*workers),
		// As many idle connections to one receiver as attempts can run at
		// once: fewer would close and dial again under load.
		MaxIdleConnsPerHost:   workers,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: attemptTimeout,
	}
}

// Start runs the scheduler until Stop. Work left by a previous process is
// resumed when its leases expire (the SQLite store, which has the database
// to itself, releases them when it opens).
func (e *Engine) Start(ctx context.Context) error {
	ctx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	e.stopped = make(chan struct{})
	go func() {
		defer close(e.stopped)
		e.loop(ctx)
	}()
	return nil
}

// Stop ends the scheduler and waits for running attempts (until ctx ends).
// Unfinished attempts keep their deliveries due, to be resumed at the next
// start.
func (e *Engine) Stop(ctx context.Context) error {
	// Attempts running finish on their goroutines; none waits for more
	// (manual retries run on them too, started or not).
	e.pool.close()
	if e.cancel == nil {
		return nil
	}
	e.cancel()
	<-e.stopped
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wake makes the scheduler look for due work now: new work may have come
// (a publish, a replay). Work that falls due by the clock (a retry) only
// pokes it.
func (e *Engine) Wake() {
	e.newWork.Store(true)
	e.poke()
}

// poke makes the scheduler claim again now: a worker or a place is free.
func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) loop(ctx context.Context) {
	nextPrune := e.clock.Now()
	for {
		if now := e.clock.Now(); !now.Before(nextPrune) {
			e.prune(ctx, now)
			nextPrune = now.Add(pruneInterval)
		}
		filled, claimedAt := e.dispatch(ctx)
		if filled {
			continue // every free worker got work: more may be due
		}
		if ctx.Err() != nil {
			return
		}
		now := e.clock.Now()
		if !now.Before(nextPrune) {
			// The prune fell due while the claim ran (the clock moved):
			// run it now, not after a poll's wait, which on a fake clock
			// that nobody moves again would never come.
			continue
		}
		until := nextPrune
		// What comes next as the claim saw the store (leases live or not at
		// its time), not as of now: a lease that ended after the claim read
		// the clock is then that lease's end, after the claim, rather than
		// its delivery's due time, before it, which would wait for the idle
		// poll. (With a fake clock moved past a paused worker's lease
		// while a claim ran, the delivery was never claimed again:
		// nothing moved the clock a second further.)
		next, err := e.store.NextAttemptAt(ctx, claimedAt)
		if err != nil && ctx.Err() == nil {
			e.log.Error("find next due delivery", "error", err)
			until = now.Add(time.Second)
		}
		if next != nil && next.After(claimedAt) && !next.After(now) {
			// The work fell due, or its lease ended, after the claim read
			// the clock (the clock moved while it ran): claim again now
			// rather than poll a second later. Once only: the next claim
			// reads a time after it.
			continue
		}
		if next != nil && next.Before(until) {
			until = *next
		}
		if !until.After(now) || (e.cfg.Wakeups != nil && until.After(now.Add(idlePoll))) {
			// Work is due that this engine cannot take yet; or other
			// processes share the store, whose wake-ups are the fast path
			// but not the only one: work one of them wrote while this
			// engine's listener was reconnecting, or whose notification was
			// lost, is found by this poll.
			until = now.Add(idlePoll)
		}
		if e.skipped && e.lookPastAt.Before(until) {
			until = e.lookPastAt
		}
		// The wait is measured from the clock as it is now, not from the now
		// read before the query: a (fake) clock moved in between must not
		// push the wake-up past the time it is for.
		timer := e.clock.NewTimer(until.Sub(e.clock.Now()))
		if !e.clock.Now().Before(until) {
			// The clock passed until between the read that sized the timer
			// and the timer's making, which counts from the later time: a
			// fake clock moved by a test on another goroutine, and the
			// timer would fire a whole wait late, or never if nothing moves
			// the clock again (TestWorkerPausedPastItsLeaseDoesNotSend
			// failed so about once in 120 runs under load). Go round now.
			timer.Stop()
			continue
		}
		select {
		case <-timer.Chan():
		case <-e.wake:
		case <-e.cfg.Wakeups:
			e.newWork.Store(true)
		case <-ctx.Done():
		}
		timer.Stop()
		if ctx.Err() != nil {
			return
		}
	}
}

// dispatch waits for a free worker, claims as much due work as there are
// free workers, and starts it. It reports whether the claim filled every
// free worker, in which case more work may be due, and the time the claim
// was made at.
//
// The order is the point: workers first, then the time, then the claim.
// A lease is taken only when a worker is ready to run it, so it cannot
// expire while the delivery waits, and the claim returns the rows as they
// are, which is all a worker acts on.
func (e *Engine) dispatch(ctx context.Context) (bool, time.Time) {
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return false, e.clock.Now()
	}
	// Attempts recorded together (FinishAttempt commits in groups) free
	// their workers together: let them, so that one claim serves them all
	// instead of one claim each.
	runtime.Gosched()
	n := 1
	for n < cap(e.slots) && e.tryAcquire() {
		n++
	}
	now := e.clock.Now()
	lease := e.newLease(now)
	// Swapped before the claim reads: work that comes during the claim
	// sets it again for the next one.
	lookPast := e.newWork.Swap(false) || !now.Before(e.lookPastAt)
	// The claim works on a copy of the per-webhook counts, without the
	// lock: attempts ending meanwhile lower the counts (the copy is then
	// the stricter), and a manual attempt takes only a place freed since
	// the copy (reserve), so that no webhook goes past its cap. The lock is
	// not held across the database call: workers whose receiver has
	// answered give their place back (release) without waiting for it.
	e.mu.Lock()
	busy := maps.Clone(e.busy)
	e.claimView = busy
	e.mu.Unlock()
	claimed, err := e.store.ClaimDue(ctx, store.ClaimRequest{
		Now: now, Lease: lease, Limit: n, PerWebhook: e.cfg.PerWebhook, Busy: busy,
		FirstPageOnly: !lookPast,
	})
	e.mu.Lock()
	for _, d := range claimed {
		e.busy[d.WebhookID]++
	}
	e.claimView = nil
	e.wakeReserves()
	e.mu.Unlock()
	for range n - len(claimed) {
		<-e.slots
	}
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("claim due deliveries", "error", err)
		}
		// Looked for on the next claim, which the loop makes after its
		// usual wait (not at once at lookPastAt: that would spin while
		// the store fails).
		if lookPast {
			e.newWork.Store(true)
		}
		e.skipped = false
		return false, now
	}
	switch short := len(claimed) < n; {
	case lookPast && short:
		// Nothing else is due past the webhooks at their cap.
		e.lookPastAt, e.skipped = now.Add(lookPastEvery), false
	case lookPast:
		// More may be: the next claim looks too.
		e.lookPastAt, e.skipped = time.Time{}, false
	case short:
		e.skipped = true
	}
	for _, d := range claimed {
		e.wg.Add(1)
		e.pool.run(func() {
			defer e.wg.Done()
			w := e.working(d.WebhookID)
			defer w.done()
			// Attempts finish even when the engine stops: an interrupted one
			// would be retried anyway, a finished one need not be.
			e.runAttempt(context.WithoutCancel(ctx), &d, lease, store.AttemptScheduled, w)
		})
	}
	return len(claimed) == n, now
}

// newLease is a fresh claim token, valid for an attempt's longest run and
// a margin to record it.
func (e *Engine) newLease(now time.Time) store.Lease {
	return store.Lease{Token: ids.New("lse_"), Until: now.Add(e.leaseLength())}
}

// leaseLength is how long a claim holds its delivery: an attempt's longest
// run and a margin to record it.
func (e *Engine) leaseLength() time.Duration {
	return e.cfg.AttemptTimeout + LeaseMargin(e.cfg.AttemptTimeout)
}

// Bounds of LeaseMargin.
const (
	minLeaseMargin = 5 * time.Second
	maxLeaseMargin = 30 * time.Second
)

// LeaseMargin is how long a claim's lease outlasts the longest attempt it
// allows, an attempt timeout: time to record the attempt once it ended,
// and room for the clocks of processes sharing a database to disagree
// (each writes leases from its own). Twice the attempt timeout, from 5 s
// to 30 s: 30 s for the default 15 s timeout. An operator who shortens the
// attempts (--attempt-timeout) shortens with them how long the deliveries
// a dead process held wait before another takes them.
func LeaseMargin(attemptTimeout time.Duration) time.Duration {
	return min(maxLeaseMargin, max(minLeaseMargin, 2*attemptTimeout))
}

func (e *Engine) prune(ctx context.Context, now time.Time) {
	// A test attempt runs for at most an attempt timeout past its lease
	// (sendBudget): one whose lease ended longer ago than that, made
	// before, and still not finished was interrupted.
	e.pruneOne(ctx, "interrupted test deliveries (dead-lettered, not deleted)", func() (int, error) {
		endedBy := now.Add(-e.cfg.AttemptTimeout)
		return e.store.EndInterruptedTests(ctx, endedBy.Add(-e.leaseLength()), endedBy)
	})
	e.pruneOne(ctx, "deliveries past retention", func() (int, error) {
		return e.store.PruneDeliveries(ctx, now.Add(-e.cfg.Retention), now)
	})
	if e.cfg.IdempotencyTTL > 0 {
		e.pruneOne(ctx, "idempotency keys past their time", func() (int, error) {
			return e.store.PruneIdempotent(ctx, now.Add(-e.cfg.IdempotencyTTL))
		})
	}
}

// pruneOne runs one prune and logs what it did, or its failure.
func (e *Engine) pruneOne(ctx context.Context, what string, prune func() (int, error)) {
	n, err := prune()
	switch {
	case err != nil && ctx.Err() == nil:
		e.log.Error("prune "+what, "error", err)
	case err == nil && n > 0:
		e.log.Info("pruned "+what, "count", n)
	}
}

// ErrNotRetryable: only retrying or dead-lettered deliveries can be retried,
// and only terminal ones replayed.
var ErrNotRetryable = errors.New("delivery is not in a state that allows this")

// ErrBusy: an attempt of this delivery is running.
var ErrBusy = errors.New("an attempt of this delivery is running")
