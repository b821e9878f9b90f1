package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestIdempotencyLifecycle(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	ttl := 24 * time.Hour

	rec, err := s.BeginIdempotent(ctx, "k1", "fp1", t0, t0.Add(-ttl), t0.Add(ttl))
	if err != nil || rec != nil {
		t.Fatalf("first Begin = %+v, %v; want nil, nil", rec, err)
	}
	// A second call while the first runs sees the in-flight claim.
	now := t0.Add(time.Second)
	rec, err = s.BeginIdempotent(ctx, "k1", "fp2", now, now.Add(-ttl), now.Add(ttl))
	if err != nil || rec == nil {
		t.Fatalf("second Begin = %+v, %v; want the in-flight record", rec, err)
	}
	diff(t, "in-flight record", rec, &IdempotencyRecord{Fingerprint: "fp1", InFlight: true, CreatedAt: t0, ClaimUntil: t0.Add(ttl)})

	body := []byte(`{"id":"wh_1"}`)
	if err := s.CompleteIdempotent(ctx, outcome("k1", t0, 201, "/v1/webhooks/wh_1", body)); err != nil {
		t.Fatal(err)
	}
	rec, err = s.BeginIdempotent(ctx, "k1", "fp1", now, now.Add(-ttl), now.Add(ttl))
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "completed record", rec, &IdempotencyRecord{
		Fingerprint: "fp1", StatusCode: 201, Location: "/v1/webhooks/wh_1", Body: body, CreatedAt: t0,
	})

	// Abort leaves a completed record alone.
	if err := s.AbortIdempotent(ctx, IdempotencyClaim{Key: "k1", ClaimedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.BeginIdempotent(ctx, "k1", "fp1", now, now.Add(-ttl), now.Add(ttl)); rec == nil || rec.InFlight {
		t.Errorf("Abort removed a completed record: %+v", rec)
	}

	// Once expired, the key is claimed afresh.
	later := t0.Add(ttl + time.Nanosecond)
	rec, err = s.BeginIdempotent(ctx, "k1", "fp3", later, later.Add(-ttl), later.Add(ttl))
	if err != nil || rec != nil {
		t.Fatalf("Begin after expiry = %+v, %v; want nil, nil", rec, err)
	}
	rec, _ = s.BeginIdempotent(ctx, "k1", "fp4", later, later.Add(-ttl), later.Add(ttl))
	diff(t, "record after expiry", rec, &IdempotencyRecord{Fingerprint: "fp3", InFlight: true, CreatedAt: later, ClaimUntil: later.Add(ttl)})

	// Abort releases an in-flight claim for a retry.
	if err := s.AbortIdempotent(ctx, IdempotencyClaim{Key: "k1", ClaimedAt: later}); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.BeginIdempotent(ctx, "k1", "fp5", later, later.Add(-ttl), later.Add(ttl)); err != nil || rec != nil {
		t.Errorf("Begin after Abort = %+v, %v; want nil, nil", rec, err)
	}

	// An empty body is stored as empty, not as missing.
	if err := s.CompleteIdempotent(ctx, outcome("k1", later, 204, "", nil)); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.BeginIdempotent(ctx, "k1", "fp5", later, later.Add(-ttl), later.Add(ttl)); rec == nil || rec.Body == nil || len(rec.Body) != 0 || rec.StatusCode != 204 {
		t.Errorf("record with an empty body = %+v", rec)
	}

	if err := s.CompleteIdempotent(ctx, outcome("missing", later, 200, "", nil)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Complete of an unclaimed key = %v, want ErrNotFound", err)
	}
}

func TestPruneIdempotent(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Hour)
		if _, err := s.BeginIdempotent(ctx, fmt.Sprint("k", i), "fp", at, at, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneIdempotent(ctx, t0.Add(2*time.Hour)) // k0 and k1, not k2 (created exactly at t)
	if err != nil || n != 2 {
		t.Fatalf("PruneIdempotent = %d, %v; want 2", n, err)
	}
	for i := range 5 {
		rec, err := s.BeginIdempotent(ctx, fmt.Sprint("k", i), "fp", t0, t0.Add(-time.Hour), t0.Add(time.Hour))
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
			rec, err := s.BeginIdempotent(t.Context(), "same-key", fmt.Sprint("fp", i), t0, t0.Add(-time.Hour), t0.Add(time.Hour))
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

func outcome(key string, claimedAt time.Time, status int, location string, body []byte) IdempotentOutcome {
	return IdempotentOutcome{Claim: IdempotencyClaim{Key: key, ClaimedAt: claimedAt}, StatusCode: status, Location: location, Body: body}
}

// An in-flight claim holds until its lease runs out; then a retry takes the
// key over, and the first call can neither complete nor release it.
func TestIdempotencyLease(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	const ttl, lease = 24 * time.Hour, time.Minute
	begin := func(fp string, now time.Time) *IdempotencyRecord {
		t.Helper()
		rec, err := s.BeginIdempotent(ctx, "k", fp, now, now.Add(-ttl), now.Add(lease))
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	if rec := begin("fp", t0); rec != nil {
		t.Fatalf("first Begin = %+v, want a claim", rec)
	}
	if rec := begin("fp", t0.Add(lease)); rec == nil || !rec.InFlight {
		t.Fatalf("Begin at the end of the lease = %+v, want the in-flight claim", rec)
	}
	later := t0.Add(lease + time.Nanosecond)
	if rec := begin("fp", later); rec != nil {
		t.Fatalf("Begin past the lease = %+v, want the key taken over", rec)
	}
	if err := s.CompleteIdempotent(ctx, outcome("k", t0, 201, "", []byte("first"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("Complete of the claim taken over = %v, want ErrNotFound", err)
	}
	if err := s.AbortIdempotent(ctx, IdempotencyClaim{Key: "k", ClaimedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if rec := begin("fp", later); rec == nil || !rec.InFlight || !rec.CreatedAt.Equal(later) {
		t.Fatalf("after the first call's Abort: %+v, want the second claim untouched", rec)
	}
	if err := s.CompleteIdempotent(ctx, outcome("k", later, 201, "", []byte("second"))); err != nil {
		t.Fatal(err)
	}
	// A completed record is kept for the TTL, lease or not.
	if rec := begin("fp", later.Add(time.Hour)); rec == nil || rec.InFlight || string(rec.Body) != "second" {
		t.Fatalf("completed record an hour later = %+v", rec)
	}
}

// Opening the database releases the claims a previous process left in
// flight (the lock says it is gone) and keeps completed records.
func TestOpenReleasesClaimsOfADeadProcess(t *testing.T) {
	sqliteOnly(t, "a new process releases the claims of the one before it (its lock says that one is gone); on PostgreSQL they expire")
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := openAt(t, path, testKey)
	ctx := t.Context()
	far, hold := t0.Add(-time.Hour), t0.Add(time.Hour) // nothing expires, no lease runs out in this test
	for _, k := range []string{"running", "done"} {
		if _, err := s.BeginIdempotent(ctx, k, "fp", t0, far, hold); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CompleteIdempotent(ctx, outcome("done", t0, 201, "/v1/groups/grp_1", []byte("body"))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, testKey)
	if rec, err := s.BeginIdempotent(ctx, "running", "fp", t0, far, hold); err != nil || rec != nil {
		t.Errorf("claim of the previous process after reopen = %+v, %v; want it released", rec, err)
	}
	if rec, err := s.BeginIdempotent(ctx, "done", "fp", t0, far, hold); err != nil || rec == nil || rec.InFlight || string(rec.Body) != "body" {
		t.Errorf("completed record after reopen = %+v, %v; want it kept", rec, err)
	}
}

// A create given an outcome commits it with the object, or neither: a
// claim taken over makes the create write nothing.
func TestCreateCommitsItsOutcome(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	far, hold := t0.Add(-time.Hour), t0.Add(time.Hour)
	for _, k := range []string{"wh", "grp"} {
		if _, err := s.BeginIdempotent(ctx, k, "fp", t0, far, hold); err != nil {
			t.Fatal(err)
		}
	}
	w := minimalWebhook("wh_1", t0)
	if err := s.CreateWebhook(WithIdempotentOutcome(ctx, outcome("wh", t0, 201, "/v1/webhooks/wh_1", []byte("webhook"))), w); err != nil {
		t.Fatal(err)
	}
	g := &Group{ID: "grp_1", Name: "g", CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateGroup(WithIdempotentOutcome(ctx, outcome("grp", t0, 201, "/v1/groups/grp_1", []byte("group"))), g); err != nil {
		t.Fatal(err)
	}
	for k, body := range map[string]string{"wh": "webhook", "grp": "group"} {
		rec, err := s.BeginIdempotent(ctx, k, "fp", t0, far, hold)
		if err != nil || rec == nil || rec.InFlight || string(rec.Body) != body || rec.StatusCode != 201 {
			t.Errorf("%s: record after the create = %+v, %v; want the outcome", k, rec, err)
		}
	}

	// The claim was taken over (its lease ran out): nothing is written.
	later := t0.Add(2 * time.Minute)
	for _, k := range []string{"wh2", "grp2"} {
		if _, err := s.BeginIdempotent(ctx, k, "fp", t0, far, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if rec, err := s.BeginIdempotent(ctx, k, "fp", later, far, later.Add(time.Minute)); err != nil || rec != nil {
			t.Fatalf("take over %s: %+v, %v", k, rec, err)
		}
	}
	lost := minimalWebhook("wh_2", t0)
	if err := s.CreateWebhook(WithIdempotentOutcome(ctx, outcome("wh2", t0, 201, "", nil)), lost); !errors.Is(err, ErrClaimLost) {
		t.Errorf("CreateWebhook under a lost claim = %v, want ErrClaimLost", err)
	}
	if _, err := s.GetWebhook(ctx, "wh_2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the webhook of a lost claim was stored: %v", err)
	}
	if err := s.CreateGroup(WithIdempotentOutcome(ctx, outcome("grp2", t0, 201, "", nil)), &Group{ID: "grp_2", Name: "g2", CreatedAt: t0, UpdatedAt: t0}); !errors.Is(err, ErrClaimLost) {
		t.Errorf("CreateGroup under a lost claim = %v, want ErrClaimLost", err)
	}
	if _, err := s.GetGroup(ctx, "grp_2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the group of a lost claim was stored: %v", err)
	}
}

// A publish commits its outcome, made of what it wrote (Published), with
// the event and its deliveries; under a claim that was taken over it
// writes nothing.
func TestPublishCommitsItsOutcome(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	w := minimalWebhook("wh_a", t0)
	w.Active, w.Status, w.Events = true, StatusActive, []string{"transfer.created"}
	mustCreateWebhook(t, s, w)
	far, hold := t0.Add(-time.Hour), t0.Add(time.Minute)
	encode := func(o IdempotentOutcome) IdempotentOutcome {
		o.Encode = func(object any) ([]byte, error) {
			p, ok := object.(Published)
			if !ok {
				return nil, fmt.Errorf("encoded a %T, want a Published", object)
			}
			return []byte(fmt.Sprintf("%s:%d", p.EventID, p.Deliveries)), nil
		}
		return o
	}
	if _, err := s.BeginIdempotent(ctx, "pub", "fp", t0, far, hold); err != nil {
		t.Fatal(err)
	}
	ev := &Event{ID: "evt_1", Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: t0}
	if n, _, err := s.PublishEvent(WithIdempotentOutcome(ctx, encode(outcome("pub", t0, 202, "", nil))), ev, testDelivery(ev)); err != nil || n != 1 {
		t.Fatalf("PublishEvent = %d, %v; want 1 delivery", n, err)
	}
	if rec, err := s.BeginIdempotent(ctx, "pub", "fp", t0, far, hold); err != nil || rec == nil || rec.InFlight || string(rec.Body) != "evt_1:1" || rec.StatusCode != 202 {
		t.Errorf("record after the publish = %+v, %v; want the outcome evt_1:1", rec, err)
	}

	// The claim was taken over (its lease ran out): nothing is written.
	later := t0.Add(2 * time.Minute)
	if _, err := s.BeginIdempotent(ctx, "pub2", "fp", t0, far, hold); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.BeginIdempotent(ctx, "pub2", "fp", later, far, later.Add(time.Minute)); err != nil || rec != nil {
		t.Fatalf("take over: %+v, %v", rec, err)
	}
	lost := &Event{ID: "evt_2", Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: t0}
	if _, _, err := s.PublishEvent(WithIdempotentOutcome(ctx, encode(outcome("pub2", t0, 202, "", nil))), lost, testDelivery(lost)); !errors.Is(err, ErrClaimLost) {
		t.Errorf("PublishEvent under a lost claim = %v, want ErrClaimLost", err)
	}
	if _, err := s.GetEvent(ctx, "evt_2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the event of a lost claim was stored: %v", err)
	}
	if n, err := s.CountEventDeliveries(ctx, "evt_2"); err != nil || n != 0 {
		t.Errorf("the event of a lost claim has %d deliveries (%v), want 0", n, err)
	}
}

// A running call renews its claim: the claim then holds past its first
// lease, and ends a lease after the last renewal. A claim taken over
// cannot be renewed.
func TestRenewIdempotent(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	const ttl, lease = 24 * time.Hour, 15 * time.Second
	begin := func(now time.Time) *IdempotencyRecord {
		t.Helper()
		rec, err := s.BeginIdempotent(ctx, "k", "fp", now, now.Add(-ttl), now.Add(lease))
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	if rec := begin(t0); rec != nil {
		t.Fatalf("first Begin = %+v, want a claim", rec)
	}
	claim := IdempotencyClaim{Key: "k", ClaimedAt: t0}
	renewed := t0.Add(10 * time.Second)
	if err := s.RenewIdempotent(ctx, claim, renewed.Add(lease)); err != nil {
		t.Fatal(err)
	}
	// Past the first lease, the renewed claim holds, and says until when.
	if rec := begin(t0.Add(20 * time.Second)); rec == nil || !rec.InFlight || !rec.ClaimUntil.Equal(renewed.Add(lease)) {
		t.Fatalf("Begin past the first lease = %+v, want the claim held until %v", rec, renewed.Add(lease))
	}
	// A lease after the last renewal, it is taken over.
	over := renewed.Add(lease + time.Nanosecond)
	if rec := begin(over); rec != nil {
		t.Fatalf("Begin a lease after the renewal = %+v, want the key taken over", rec)
	}
	if err := s.RenewIdempotent(ctx, claim, over.Add(lease)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Renew of a claim taken over = %v, want ErrNotFound", err)
	}
	if rec := begin(over.Add(time.Second)); rec == nil || !rec.CreatedAt.Equal(over) {
		t.Fatalf("after the stale renewal: %+v, want the new claim untouched", rec)
	}
	// A completed record is not renewed.
	if err := s.CompleteIdempotent(ctx, outcome("k", over, 200, "", nil)); err != nil {
		t.Fatal(err)
	}
	if err := s.RenewIdempotent(ctx, IdempotencyClaim{Key: "k", ClaimedAt: over}, over.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Renew of a completed record = %v, want ErrNotFound", err)
	}
}

// A claim an older hookd made (no claim_until: it did not renew, and may
// still be running its call during a rolling upgrade) holds as long as it
// did then, 70 s from its creation, not one of today's shorter leases.
func TestIdempotencyClaimOfAnOlderHookd(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	const ttl, lease, old = 24 * time.Hour, 15 * time.Second, 70 * time.Second
	if _, err := s.BeginIdempotent(ctx, "k", "fp", t0, t0.Add(-ttl), t0.Add(lease)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.ExecContext(ctx, `UPDATE idempotency SET claim_until = NULL`); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(old)
	if rec, err := s.BeginIdempotent(ctx, "k", "fp", at, at.Add(-ttl), at.Add(lease)); err != nil || rec == nil || !rec.InFlight || !rec.ClaimUntil.Equal(t0.Add(old)) {
		t.Fatalf("Begin at the end of its old lease = %+v, %v; want it held until %v", rec, err, t0.Add(old))
	}
	after := at.Add(time.Nanosecond)
	if rec, err := s.BeginIdempotent(ctx, "k", "fp", after, after.Add(-ttl), after.Add(lease)); err != nil || rec != nil {
		t.Fatalf("Begin past its lease = %+v, %v; want the key taken over", rec, err)
	}
}
