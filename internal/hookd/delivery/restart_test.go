package delivery_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Work pending when hookd stops is resumed when it starts again on the same
// database, and every delivery succeeds exactly once.
func TestResumeAfterRestart(t *testing.T) {
	e := newEnv(t)
	var healthy atomic.Bool
	rcv := newReceiver(t, func(int) (int, http.Header) {
		if healthy.Load() {
			return 200, nil
		}
		return 503, nil
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	for range 5 {
		e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	}
	eventually(t, "first attempts", func() bool {
		for _, d := range e.deliveries(wh.ID, "") {
			if d.Status != "retrying" {
				return false
			}
		}
		return true
	})
	key, dir := e.s.APIKey, e.s.Dir
	e.s.Stop()

	healthy.Store(true)
	clock := clockwork.NewFakeClockAt(e.clock.Now())
	e2 := &env{t: t, clock: clock, http: e.http, s: hookdtest.Start(t, hookdtest.WithDir(dir), hookdtest.WithClock(clock), hookdtest.WithConfig(func(c *server.Config) {
		c.Jitter = func() float64 { return 0 }
	}))}
	e2.s.APIKey = key
	e2.advance(5 * time.Second)
	eventually(t, "every delivery to succeed", func() bool {
		for _, d := range e2.deliveries(wh.ID, "") {
			if d.Status != "succeeded" {
				return false
			}
		}
		return true
	})
	// 5 failed first attempts + 5 successes, and nothing twice.
	seen := map[string]int{}
	for i := range rcv.count() {
		r := rcv.get(i)
		if r.header.Get("Hookd-Attempt") == "2" {
			seen[r.header.Get("Webhook-Id")]++
		}
	}
	if rcv.count() != 10 || len(seen) != 5 {
		t.Fatalf("%d requests, %d events retried", rcv.count(), len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s delivered %d times on attempt 2", id, n)
		}
	}
}

// A crash in the middle of an attempt loses nothing: the attempt that was
// running (its outcome never recorded) and the deliveries still waiting for
// a worker are all made after the restart, each delivery succeeding once
// with one recorded attempt. The interrupted event reaches the receiver
// twice in all: delivery is at least once, and receivers de-duplicate on
// webhook-id.
func TestCrashMidAttempt(t *testing.T) {
	g := newGate()
	defer g.open()
	e := newEnv(t, hookdtest.WithConfig(func(c *server.Config) { c.DeliveryWorkers = 1 }))
	rcv := newReceiver(t, func(n int) (int, http.Header) {
		if n == 1 {
			g.wait()
		}
		return 200, nil
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	for i := range 4 {
		e.publish(map[string]any{"id": fmt.Sprintf("evt_crash%d", i), "type": "transfer.created", "data": e.example("transfer.created")})
	}
	eventually(t, "the first attempt to be running", func() bool { return rcv.count() == 1 })
	for _, d := range e.deliveries(wh.ID, "") {
		if d.Status != "pending" || d.AttemptCount != 0 {
			t.Fatalf("before the crash: %+v", d)
		}
	}
	key, dir := e.s.APIKey, e.s.Dir
	e.s.Crash()
	g.open() // the abandoned attempt ends now; the database is gone for it

	clock := clockwork.NewFakeClockAt(e.clock.Now())
	e2 := &env{t: t, clock: clock, http: e.http, s: hookdtest.Start(t, hookdtest.WithDir(dir), hookdtest.WithClock(clock))}
	e2.s.APIKey = key
	if hookdtest.Postgres() {
		// Other processes may share a PostgreSQL database, so a start
		// releases no lease: the dead attempt's runs out (attempt timeout
		// plus the lease's margin), and then its delivery is taken.
		// The three deliveries that never started are taken at once; the
		// clock jumps only when they are done, since a jump past the
		// leases of attempts still in flight would rightly free them for
		// a second attempt (real time never jumps 76 s in one go).
		eventually(t, "the deliveries that never started to succeed", func() bool {
			n := 0
			for _, d := range e2.deliveries(wh.ID, "") {
				if d.Status == "succeeded" {
					n++
				}
			}
			return n == 3
		})
		clock.Advance(delivery.DefaultAttemptTimeout + delivery.LeaseMargin(delivery.DefaultAttemptTimeout) + time.Second)
	}
	eventually(t, "every delivery to succeed", func() bool {
		ds := e2.deliveries(wh.ID, "")
		for _, d := range ds {
			if d.Status != "succeeded" {
				return false
			}
		}
		return len(ds) == 4
	})
	perEvent := map[string]int{}
	for i := range rcv.count() {
		perEvent[rcv.get(i).header.Get("Webhook-Id")]++
	}
	if rcv.count() != 5 || len(perEvent) != 4 || perEvent[rcv.get(0).header.Get("Webhook-Id")] != 2 {
		t.Fatalf("%d requests, per event %v", rcv.count(), perEvent)
	}
	for _, d := range e2.deliveries(wh.ID, "") {
		if got := e2.delivery(d.ID); got.AttemptCount != 1 || len(got.Attempts) != 1 {
			t.Errorf("delivery %s: %d attempts recorded, want 1", d.ID, len(got.Attempts))
		}
	}
}

// A graceful stop waits for the attempt that is running and records it:
// after the restart nothing is sent again.
func TestGracefulStopFinishesAttempts(t *testing.T) {
	g := newGate()
	defer g.open()
	e := newEnv(t)
	rcv := newReceiver(t, func(int) (int, http.Header) {
		g.wait()
		return 200, nil
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "the attempt to be running", func() bool { return rcv.count() == 1 })
	key, dir := e.s.APIKey, e.s.Dir

	stopped := make(chan struct{})
	go func() { e.s.Stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("the stop did not wait for the running attempt")
	case <-time.After(50 * time.Millisecond):
	}
	g.open()
	<-stopped

	clock := clockwork.NewFakeClockAt(e.clock.Now())
	e2 := &env{t: t, clock: clock, http: e.http, s: hookdtest.Start(t, hookdtest.WithDir(dir), hookdtest.WithClock(clock))}
	e2.s.APIKey = key
	if d := e2.deliveries(wh.ID, ""); d[0].Status != "succeeded" || d[0].AttemptCount != 1 {
		t.Fatalf("after a graceful stop: %+v", d[0])
	}
	if rcv.count() != 1 {
		t.Fatalf("%d requests, want 1", rcv.count())
	}
}

// A test delivery whose attempt a crash interrupted does not stay pending
// forever (it is never scheduled, and only ended deliveries are retried
// or replayed): once a lease has passed since it was made, the engine's
// hourly sweep dead-letters it, saying why, and it may be retried by hand.
func TestTestInterruptedByACrashIsDeadLettered(t *testing.T) {
	g := newGate()
	defer g.open()
	e := newEnv(t)
	rcv := newReceiver(t, func(n int) (int, http.Header) {
		if n == 1 {
			g.wait()
		}
		return 200, nil
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	go func() {
		req, _ := http.NewRequest(http.MethodPost, e.s.URL+"/v1/webhooks/"+wh.ID+"/test", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+e.s.APIKey)
		req.Header.Set("Content-Type", "application/json")
		if res, err := http.DefaultClient.Do(req); err == nil { // the crash cuts it off
			_ = res.Body.Close()
		}
	}()
	eventually(t, "the test attempt to be running", func() bool { return rcv.count() == 1 })
	key, dir := e.s.APIKey, e.s.Dir
	e.s.Crash()
	g.open()

	clock := clockwork.NewFakeClockAt(e.clock.Now())
	e2 := &env{t: t, clock: clock, http: e.http, s: hookdtest.Start(t, hookdtest.WithDir(dir), hookdtest.WithClock(clock))}
	e2.s.APIKey = key
	tests := e2.deliveries(wh.ID, "?is_test=true")
	if len(tests) != 1 || tests[0].Status != "pending" {
		t.Fatalf("after the restart: %+v, want one pending test delivery", tests)
	}
	// The sweep at start leaves it: it is younger than a lease, and on
	// PostgreSQL another process could be running it.
	e2.advance(time.Hour)
	eventually(t, "the interrupted test to be dead-lettered", func() bool {
		d := e2.delivery(tests[0].ID)
		return d.Status == "dead_lettered" && d.LastError != nil && *d.LastError == store.InterruptedTestError
	})
	e2.call(http.MethodPost, "/v1/deliveries/"+tests[0].ID+"/retry", nil, http.StatusAccepted, nil)
	eventually(t, "the retry to succeed", func() bool { return e2.delivery(tests[0].ID).Status == "succeeded" })
}
