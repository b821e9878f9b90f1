package delivery_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// gatedStore holds the next claim, once armed, until the test lets it go:
// so that the clock can move while a claim runs.
type gatedStore struct {
	delivery.Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStore) ClaimDue(ctx context.Context, r store.ClaimRequest) ([]store.Delivery, error) {
	if g.armed.CompareAndSwap(true, false) {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.Store.ClaimDue(ctx, r)
}

// loopStore is a SQLite store of its own, for an engine built by the test.
type loopStore struct {
	*store.DB
	t   *testing.T
	now time.Time // creation time of what the helpers add
}

func newLoopStore(t *testing.T, now time.Time) *loopStore {
	t.Helper()
	c, err := secrets.NewCipher(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "hookd.db"), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &loopStore{DB: db, t: t, now: now}
}

// webhook adds an active account webhook subscribed to transfer.created;
// its secret is trusted for url, so that what url's receiver gets is
// verified.
func (l *loopStore) webhook(id, url string) {
	l.t.Helper()
	wh := &store.Webhook{
		ID: id, Scope: store.ScopeAccount, URL: url, Events: []string{"transfer.created"},
		Active: true, Status: store.StatusActive, Secret: secrets.NewSecret(), SecretVersion: 1,
		CreatedAt: l.now, UpdatedAt: l.now, SignatureScheme: rules.SchemeV1,
	}
	if err := l.CreateWebhook(l.t.Context(), wh); err != nil {
		l.t.Fatal(err)
	}
	hookdtest.Trust(url, wh.Secret)
}

// delivery adds an event with one pending delivery to webhookID, due at due.
func (l *loopStore) delivery(webhookID string, due time.Time, change ...func(*store.Delivery)) {
	l.t.Helper()
	ev := &store.Event{ID: ids.New("evt_"), Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: l.now}
	d := store.Delivery{
		ID: ids.New("dlv_"), WebhookID: webhookID, EventID: ev.ID, EventType: ev.Type, Status: store.DeliveryPending,
		MaxAttempts: 12, CreatedAt: l.now, NextAttemptAt: &due, DeadlineAt: l.now.Add(72 * time.Hour), Trigger: store.TriggerEvent,
	}
	for _, c := range change {
		c(&d)
	}
	if _, err := l.CreateEvent(l.t.Context(), ev, []store.Delivery{d}); err != nil {
		l.t.Fatal(err)
	}
}

// A delivery that falls due while a claim runs (the claim read the clock
// before) is claimed at once, not a poll interval later: the scheduler
// claims again when the next due time it reads is after its claim's time.
// On a fake clock that nobody moves, a poll would never come.
func TestDueDuringClaimIsClaimedAtOnce(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	db := newLoopStore(t, clock.Now())
	var received atomic.Int32
	rcv := httptest.NewServer(verifying(t, func(w http.ResponseWriter, _ *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)

	ctx := t.Context()
	db.webhook("wh_0123456789abcdefghij", rcv.URL)
	db.delivery("wh_0123456789abcdefghij", clock.Now().Add(10*time.Second))

	gs := &gatedStore{Store: db, entered: make(chan struct{}), release: make(chan struct{})}
	e := delivery.New(delivery.Config{Store: gs, Catalog: catalog.Default(), Clock: clock, AllowPrivateDestinations: true, Version: "test"})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })

	// The scheduler sleeps until the delivery is due; woken early, its
	// claim reads the clock (10 s too early), and the clock moves past the
	// due time while the claim runs.
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	gs.armed.Store(true)
	e.Wake()
	select {
	case <-gs.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the woken scheduler made no claim")
	}
	clock.Advance(10 * time.Second)
	close(gs.release)

	deadline := time.Now().Add(5 * time.Second)
	for received.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the delivery due since the claim was not attempted (the scheduler waits for a poll on a clock that does not move)")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countingStore counts the claims, and those that look past the webhooks
// at their cap.
type countingStore struct {
	delivery.Store
	claims, lookingPast atomic.Int32
	fail                atomic.Bool // claims fail while set
}

var errClaimsDown = errors.New("the store refuses claims (test)")

func (c *countingStore) ClaimDue(ctx context.Context, r store.ClaimRequest) ([]store.Delivery, error) {
	c.claims.Add(1)
	if !r.FirstPageOnly {
		c.lookingPast.Add(1)
	}
	if c.fail.Load() {
		return nil, errClaimsDown
	}
	return c.Store.ClaimDue(ctx, r)
}

// A webhook at its cap with a long backlog neither hides the others' work
// nor makes every claim walk its backlog: new work (Wake, another
// process's notification) is looked for at once, work that falls due by
// the clock within lookPastEvery (200 ms), and while neither happens the
// claims read one page, even as the capped webhook's attempts fail and
// are scheduled again. A store that fails claims meanwhile does not make
// the scheduler spin.
func TestCappedBacklogLookPast(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	now := clock.Now()
	db := newLoopStore(t, now)
	// A's requests wait for a value on release (or its close), then are
	// answered aStatus; B's are answered at once.
	release := make(chan struct{})
	var aIn, aGot, bGot atomic.Int32
	var aStatus atomic.Int32
	aStatus.Store(http.StatusNoContent)
	rcv := httptest.NewServer(verifying(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			aIn.Add(1)
			<-release
			aGot.Add(1)
			w.WriteHeader(int(aStatus.Load()))
			return
		}
		bGot.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)

	ctx := t.Context()
	const whA, whB = "wh_aaaaaaaaaaaaaaaaaaaa", "wh_bbbbbbbbbbbbbbbbbbbb"
	db.webhook(whA, rcv.URL+"/a")
	db.webhook(whB, rcv.URL+"/b")
	add := db.delivery
	const backlog = 100
	for range backlog {
		add(whA, now)
	}

	cs := &countingStore{Store: db}
	notify := make(chan struct{}, 1)
	e := delivery.New(delivery.Config{Store: cs, Catalog: catalog.Default(), Clock: clock, AllowPrivateDestinations: true, Version: "test",
		Workers: 4, PerWebhook: 2, Wakeups: notify})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	var once sync.Once
	releaseAll := func() { once.Do(func() { close(release) }) }
	t.Cleanup(releaseAll) // first: Stop waits for A's attempts
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (%d claims, %d looking past)", what, cs.claims.Load(), cs.lookingPast.Load())
			}
		}
	}
	wait("webhook A at its cap", func() bool { return aIn.Load() == 2 })

	// New work of B, behind A's backlog: found at once, the clock standing;
	// then the same announced by another process's notification.
	add(whB, now)
	e.Wake()
	wait("B's new delivery", func() bool { return bGot.Load() == 1 })
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	add(whB, now)
	notify <- struct{}{}
	wait("B's delivery announced by a notification", func() bool { return bGot.Load() == 2 })

	// One of A's attempts ends: the claim that refills A's place reads one
	// page (it looked past A a moment ago); work of B that falls due by the
	// clock is then found once lookPastEvery has passed.
	release <- struct{}{}
	wait("A's place refilled", func() bool { return aIn.Load() == 3 })
	add(whB, now.Add(100*time.Millisecond))
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(200 * time.Millisecond)
	wait("B's delivery due by the clock", func() bool { return bGot.Load() == 3 })

	// The same wake-up at lookPastAt with a store that fails claims: the
	// scheduler waits as usual after a failure, it does not claim again at
	// once and again.
	release <- struct{}{}
	wait("A's place refilled again", func() bool { return aIn.Load() == 4 })
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cs.fail.Store(true)
	failedFrom := cs.claims.Load()
	clock.Advance(200 * time.Millisecond)
	wait("a failing claim", func() bool { return cs.claims.Load() > failedFrom })
	time.Sleep(200 * time.Millisecond)
	if n := cs.claims.Load() - failedFrom; n > 2 {
		t.Fatalf("%d claims in 200 ms of real time on a clock standing, with the store failing them: the scheduler spins", n)
	}
	cs.fail.Store(false)

	// A's backlog drains, every attempt failing and scheduled again later,
	// the clock standing and nothing new: the claims read one page.
	before, lookedBefore := cs.claims.Load(), cs.lookingPast.Load()
	aStatus.Store(http.StatusInternalServerError)
	releaseAll()
	wait("A's backlog", func() bool { return aGot.Load() == backlog })
	claims, looked := cs.claims.Load()-before, cs.lookingPast.Load()-lookedBefore
	if claims < backlog/4 || looked > 1 {
		t.Fatalf("draining A's backlog of %d: %d claims, %d of them looking past A (want at most 1)", backlog, claims, looked)
	}
}

// When other processes share the store (Wakeups is set), an idle engine
// still looks for work every second: due work another process wrote
// without a wake-up reaching this one (a lost notification, a listener
// reconnecting) is attempted within a second, not at the next prune an
// hour later.
func TestSharedStoreIdleEnginePollsEverySecond(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	db := newLoopStore(t, clock.Now())
	rcv := newHoldReceiver(t)
	db.webhook(gatedWebhook, rcv.URL)
	e := delivery.New(delivery.Config{Store: db, Catalog: catalog.Default(), Clock: clock, AllowPrivateDestinations: true,
		Version: "test", Workers: 4, PerWebhook: 2, AttemptTimeout: 15 * time.Second, Wakeups: make(chan struct{})})
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	t.Cleanup(rcv.stop)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	db.delivery(gatedWebhook, clock.Now()) // no Wake: written by "another process"
	clock.Advance(time.Second)
	if rcv.next(5*time.Second) == "" {
		t.Fatal("due work written without a wake-up was not attempted after a second's poll")
	}
}
