package delivery_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// pausingStore holds the first worker that reads its delivery's event
// (after its claim, before it sends) until the test lets it go: a worker
// paused by GC or a starved CPU.
type pausingStore struct {
	delivery.Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
	reads   atomic.Int32 // GetEvent calls: one per attempt run
}

func (p *pausingStore) GetEvent(ctx context.Context, id string) (*store.Event, error) {
	p.reads.Add(1)
	if p.armed.CompareAndSwap(true, false) {
		p.entered <- struct{}{}
		<-p.release
	}
	return p.Store.GetEvent(ctx, id)
}

// pausedAfterClaim starts an engine with the given attempt timeout (its
// lease is that plus delivery.LeaseMargin of it) on a store of its own, delivering to a
// holdReceiver through one webhook, adds a due delivery, and returns once
// the worker that claimed it is paused before it sends; release lets it go.
// change, if any, changes the delivery before it is stored.
func pausedAfterClaim(t *testing.T, timeout time.Duration, change ...func(*store.Delivery)) (clock *clockwork.FakeClock, db *loopStore, rcv *holdReceiver, ps *pausingStore, release func()) {
	t.Helper()
	clock = clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	db = newLoopStore(t, clock.Now())
	rcv = newHoldReceiver(t)
	db.webhook(gatedWebhook, rcv.URL)
	ps = &pausingStore{Store: db, entered: make(chan struct{}), release: make(chan struct{})}
	ps.armed.Store(true)
	e := delivery.New(delivery.Config{Store: ps, Catalog: catalog.Default(), Clock: clock, AllowPrivateDestinations: true,
		Version: "test", Workers: 4, PerWebhook: 2, AttemptTimeout: timeout})
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	t.Cleanup(rcv.stop)
	release = sync.OnceFunc(func() { close(ps.release) })
	t.Cleanup(release)

	db.delivery(gatedWebhook, db.now, change...)
	e.Wake()
	select {
	case <-ps.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the due delivery was not claimed")
	}
	return clock, db, rcv, ps, release
}

// A worker paused after its claim for longer than its lease does not send
// when it resumes: by then another claim holds the delivery and is
// attempting it, and a request, once sent, cannot be fenced off the way
// the recording is. The delivery is attempted once, by the claim that
// holds it.
func TestWorkerPausedPastItsLeaseDoesNotSend(t *testing.T) {
	if runs := testPausedWorker(t, 46*time.Second); runs != 2 {
		t.Fatalf("%d attempt runs, want 2: the paused one and the next claim's", runs)
	}
}

// A replay of a test delivery is a test delivery (is_test) that the
// scheduler claims like any other: its worker, paused past its lease, does
// not send either (only the test attempt of POST .../test, which nothing
// else claims, keeps its whole timeout).
func TestReplayedTestDeliveryPausedPastItsLeaseDoesNotSend(t *testing.T) {
	replayOfTest := func(d *store.Delivery) {
		d.IsTest, d.Trigger, d.ReplayOf = true, store.TriggerReplay, "dlv_aaaaaaaaaaaaaaaaaaaa"
	}
	if runs := testPausedWorker(t, 46*time.Second, replayOfTest); runs != 2 {
		t.Fatalf("%d attempt runs, want 2: the paused one and the next claim's", runs)
	}
}

// Paused past the attempt timeout but within its lease, it does not send
// either (the request could not end before the lease does); it gives the
// delivery back, and the scheduler attempts it at once: two runs of an
// attempt, one request.
func TestWorkerPausedPastItsAttemptTimeoutGivesTheDeliveryBack(t *testing.T) {
	if runs := testPausedWorker(t, 20*time.Second); runs != 2 {
		t.Fatalf("%d attempt runs, want 2: the paused one, which gives the delivery back, and the next claim's", runs)
	}
}

// Paused for more than half the attempt timeout, it gives the delivery
// back as well: a request with less time than that would fail for the
// pause's sake, as an attempt of the receiver's.
func TestWorkerPausedPastHalfItsAttemptTimeoutGivesTheDeliveryBack(t *testing.T) {
	if runs := testPausedWorker(t, 10*time.Second); runs != 2 {
		t.Fatalf("%d attempt runs, want 2: the paused one, which gives the delivery back, and the next claim's", runs)
	}
}

