package console

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
)

// testStore is a new, empty database: SQLite, or PostgreSQL with
// HOOKD_TEST_DB=postgres.
func testStore(t *testing.T) *store.DB {
	t.Helper()
	c, err := secrets.NewCipher(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	var st *store.DB
	if pgtest.OnPostgres() {
		st, err = store.OpenPostgres(context.Background(), pgtest.Database(t), c)
	} else {
		st, err = store.OpenSQLite(filepath.Join(t.TempDir(), "hookd.db"), c)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Sessions are used from every request's goroutine at once: sign-ins,
// page loads (which move their idle end), flashes and sign-outs, while
// time passes. Run with -race; it also checks that ended sessions are
// deleted, so that the store holds no more than the sessions alive.
func TestSessionsConcurrently(t *testing.T) {
	clock := clockwork.NewFakeClock()
	st := testStore(t)
	s := &sessions{store: st, clock: clock, idle: time.Minute, maxAge: time.Hour}
	ctx := t.Context()
	var (
		wg sync.WaitGroup
		// A session may end only across an advance of the clock: the
		// counter is odd while one runs, and moves by two across it, so a
		// goroutine sees whether one began since it read the counter.
		advances atomic.Int64
		mu       sync.Mutex
		created  []string
	)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				before := advances.Load()
				sess, err := s.create(ctx, "hash")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				created = append(created, sess.id)
				mu.Unlock()
				got, err := s.get(ctx, sess.id)
				if err != nil {
					t.Error(err)
					return
				}
				if (got == nil || got.csrf != sess.csrf || got.keyHash != "hash") && before%2 == 0 && advances.Load() == before {
					t.Errorf("goroutine %d: a new session is not found: %+v", g, got)
					return
				}
				if err := s.setFlash(ctx, sess, flash{OK: true, Message: "done"}); err != nil {
					t.Error(err)
					return
				}
				if got, err := s.get(ctx, sess.id); err != nil {
					t.Error(err)
					return
				} else if got != nil {
					// Its own, unless it ended (and was deleted) since.
					if f := got.takeFlash(); (f == nil || f.Message != "done") && before%2 == 0 && advances.Load() == before {
						t.Errorf("goroutine %d: flash %+v", g, f)
						return
					}
				}
				if i%2 == 0 {
					if err := s.remove(ctx, sess); err != nil {
						t.Error(err)
						return
					}
					if got, err := s.get(ctx, sess.id); err != nil || got != nil {
						t.Errorf("goroutine %d: a removed session is found (%v)", g, err)
						return
					}
				}
				if g == 0 && i%5 == 0 {
					advances.Add(1)
					clock.Advance(2 * time.Minute) // every session so far is idle too long
					advances.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	clock.Advance(2 * time.Minute)
	last, err := s.create(ctx, "hash") // deletes those that ended
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range created {
		if _, err := st.GetConsoleSession(ctx, hashID(id)); err == nil {
			t.Errorf("a session that ended is still stored")
		}
	}
	if got, err := s.get(ctx, last.id); err != nil || got == nil {
		t.Fatalf("the live session is gone (%v)", err)
	}
}

// A page moves the session's idle end on only when it lags more than
// touchEvery behind: browsing writes about once a minute, not at every
// page; an idle session still ends at its idle end.
func TestSessionTouch(t *testing.T) {
	clock := clockwork.NewFakeClock()
	st := testStore(t)
	s := &sessions{store: st, clock: clock, idle: 30 * time.Minute, maxAge: 12 * time.Hour}
	ctx := t.Context()
	sess, err := s.create(ctx, "hash")
	if err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	idleUntil := func() time.Time {
		t.Helper()
		cs, err := st.GetConsoleSession(ctx, hashID(sess.id))
		if err != nil {
			t.Fatal(err)
		}
		return cs.IdleUntil
	}
	clock.Advance(30 * time.Second)
	if got, err := s.get(ctx, sess.id); err != nil || got == nil {
		t.Fatalf("30 s in: %v", err)
	}
	if got := idleUntil(); !got.Equal(start.Add(30 * time.Minute)) {
		t.Errorf("idle end moved after 30 s: %v", got.Sub(start))
	}
	clock.Advance(31 * time.Second)
	if got, err := s.get(ctx, sess.id); err != nil || got == nil {
		t.Fatalf("61 s in: %v", err)
	}
	if got := idleUntil(); !got.Equal(start.Add(61*time.Second + 30*time.Minute)) {
		t.Errorf("idle end after a page 61 s in: %v, want 30 min after that page", got.Sub(start))
	}
	clock.Advance(30*time.Minute + time.Second)
	if got, err := s.get(ctx, sess.id); err != nil || got != nil {
		t.Fatalf("idle for 30 min: %+v, %v; want ended", got, err)
	}
	if _, err := st.GetConsoleSession(ctx, hashID(sess.id)); err == nil {
		t.Error("an ended session is still stored")
	}
}
