package console

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// Sessions are used from every request's goroutine at once: sign-ins,
// page loads (which move lastSeen), flashes and sign-outs, while time
// passes. Run with -race; it also checks that expired sessions are swept,
// so the store holds no more than the sessions alive.
func TestSessionsConcurrently(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := newSessions(clock, time.Minute, time.Hour)
	var (
		wg sync.WaitGroup
		// A session may expire only across an advance of the clock: the
		// counter is odd while one runs, and moves by two across it, so a
		// goroutine sees whether one began since it read the counter.
		advances atomic.Int64
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				before := advances.Load()
				sess := s.create("hash")
				if got, ok := s.get(sess.id); (!ok || got != sess) && before%2 == 0 && advances.Load() == before {
					t.Errorf("goroutine %d: a new session is not found", g)
					return
				}
				s.setFlash(sess, flash{OK: true, Message: "done"})
				if f := s.takeFlash(sess); f == nil || f.Message != "done" { // the session's own, expired or not
					t.Errorf("goroutine %d: flash %+v", g, f)
					return
				}
				if i%2 == 0 {
					s.remove(sess.id)
					if _, ok := s.get(sess.id); ok {
						t.Errorf("goroutine %d: a removed session is found", g)
						return
					}
				}
				if g == 0 && i%50 == 0 {
					advances.Add(1)
					clock.Advance(2 * time.Minute) // every session so far is idle too long
					advances.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	clock.Advance(2 * time.Minute)
	last := s.create("hash") // sweeps
	s.mu.Lock()
	n := len(s.byID)
	s.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d sessions stored after all but one expired", n)
	}
	if _, ok := s.get(last.id); !ok {
		t.Fatal("the live session is gone")
	}
}
