package delivery_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
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
	e2 := &env{t: t, clock: clock, s: hookdtest.Start(t, hookdtest.WithDir(dir), hookdtest.WithClock(clock), hookdtest.WithConfig(func(c *server.Config) {
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
