package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestIdempotencyLifecycle(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	ttl := 24 * time.Hour

	rec, err := s.BeginIdempotent(ctx, "k1", "fp1", t0, t0.Add(-ttl))
	if err != nil || rec != nil {
		t.Fatalf("first Begin = %+v, %v; want nil, nil", rec, err)
	}
	// A second call while the first runs sees the in-flight claim.
	now := t0.Add(time.Second)
	rec, err = s.BeginIdempotent(ctx, "k1", "fp2", now, now.Add(-ttl))
	if err != nil || rec == nil {
		t.Fatalf("second Begin = %+v, %v; want the in-flight record", rec, err)
	}
	diff(t, "in-flight record", rec, &IdempotencyRecord{Fingerprint: "fp1", InFlight: true, CreatedAt: t0})

	body := []byte(`{"id":"wh_1"}`)
	if err := s.CompleteIdempotent(ctx, "k1", 201, "/v1/webhooks/wh_1", body); err != nil {
		t.Fatal(err)
	}
	rec, err = s.BeginIdempotent(ctx, "k1", "fp1", now, now.Add(-ttl))
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "completed record", rec, &IdempotencyRecord{
		Fingerprint: "fp1", StatusCode: 201, Location: "/v1/webhooks/wh_1", Body: body, CreatedAt: t0,
	})

	// Abort leaves a completed record alone.
	if err := s.AbortIdempotent(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.BeginIdempotent(ctx, "k1", "fp1", now, now.Add(-ttl)); rec == nil || rec.InFlight {
		t.Errorf("Abort removed a completed record: %+v", rec)
	}

	// Once expired, the key is claimed afresh.
	later := t0.Add(ttl + time.Nanosecond)
	rec, err = s.BeginIdempotent(ctx, "k1", "fp3", later, later.Add(-ttl))
	if err != nil || rec != nil {
		t.Fatalf("Begin after expiry = %+v, %v; want nil, nil", rec, err)
	}
	rec, _ = s.BeginIdempotent(ctx, "k1", "fp4", later, later.Add(-ttl))
	diff(t, "record after expiry", rec, &IdempotencyRecord{Fingerprint: "fp3", InFlight: true, CreatedAt: later})

	// Abort releases an in-flight claim for a retry.
	if err := s.AbortIdempotent(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.BeginIdempotent(ctx, "k1", "fp5", later, later.Add(-ttl)); err != nil || rec != nil {
		t.Errorf("Begin after Abort = %+v, %v; want nil, nil", rec, err)
	}

	// An empty body is stored as empty, not as missing.
	if err := s.CompleteIdempotent(ctx, "k1", 204, "", nil); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.BeginIdempotent(ctx, "k1", "fp5", later, later.Add(-ttl)); rec == nil || rec.Body == nil || len(rec.Body) != 0 || rec.StatusCode != 204 {
		t.Errorf("record with an empty body = %+v", rec)
	}

	if err := s.CompleteIdempotent(ctx, "missing", 200, "", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("Complete of an unclaimed key = %v, want ErrNotFound", err)
	}
}

func TestPruneIdempotent(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Hour)
		if _, err := s.BeginIdempotent(ctx, fmt.Sprint("k", i), "fp", at, at); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneIdempotent(ctx, t0.Add(2*time.Hour)) // k0 and k1, not k2 (created exactly at t)
	if err != nil || n != 2 {
		t.Fatalf("PruneIdempotent = %d, %v; want 2", n, err)
	}
	for i := range 5 {
		rec, err := s.BeginIdempotent(ctx, fmt.Sprint("k", i), "fp", t0, t0.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if pruned := rec == nil; pruned != (i < 2) {
			t.Errorf("k%d: pruned = %v", i, pruned)
		}
	}
	if n, err := s.PruneIdempotent(ctx, t0); err != nil || n != 0 {
		t.Errorf("second prune = %d, %v; want 0", n, err)
	}
}

// 50 concurrent first calls with one key: exactly one may run.
func TestBeginIdempotentConcurrent(t *testing.T) {
	s := newStore(t)
	const n = 50
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		claimed int
		errs    []error
	)
	for i := range n {
		wg.Go(func() {
			<-start
			rec, err := s.BeginIdempotent(t.Context(), "same-key", fmt.Sprint("fp", i), t0, t0.Add(-time.Hour))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case rec == nil:
				claimed++
			case !rec.InFlight:
				errs = append(errs, fmt.Errorf("record not in flight: %+v", rec))
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Errorf("errors: %v", errs)
	}
	if claimed != 1 {
		t.Errorf("%d calls claimed the key, want exactly 1", claimed)
	}
}

// Concurrent writers queue on the single writer connection instead of
// failing with SQLITE_BUSY, and concurrent readers do not disturb them.
func TestConcurrentCreates(t *testing.T) {
	s := newStore(t)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs <- s.CreateWebhook(t.Context(), fullWebhook(fmt.Sprintf("wh_%02d", i), "", t0.Add(time.Duration(i))))
		})
		wg.Go(func() {
			<-start
			_, _, err := s.ListWebhooks(t.Context(), WebhookFilter{}, Page{Limit: 10})
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	page, next, err := s.ListWebhooks(t.Context(), WebhookFilter{}, Page{Limit: 1000})
	if err != nil || len(page) != n || next != "" {
		t.Errorf("after concurrent creates: %d webhooks, next %q, %v; want %d", len(page), next, err, n)
	}
}
