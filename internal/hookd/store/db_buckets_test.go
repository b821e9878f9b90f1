package store

import (
	"sync"
	"testing"
	"time"
)

func TestTakeToken(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	take := func(at time.Duration, take, debt bool) time.Duration {
		t.Helper()
		w, err := s.TakeToken(ctx, BucketRequest{Key: "k", Now: t0.Add(at), PerSec: 2, Burst: 3, Take: take, Debt: debt})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	for i := range 3 {
		if w := take(0, true, false); w != 0 {
			t.Fatalf("take %d of a full bucket of 3: wait %v", i+1, w)
		}
	}
	if w := take(0, true, false); w != 500*time.Millisecond {
		t.Fatalf("take from an empty bucket: wait %v, want 500ms (2 tokens/s)", w)
	}
	if w := take(0, false, false); w != 500*time.Millisecond {
		t.Fatalf("look at an empty bucket: wait %v, want 500ms", w)
	}
	if w := take(250*time.Millisecond, false, false); w != 250*time.Millisecond {
		t.Fatalf("a quarter second later: wait %v, want 250ms", w)
	}
	if w := take(500*time.Millisecond, true, false); w != 0 {
		t.Fatalf("half a second later: wait %v, want a token", w)
	}
	// Debt: failures in flight together all count, and are waited off.
	for range 3 {
		take(500*time.Millisecond, true, true)
	}
	if w := take(500*time.Millisecond, false, false); w != 2*time.Second {
		t.Fatalf("three tokens in debt: wait %v, want 2s", w)
	}
	if w := take(time.Hour, false, false); w != 0 {
		t.Fatalf("an hour later: wait %v, want a full bucket", w)
	}
	// Another key has its own bucket; looking at a missing one writes
	// nothing and finds it full.
	if w, err := s.TakeToken(ctx, BucketRequest{Key: "other", Now: t0, PerSec: 2, Burst: 3}); err != nil || w != 0 {
		t.Fatalf("another key: %v, %v", w, err)
	}
	if n, err := s.PruneBuckets(ctx, t0.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("PruneBuckets = %d, %v; want the one bucket written", n, err)
	}
	// A new bucket a day later takes the idle ones with it.
	if _, err := s.TakeToken(ctx, BucketRequest{Key: "old", Now: t0, PerSec: 2, Burst: 3, Take: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeToken(ctx, BucketRequest{Key: "new", Now: t0.Add(bucketIdle + time.Second), PerSec: 2, Burst: 3, Take: true}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	rows, err := s.reader.QueryContext(ctx, `SELECT key FROM rate_buckets ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if len(keys) != 1 || keys[0] != "new" {
		t.Fatalf("buckets %v after a new one a day later, want [new]", keys)
	}
}

// Takes at the same moment, from as many goroutines (and, on PostgreSQL,
// from two stores on one database, as two processes would be), never hand
// out more tokens than the bucket holds.
func TestTakeTokenConcurrent(t *testing.T) {
	loc := newLocation(t)
	stores := []*DB{openAt(t, loc, testKey)}
	if testPostgres() {
		stores = append(stores, openAt(t, loc, testKey))
	}
	const burst, takers = 10, 40
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		got    int
		failed error
	)
	for i := range takers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := stores[i%len(stores)].TakeToken(t.Context(), BucketRequest{Key: "shared", Now: t0, PerSec: 1, Burst: burst, Take: true})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = err
			}
			if err == nil && w == 0 {
				got++
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	if got != burst {
		t.Fatalf("%d of %d concurrent takes got a token from a bucket of %d", got, takers, burst)
	}
}
