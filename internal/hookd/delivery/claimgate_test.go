package delivery_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// holdReceiver answers each request only when the test lets it (one
// answer token per request), and keeps the most requests it held at once.
// Every request is verified when the test ends (verifying).
type holdReceiver struct {
	*httptest.Server
	got    chan string // the delivery id of each request, as it arrives
	answer chan struct{}
	quit   chan struct{} // closed by stop: every request is answered
	once   sync.Once

	mu                    sync.Mutex
	inFlight, maxInFlight int
}

func newHoldReceiver(t *testing.T) *holdReceiver {
	t.Helper()
	h := &holdReceiver{got: make(chan string, 16), answer: make(chan struct{}), quit: make(chan struct{})}
	h.Server = httptest.NewServer(verifying(t, func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.inFlight++
		h.maxInFlight = max(h.maxInFlight, h.inFlight)
		h.mu.Unlock()
		h.got <- r.Header.Get("Hookd-Delivery-Id")
		select {
		case <-h.answer:
		case <-h.quit:
		case <-r.Context().Done():
		}
		h.mu.Lock()
		h.inFlight--
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	// Closed after every handler is let go: Close waits for them.
	t.Cleanup(h.Close)
	t.Cleanup(h.stop)
	return h
}

// stop answers every request held and every one to come.
func (h *holdReceiver) stop() { h.once.Do(func() { close(h.quit) }) }

// next is the delivery id of the next request, or "" when none comes
// within d.
func (h *holdReceiver) next(d time.Duration) string {
	select {
	case id := <-h.got:
		return id
	case <-time.After(d):
		return ""
	}
}

// gated is an engine on a SQLite store of its own whose next claim, once
// armed, is held until the test releases it, delivering to a holdReceiver
// through one webhook (gatedWebhook). At the end of the test the claim is
// released and the receiver answers everything before the engine stops
// (which waits for running attempts).
type gated struct {
	clock   *clockwork.FakeClock
	db      *loopStore
	rcv     *holdReceiver
	e       *delivery.Engine
	gs      *gatedStore
	release func() // lets the held claim go
}

const gatedWebhook = "wh_0123456789abcdefghij"

// newGated creates the webhook, lets add put deliveries in the store, and
// starts the engine.
func newGated(t *testing.T, perWebhook int, add func(db *loopStore)) *gated {
	t.Helper()
	g := &gated{clock: clockwork.NewFakeClockAt(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))}
	g.db = newLoopStore(t, g.clock.Now())
	g.rcv = newHoldReceiver(t)
	g.db.webhook(gatedWebhook, g.rcv.URL)
	add(g.db)
	g.gs = &gatedStore{Store: g.db, entered: make(chan struct{}), release: make(chan struct{})}
	g.e = delivery.New(delivery.Config{Store: g.gs, Catalog: catalog.Default(), Clock: g.clock, AllowPrivateDestinations: true,
		Version: "test", Workers: 4, PerWebhook: perWebhook})
	if err := g.e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.e.Stop(context.Background()) })
	t.Cleanup(g.rcv.stop)
	g.release = sync.OnceFunc(func() { close(g.gs.release) })
	t.Cleanup(g.release)
	return g
}

// holdNextClaim waits until the scheduler sleeps, arms the gate, lets
// trigger make the scheduler claim, and waits until that claim is held.
func (g *gated) holdNextClaim(t *testing.T, trigger func()) {
	t.Helper()
	if err := g.clock.BlockUntilContext(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	g.gs.armed.Store(true)
	trigger()
	select {
	case <-g.gs.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the scheduler made no claim")
	}
}

// retry asks for a manual retry of delivery id in the background; its
// result comes on the channel.
func (g *gated) retry(ctx context.Context, id string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := g.e.Retry(ctx, id)
		done <- err
	}()
	return done
}

// most is the most requests the receiver held at once.
func (h *holdReceiver) most() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.maxInFlight
}