// With a short attempt timeout (--attempt-timeout), the lease's margin is
// shorter too (twice the timeout, at least 5 s), and the same rules hold
// against it: paused past the lease, the worker does not send; within it,
// past half the timeout, it gives the delivery back.
func TestWorkerPausedWithShortAttemptTimeouts(t *testing.T) {
	for _, timeout := range []time.Duration{2 * time.Second, 5 * time.Second} {
		lease := timeout + delivery.LeaseMargin(timeout)
		for _, pause := range []time.Duration{lease + time.Second, timeout * 3 / 4, timeout + time.Second} {
			t.Run(fmt.Sprintf("timeout %s, pause %s", timeout, pause), func(t *testing.T) {
				if runs := testPausedWorkerWith(t, timeout, pause); runs != 2 {
					t.Fatalf("%d attempt runs, want 2", runs)
				}
			})
		}
	}
}

// testPausedWorker is testPausedWorkerWith at the default attempt timeout,
// 15 s (its lease 45 s).
func testPausedWorker(t *testing.T, pause time.Duration, change ...func(*store.Delivery)) int {
	return testPausedWorkerWith(t, delivery.DefaultAttemptTimeout, pause, change...)
}

// testPausedWorkerWith pauses the first attempt's worker, moves the clock
// by pause (the attempt timeout is timeout, the lease that and
// delivery.LeaseMargin), lets it go, and checks that the receiver got one
// request of the delivery, and that the delivery succeeded with that one
// attempt; it returns how many times an attempt of it was run (read its
// event).
func testPausedWorkerWith(t *testing.T, timeout, pause time.Duration, change ...func(*store.Delivery)) int {
	clock, db, rcv, ps, release := pausedAfterClaim(t, timeout, change...)
	lease := timeout + delivery.LeaseMargin(timeout)
	clock.Advance(pause)
	if pause > lease {
		// The lease has ended: the scheduler claims the delivery again and
		// attempts it; that request is held.
		if rcv.next(5*time.Second) == "" {
			t.Fatal("the delivery was not claimed again once the paused worker's lease ended")
		}
	}
	release()
	if pause <= lease {
		// The paused worker gives the delivery back; the scheduler attempts it.
		if rcv.next(5*time.Second) == "" {
			t.Fatal("the delivery given back was not attempted")
		}
	}
	// The paused worker has resumed (it either sent, or did not).
	if got := rcv.next(300 * time.Millisecond); got != "" {
		t.Fatalf("a second request of %s: the paused worker sent after its claim's time was over", got)
	}
	rcv.answer <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ds, _, err := db.ListDeliveries(t.Context(), store.DeliveryFilter{WebhookID: gatedWebhook}, store.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && ds[0].Status == store.DeliverySucceeded {
			if got := ds[0].AttemptCount; got != 1 {
				t.Fatalf("attempt_count %d, want 1", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries %+v, want one succeeded", ds)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if most := rcv.most(); most != 1 {
		t.Fatalf("%d requests of one delivery at once", most)
	}
	return int(ps.reads.Load())
}

// A worker held up after its claim for less than half the attempt timeout
// sends, with what is left of it: its request ends before its lease does.
// Here the timeout is 1 s, the worker is held 0.4 s (on the engine's
// clock), and the receiver never answers: the attempt times out after
// about 0.6 s of real time, not the whole second.
func TestWorkerPausedAfterItsClaimGetsWhatIsLeftOfTheTimeout(t *testing.T) {
	clock, db, rcv, _, release := pausedAfterClaim(t, time.Second)
	clock.Advance(400 * time.Millisecond)
	release()
	id := rcv.next(5 * time.Second)
	if id == "" {
		t.Fatal("the delivery was not attempted")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, as, err := db.GetDeliveryWithAttempts(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) == 1 {
			a := as[0]
			if a.Error == nil || *a.Error != delivery.ErrorTimeout {
				t.Fatalf("attempt error %v, want %s", a.Error, delivery.ErrorTimeout)
			}
			if a.DurationMS >= 1000 {
				t.Fatalf("the attempt ran %d ms: the whole 1 s timeout, not what was left of it after a 0.4 s pause", a.DurationMS)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts recorded, want 1", len(as))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
