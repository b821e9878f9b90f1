package delivery_test

import (
	"context"
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
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

// startGated starts an engine on db whose next claim, once armed, is held
// until the test releases it. At the end of the test the claim is released
// and the receiver answers everything before the engine stops (which waits
// for running attempts).
func startGated(t *testing.T, db *loopStore, clock clockwork.Clock, rcv *holdReceiver, workers, perWebhook int) (e *delivery.Engine, gs *gatedStore, release func()) {
	t.Helper()
	gs = &gatedStore{Store: db, entered: make(chan struct{}), release: make(chan struct{})}
	e = delivery.New(delivery.Config{Store: gs, Catalog: catalog.Default(), Clock: clock, AllowPrivateDestinations: true,
		Version: "test", Workers: workers, PerWebhook: perWebhook})
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	t.Cleanup(rcv.stop)
	release = sync.OnceFunc(func() { close(gs.release) })
	t.Cleanup(release)
	return e, gs, release
}

// holdNextClaim waits until the scheduler sleeps, arms the gate, lets
// trigger make the scheduler claim, and waits until that claim is held.
func holdNextClaim(t *testing.T, clock *clockwork.FakeClock, gs *gatedStore, trigger func()) {
	t.Helper()
	if err := clock.BlockUntilContext(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	gs.armed.Store(true)
	trigger()
	select {
	case <-gs.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the scheduler made no claim")
	}
}

// A worker whose receiver has answered gives its place back and records
// its attempt while a claim is running: the claim does not hold the
// engine's lock across the database call (on PostgreSQL it may wait for a
// pooled connection).
func TestAttemptRecordedWhileClaimRuns(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	db := newLoopStore(t, clock.Now())
	rcv := newHoldReceiver(t)
	const wh = "wh_0123456789abcdefghij"
	db.webhook(wh, rcv.URL)
	db.delivery(wh, clock.Now())
	e, gs, _ := startGated(t, db, clock, rcv, 4, 2)

	id := rcv.next(5 * time.Second)
	if id == "" {
		t.Fatal("the due delivery was not attempted")
	}
	// The scheduler sleeps (nothing else is due); woken, it claims, and the
	// claim is held.
	holdNextClaim(t, clock, gs, e.Wake)
	rcv.answer <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := db.GetDelivery(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == store.DeliverySucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s is %s: its answered attempt was not recorded while the claim ran", id, d.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A manual retry waits for a running claim before it takes its webhook's
// place: the claim works on the counts it read, and both taking the last
// place would run two attempts of a webhook capped at one.
func TestManualRetryWaitsForClaim(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	db := newLoopStore(t, clock.Now())
	rcv := newHoldReceiver(t)
	const wh = "wh_0123456789abcdefghij"
	db.webhook(wh, rcv.URL)
	dead := deadLettered(t, db, wh)
	db.delivery(wh, clock.Now().Add(10*time.Second))
	e, gs, release := startGated(t, db, clock, rcv, 4, 1)

	// The scheduler sleeps until the pending delivery is due; then its
	// claim (which takes the webhook's one place) is held.
	holdNextClaim(t, clock, gs, func() { clock.Advance(10 * time.Second) })
	retried := make(chan error, 1)
	go func() {
		_, err := e.Retry(t.Context(), dead)
		retried <- err
	}()
	if got := rcv.next(200 * time.Millisecond); got != "" {
		t.Fatalf("%s attempted while the claim ran", got)
	}
	release()
	scheduled := rcv.next(5 * time.Second)
	if scheduled == "" || scheduled == dead {
		t.Fatalf("first attempt %q once the claim ended, want the scheduled delivery's", scheduled)
	}
	if got := rcv.next(200 * time.Millisecond); got != "" {
		t.Fatalf("%s attempted while the webhook's one place was taken", got)
	}
	rcv.answer <- struct{}{}
	if got := rcv.next(5 * time.Second); got != dead {
		t.Fatalf("after the scheduled attempt: %q, want the retried %s", got, dead)
	}
	if err := <-retried; err != nil {
		t.Fatal(err)
	}
	rcv.answer <- struct{}{}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.maxInFlight != 1 {
		t.Fatalf("%d attempts of the webhook at once, cap 1", rcv.maxInFlight)
	}
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
