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
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
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

	// Workers bounds concurrent attempts (default 8).
	Workers int
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
}

// Engine delivers events.
type Engine struct {
	cfg      Config
	store    Store
	clock    clockwork.Clock
	log      *slog.Logger
	client   *http.Client
	schedule Schedule

	wake    chan struct{}
	slots   chan struct{} // a token per running attempt
	wg      sync.WaitGroup
	cancel  context.CancelFunc
	stopped chan struct{}
}

// Defaults of Config.
const (
	DefaultWorkers        = 8
	DefaultAttemptTimeout = 15 * time.Second
	DefaultRetention      = 30 * 24 * time.Hour
)

const (
	leaseMargin     = 30 * time.Second
	dueBatch        = 100
	pruneInterval   = time.Hour
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
		transport = newTransport(cfg.AllowPrivateDestinations, cfg.AttemptTimeout)
	}
	return &Engine{
		cfg: cfg, store: cfg.Store, clock: cfg.Clock, log: cfg.Logger,
		client: &http.Client{
			Transport: transport,
			// Redirects are not followed: a 3xx is the receiver's answer, and
			// a failure, so a redirect cannot lead a signed payload elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		schedule: Schedule{Jitter: cfg.Jitter},
		wake:     make(chan struct{}, 1),
		slots:    make(chan struct{}, cfg.Workers),
	}
}

func newTransport(allowPrivate bool, attemptTimeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = netpolicy.Control
	}
	return &http.Transport{
		// No proxy: a proxy would dial the destination for us, around the policy.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: attemptTimeout,
	}
}

// Start resumes stored work and runs the scheduler until Stop.
func (e *Engine) Start(ctx context.Context) error {
	// Nothing runs before Start, so every lease in the store is stale.
	if err := e.store.ReleaseLeases(ctx); err != nil {
		return err
	}
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

// Wake makes the scheduler look for due work now.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) loop(ctx context.Context) {
	nextPrune := e.clock.Now()
	for {
		now := e.clock.Now()
		if !now.Before(nextPrune) {
			e.prune(ctx, now)
			nextPrune = now.Add(pruneInterval)
		}
		e.dispatchDue(ctx, now)
		if ctx.Err() != nil {
			return
		}
		wait := nextPrune.Sub(now)
		next, err := e.store.NextAttemptAt(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.Error("find next due delivery", "error", err)
			wait = min(wait, time.Second)
		}
		if next != nil {
			wait = min(wait, next.Sub(now))
		}
		if wait <= 0 {
			continue
		}
		timer := e.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-e.wake:
			timer.Stop()
		case <-timer.Chan():
		}
	}
}

// dispatchDue claims due deliveries and hands them to workers. It blocks
// while every worker is busy, which is the backpressure we want.
func (e *Engine) dispatchDue(ctx context.Context, now time.Time) {
	due, err := e.store.DueDeliveries(ctx, now, dueBatch)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("list due deliveries", "error", err)
		}
		return
	}
	for _, d := range due {
		select {
		case e.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		claimed, err := e.store.ClaimDelivery(ctx, d.ID, now, e.leaseUntil(now))
		if err != nil || !claimed {
			<-e.slots
			if err != nil && ctx.Err() == nil {
				e.log.Error("claim delivery", "delivery_id", d.ID, "error", err)
			}
			continue
		}
		e.wg.Add(1)
		go func(d store.Delivery) {
			defer func() { <-e.slots; e.wg.Done() }()
			// Attempts finish even when the engine stops: an interrupted one
			// would be retried anyway, a finished one need not be.
			e.runAttempt(context.WithoutCancel(ctx), &d, store.AttemptScheduled)
		}(d)
	}
}

func (e *Engine) leaseUntil(now time.Time) time.Time {
	return now.Add(e.cfg.AttemptTimeout + leaseMargin)
}

func (e *Engine) prune(ctx context.Context, now time.Time) {
	n, err := e.store.PruneDeliveries(ctx, now.Add(-e.cfg.Retention))
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("prune deliveries", "error", err)
		}
		return
	}
	if n > 0 {
		e.log.Info("pruned deliveries past retention", "count", n)
	}
}

// ErrNotRetryable: only retrying or dead-lettered deliveries can be retried,
// and only terminal ones replayed.
var ErrNotRetryable = errors.New("delivery is not in a state that allows this")

// ErrBusy: an attempt of this delivery is running.
var ErrBusy = errors.New("an attempt of this delivery is running")