// waitSucceeded waits until delivery id has succeeded.
func (g *gated) waitSucceeded(t *testing.T, id string) {
	const want = store.DeliverySucceeded
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := g.db.GetDelivery(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s is %s, want %s", id, d.Status, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A worker whose receiver has answered gives its place back and records
// its attempt while a claim is running: the claim does not hold the
// engine's lock across the database call (on PostgreSQL it may wait for a
// pooled connection).
func TestAttemptRecordedWhileClaimRuns(t *testing.T) {
	g := newGated(t, 2, func(db *loopStore) { db.delivery(gatedWebhook, db.now) })
	id := g.rcv.next(5 * time.Second)
	if id == "" {
		t.Fatal("the due delivery was not attempted")
	}
	// The scheduler sleeps (nothing else is due); woken, it claims, and the
	// claim is held.
	g.holdNextClaim(t, g.e.Wake)
	g.rcv.answer <- struct{}{}
	// Recorded while the claim is still held.
	g.waitSucceeded(t, id)
}

// A manual retry does not take a place a running claim may take: the
// claim works on the counts it read, and both taking the last place would
// run two attempts of a webhook capped at one. It waits, and goes once a
// place is free again.
func TestManualRetryWaitsForClaim(t *testing.T) {
	g, dead := claimHeldAtCapOne(t)
	retried := g.retry(t.Context(), dead)
	if got := g.rcv.next(200 * time.Millisecond); got != "" {
		t.Fatalf("%s attempted while the claim ran", got)
	}
	g.release()
	scheduled := g.rcv.next(5 * time.Second)
	if scheduled == "" || scheduled == dead {
		t.Fatalf("first attempt %q once the claim ended, want the scheduled delivery's", scheduled)
	}
	if got := g.rcv.next(200 * time.Millisecond); got != "" {
		t.Fatalf("%s attempted while the webhook's one place was taken", got)
	}
	g.rcv.answer <- struct{}{}
	if got := g.rcv.next(5 * time.Second); got != dead {
		t.Fatalf("after the scheduled attempt: %q, want the retried %s", got, dead)
	}
	if err := <-retried; err != nil {
		t.Fatal(err)
	}
	g.rcv.answer <- struct{}{}
	if most := g.rcv.most(); most != 1 {
		t.Fatalf("%d attempts of the webhook at once, cap 1", most)
	}
}

// A manual retry takes a place freed since the running claim copied the
// counts, without waiting for the claim: the claim cannot take that place
// (it takes at most the cap minus what it copied).
func TestManualRetryTakesPlaceFreedDuringClaim(t *testing.T) {
	var dead string
	g := newGated(t, 2, func(db *loopStore) {
		dead = deadLettered(t, db, gatedWebhook)
		db.delivery(gatedWebhook, db.now)
	})
	first := g.rcv.next(5 * time.Second)
	if first == "" || first == dead {
		t.Fatalf("first attempt %q, want the due delivery's", first)
	}
	g.db.delivery(gatedWebhook, g.clock.Now())
	g.holdNextClaim(t, g.e.Wake) // copies the webhook at one of two places
	g.rcv.answer <- struct{}{}
	g.waitSucceeded(t, first)
	retried := g.retry(t.Context(), dead)
	if got := g.rcv.next(5 * time.Second); got != dead {
		t.Fatalf("while the claim is held: %q, want the retried %s", got, dead)
	}
	if err := <-retried; err != nil {
		t.Fatal(err)
	}
	g.release()
	if got := g.rcv.next(5 * time.Second); got == "" || got == dead {
		t.Fatalf("once the claim ended: %q, want the second due delivery", got)
	}
	g.rcv.answer <- struct{}{}
	g.rcv.answer <- struct{}{}
	if most := g.rcv.most(); most != 2 {
		t.Fatalf("at most %d attempts of the webhook at once, want 2 (its cap)", most)
	}
}

// A manual retry given up while it waits on a running claim leaves no
// place taken: the next one, once the webhook is free, goes through.
func TestManualRetryCancelledDuringClaim(t *testing.T) {
	g, dead := claimHeldAtCapOne(t)
	ctx, cancel := context.WithCancel(t.Context())
	retried := g.retry(ctx, dead)
	select {
	case err := <-retried:
		t.Fatalf("the retry returned while the claim held the webhook's one place: %v", err)
	case <-time.After(50 * time.Millisecond): // waiting on the claim
	}
	cancel()
	if err := <-retried; !errors.Is(err, context.Canceled) {
		t.Fatalf("retry given up: %v, want context.Canceled", err)
	}
	g.release()
	if got := g.rcv.next(5 * time.Second); got == "" || got == dead {
		t.Fatalf("once the claim ended: %q, want the scheduled delivery", got)
	}
	g.rcv.answer <- struct{}{}
	retried = g.retry(t.Context(), dead)
	if got := g.rcv.next(5 * time.Second); got != dead {
		t.Fatalf("a retry once the webhook is free: %q, want %s (a place left taken?)", got, dead)
	}
	if err := <-retried; err != nil {
		t.Fatal(err)
	}
}

// An attempt that gives its webhook's place back while a claim runs wakes
// the scheduler once the claim ends: the claim saw the place taken (its
// copy of the counts), may have stopped at the webhook's cap because of
// it, and nothing else would make it look again before its next poll.
func TestReleaseDuringClaimWakesScheduler(t *testing.T) {
	g := newGated(t, 2, func(db *loopStore) { db.delivery(gatedWebhook, db.now) })
	first := g.rcv.next(5 * time.Second)
	if first == "" {
		t.Fatal("the due delivery was not attempted")
	}
	// Two more fall due; the claim that finds them sees the webhook with
	// one of its two places taken, takes one, and leaves the other.
	g.db.delivery(gatedWebhook, g.clock.Now())
	g.db.delivery(gatedWebhook, g.clock.Now())
	g.holdNextClaim(t, g.e.Wake)
	g.rcv.answer <- struct{}{}
	g.waitSucceeded(t, first)
	g.release()
	if g.rcv.next(5*time.Second) == "" {
		t.Fatal("the claim took nothing")
	}
	if g.rcv.next(5*time.Second) == "" {
		t.Fatal("the third delivery was not attempted, though the webhook had a free place once the claim ended (on a clock that does not move, the scheduler's poll never comes)")
	}
}

// claimHeldAtCapOne is a webhook capped at one attempt with a
// dead-lettered delivery (returned, for a manual retry) and a pending one
// that falls due: the scheduler's claim of it, which takes the webhook's
// one place, is held.
func claimHeldAtCapOne(t *testing.T) (g *gated, dead string) {
	t.Helper()
	g = newGated(t, 1, func(db *loopStore) {
		dead = deadLettered(t, db, gatedWebhook)
		db.delivery(gatedWebhook, db.now.Add(10*time.Second))
	})
	g.holdNextClaim(t, func() { g.clock.Advance(10 * time.Second) })
	return g, dead
}

// deadLettered adds an event with one dead-lettered delivery to webhookID
// and returns the delivery's id.
func deadLettered(t *testing.T, db *loopStore, webhookID string) string {
	t.Helper()
	ev := &store.Event{ID: ids.New("evt_"), Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: db.now}
	id := ids.New("dlv_")
	if _, err := db.CreateEvent(t.Context(), ev, []store.Delivery{{
		ID: id, WebhookID: webhookID, EventID: ev.ID, EventType: ev.Type, Status: store.DeliveryDeadLettered, AttemptCount: 12,
		MaxAttempts: 12, CreatedAt: db.now, DeadlineAt: db.now.Add(72 * time.Hour), Trigger: store.TriggerEvent,
	}}); err != nil {
		t.Fatal(err)
	}
	return id
}

// A manual retry that waits for a worker holds no lease while it waits:
// it claims only once a place is free, with the time read then, so that a
// wait longer than a lease cannot leave it holding a lease that has ended
// (which another claim could take while it runs). Here the webhook's one
// place is held by a scheduled attempt for longer than a lease.
func TestManualRetryHoldsNoLeaseWhileWaiting(t *testing.T) {
	var dead string
	g := newGated(t, 1, func(db *loopStore) {
		dead = deadLettered(t, db, gatedWebhook)
		db.delivery(gatedWebhook, db.now)
	})
	first := g.rcv.next(5 * time.Second)
	if first == "" || first == dead {
		t.Fatalf("first attempt %q, want the due delivery's", first)
	}
	retried := g.retry(t.Context(), dead)
	select {
	case err := <-retried:
		t.Fatalf("the retry returned while the webhook's one place was taken: %v", err)
	case <-time.After(100 * time.Millisecond): // waiting for the place
	}
	noLease := func(when string) {
		t.Helper()
		d, err := g.db.GetDelivery(t.Context(), dead)
		if err != nil {
			t.Fatal(err)
		}
		if d.LeasedUntil != nil {
			t.Fatalf("%s, the waiting retry's delivery is leased until %v", when, d.LeasedUntil)
		}
	}
	noLease("while the scheduled attempt runs")
	g.clock.Advance(2 * time.Minute) // past any lease (15 s + its 30 s margin)
	noLease("a lease's length later")
	g.rcv.answer <- struct{}{}
	if got := g.rcv.next(5 * time.Second); got != dead {
		t.Fatalf("once the place is free: %q, want the retried %s", got, dead)
	}
	if err := <-retried; err != nil {
		t.Fatal(err)
	}
	d, err := g.db.GetDelivery(t.Context(), dead)
	if err != nil {
		t.Fatal(err)
	}
	if d.LeasedUntil == nil || !d.LeasedUntil.After(g.clock.Now()) {
		t.Fatalf("the running retry's lease ends at %v, at or before now (%v): it was taken before the wait", d.LeasedUntil, g.clock.Now())
	}
	g.rcv.answer <- struct{}{}
	g.waitSucceeded(t, dead)
	if got := g.rcv.next(300 * time.Millisecond); got != "" {
		t.Fatalf("%s attempted again", got)
	}
	if most := g.rcv.most(); most != 1 {
		t.Fatalf("%d attempts of the webhook at once, cap 1", most)
	}
}
