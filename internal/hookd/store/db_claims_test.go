package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// addDeliveries stores an event with one pending delivery per webhook id
// given, due at due, and returns the deliveries' ids in order.
func addDeliveries(t testing.TB, s *DB, eventID string, due time.Time, webhookIDs ...string) []string {
	t.Helper()
	ev := &Event{ID: eventID, Type: "order.created", Body: []byte(`{}`), Fingerprint: "f", CreatedAt: due}
	ds := make([]Delivery, len(webhookIDs))
	ids := make([]string, len(webhookIDs))
	for i, wh := range webhookIDs {
		next := due
		ids[i] = fmt.Sprintf("dlv_%s_%d", eventID, i)
		ds[i] = Delivery{ID: ids[i], WebhookID: wh, EventID: eventID, EventType: ev.Type, Status: DeliveryPending,
			MaxAttempts: 12, CreatedAt: due, NextAttemptAt: &next, DeadlineAt: due.Add(72 * time.Hour), Trigger: TriggerEvent}
	}
	if _, err := s.CreateEvent(context.Background(), ev, ds); err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	return ids
}

func claimDue(t *testing.T, s *DB, r ClaimRequest) []Delivery {
	t.Helper()
	ds, err := s.ClaimDue(context.Background(), r)
	if err != nil {
		t.Fatalf("ClaimDue: %v", err)
	}
	return ds
}

func deliveryIDs(ds []Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	sort.Strings(out)
	return out
}

func lease(token string, until time.Time) Lease { return Lease{Token: token, Until: until} }

// A claim takes only what is due and free, returns the rows as they are
// (with the lease), and nothing leased is taken twice until the lease
// expires.
func TestClaimDueRules(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := t0
	due := addDeliveries(t, s, "evt_a", now, "wh_1", "wh_2")
	later := addDeliveries(t, s, "evt_b", now.Add(time.Minute), "wh_1")

	got := claimDue(t, s, ClaimRequest{Now: now, Lease: lease("tok1", now.Add(45*time.Second)), Limit: 10})
	diff(t, "claimed", deliveryIDs(got), due)
	for _, d := range got {
		if d.LeasedUntil == nil || !d.LeasedUntil.Equal(now.Add(45*time.Second)) || !d.Leased(now) {
			t.Errorf("claimed %s: LeasedUntil %v", d.ID, d.LeasedUntil)
		}
	}
	if again := claimDue(t, s, ClaimRequest{Now: now.Add(44 * time.Second), Lease: lease("tok2", now.Add(time.Hour)), Limit: 10}); len(again) != 0 {
		t.Fatalf("claimed while leased: %v", deliveryIDs(again))
	}
	// At 45 s the lease has expired (a lease is live only while after
	// now), and the delivery due at one minute is not due yet.
	again := claimDue(t, s, ClaimRequest{Now: now.Add(45 * time.Second), Lease: lease("tok2", now.Add(time.Hour)), Limit: 10})
	diff(t, "claimed after the lease expired", deliveryIDs(again), due)
	// Terminal and test deliveries (no next attempt) are never due.
	d := again[0]
	d.Status, d.NextAttemptAt = DeliverySucceeded, nil
	if err := s.FinishAttempt(ctx, "tok2", nil, &d); err != nil {
		t.Fatal(err)
	}
	got = claimDue(t, s, ClaimRequest{Now: now.Add(2 * time.Hour), Lease: lease("tok3", now.Add(3*time.Hour)), Limit: 10})
	diff(t, "claimed at 2h", deliveryIDs(got), []string{due[1], later[0]})
}

// FinishAttempt is fenced by the lease token: a worker whose lease expired
// and was claimed by another writes nothing, attempt included, and the new
// holder's outcome stands.
func TestFinishAttemptFenced(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := t0
	id := addDeliveries(t, s, "evt_a", now, "wh_1")[0]
	stale := claimDue(t, s, ClaimRequest{Now: now, Lease: lease("old", now.Add(time.Second)), Limit: 1})[0]
	fresh := claimDue(t, s, ClaimRequest{Now: now.Add(time.Second), Lease: lease("new", now.Add(time.Minute)), Limit: 1})[0]

	code := 200
	fresh.Status, fresh.AttemptCount, fresh.NextAttemptAt, fresh.LastResponseStatusCode = DeliverySucceeded, 1, nil, &code
	if err := s.FinishAttempt(ctx, "new", &Attempt{DeliveryID: id, Number: 1, Trigger: AttemptScheduled, StartedAt: now, ResponseStatusCode: &code}, &fresh); err != nil {
		t.Fatalf("FinishAttempt of the holder: %v", err)
	}
	code2 := 500
	next := now.Add(time.Hour)
	stale.Status, stale.AttemptCount, stale.NextAttemptAt, stale.LastResponseStatusCode = DeliveryRetrying, 1, &next, &code2
	err := s.FinishAttempt(ctx, "old", &Attempt{DeliveryID: id, Number: 1, Trigger: AttemptScheduled, StartedAt: now, ResponseStatusCode: &code2}, &stale)
	if !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("FinishAttempt of a stale holder: %v, want ErrLeaseLost", err)
	}
	got, err := s.GetDelivery(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != DeliverySucceeded || got.AttemptCount != 1 || got.LeasedUntil != nil || *got.LastResponseStatusCode != 200 {
		t.Fatalf("after the stale finish: %+v", got)
	}
	_, attempts, err := s.GetDeliveryWithAttempts(ctx, id)
	if err != nil || len(attempts) != 1 || *attempts[0].ResponseStatusCode != 200 {
		t.Fatalf("attempts %+v, %v", attempts, err)
	}
	// A finish after the lease was released is fenced too.
	if err := s.FinishAttempt(ctx, "new", nil, &fresh); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("second finish: %v", err)
	}
}

// FinishAttempt writes the state an attempt owns and nothing else: the
// delivery's identity and schedule bounds stay as stored.
func TestFinishAttemptWritesOnlyAttemptState(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	id := addDeliveries(t, s, "evt_a", t0, "wh_1")[0]
	d := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("tok", t0.Add(time.Minute)), Limit: 1})[0]
	before := d
	d.WebhookID, d.EventType, d.MaxAttempts, d.DeadlineAt, d.Trigger = "wh_other", "x.y", 99, t0, TriggerReplay
	d.Status, d.AttemptCount = DeliveryRetrying, 1
	if err := s.FinishAttempt(ctx, "tok", nil, &d); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetDelivery(ctx, id)
	if got.WebhookID != before.WebhookID || got.EventType != before.EventType || got.MaxAttempts != before.MaxAttempts ||
		!got.DeadlineAt.Equal(before.DeadlineAt) || got.Trigger != before.Trigger || got.Status != DeliveryRetrying || got.AttemptCount != 1 {
		t.Fatalf("stored %+v", got)
	}
}

// The per-webhook cap: a webhook at its cap gets nothing, one below gets
// what is left of it, and the others fill the rest, soonest first.
func TestClaimDuePerWebhookCap(t *testing.T) {
	s := newStore(t)
	now := t0
	var slow []string
	for i := range 6 {
		slow = append(slow, addDeliveries(t, s, fmt.Sprintf("evt_s%d", i), now.Add(time.Duration(i)), "wh_slow")...)
	}
	fast := addDeliveries(t, s, "evt_f", now.Add(time.Second), "wh_a", "wh_b", "wh_c")
	r := ClaimRequest{Now: now.Add(time.Minute), Lease: lease("tok", now.Add(time.Hour)), Limit: 4, PerWebhook: 2}

	got := claimDue(t, s, r)
	want := append(append([]string{}, slow[:2]...), fast[:2]...)
	sort.Strings(want)
	diff(t, "first claim", deliveryIDs(got), want)
	r.Busy = map[string]int{"wh_slow": 2, "wh_a": 1, "wh_b": 1}
	got = claimDue(t, s, r)
	diff(t, "with wh_slow at its cap", deliveryIDs(got), fast[2:])
	r.Busy = map[string]int{"wh_slow": 1}
	got = claimDue(t, s, r)
	diff(t, "with wh_slow one below", deliveryIDs(got), slow[2:3])
}

// ClaimDelivery says why it did not claim.
func TestClaimDeliveryErrors(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	id := addDeliveries(t, s, "evt_a", t0, "wh_1")[0]
	if _, err := s.ClaimDelivery(ctx, id, []string{DeliveryRetrying}, t0, lease("a", t0.Add(time.Minute))); !errors.Is(err, ErrNotClaimable) {
		t.Fatalf("wrong status: %v", err)
	}
	d, err := s.ClaimDelivery(ctx, id, []string{DeliveryPending}, t0, lease("a", t0.Add(time.Minute)))
	if err != nil || d.ID != id || !d.Leased(t0) {
		t.Fatalf("claim: %+v, %v", d, err)
	}
	if _, err := s.ClaimDelivery(ctx, id, []string{DeliveryPending}, t0.Add(59*time.Second), lease("b", t0.Add(time.Hour))); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("leased: %v", err)
	}
	if _, err := s.ClaimDelivery(ctx, "dlv_nope", []string{DeliveryPending}, t0, lease("b", t0.Add(time.Hour))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := s.ClaimDelivery(ctx, id, []string{DeliveryPending}, t0.Add(time.Minute), lease("b", t0.Add(time.Hour))); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

// NextAttemptAt counts a delivery whose lease expired as due, and an
// unexpired lease as the time its delivery may be due again.
func TestNextAttemptAt(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	next := func(now time.Time) *time.Time {
		t.Helper()
		n, err := s.NextAttemptAt(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := next(t0); n != nil {
		t.Fatalf("empty store: %v", n)
	}
	addDeliveries(t, s, "evt_a", t0, "wh_1")
	addDeliveries(t, s, "evt_b", t0.Add(time.Hour), "wh_1")
	claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("tok", t0.Add(45*time.Second)), Limit: 1})
	if n := next(t0); n == nil || !n.Equal(t0.Add(45*time.Second)) {
		t.Fatalf("with a live lease: %v, want its expiry", n)
	}
	if n := next(t0.Add(45 * time.Second)); n == nil || !n.Equal(t0) {
		t.Fatalf("after the lease expired: %v, want the delivery's own due time", n)
	}
}

// Two claimers racing (two engines, or a manual retry and the scheduler)
// never take the same delivery while its lease is live.
func TestClaimsRaceWithoutOverlap(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const n = 200
	var all []string
	for i := range n / 4 {
		all = append(all, addDeliveries(t, s, fmt.Sprintf("evt_%d", i), t0, "wh_1", "wh_2", "wh_3", "wh_4")...)
	}
	var mu sync.Mutex
	owner := map[string]string{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				tok := fmt.Sprintf("w%d-%d", w, i)
				var got []Delivery
				if i%3 == 0 {
					// One by one, as a manual retry does.
					d, err := s.ClaimDelivery(ctx, all[(w*31+i)%n], []string{DeliveryPending}, t0, lease(tok, t0.Add(time.Hour)))
					if err == nil {
						got = []Delivery{*d}
					} else if !errors.Is(err, ErrLeaseHeld) {
						t.Error(err)
						return
					}
				} else {
					var err error
					if got, err = s.ClaimDue(ctx, ClaimRequest{Now: t0, Lease: lease(tok, t0.Add(time.Hour)), Limit: 3}); err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
				}
				mu.Lock()
				for _, d := range got {
					if prev, ok := owner[d.ID]; ok {
						t.Errorf("%s claimed by %s and %s", d.ID, prev, tok)
					}
					owner[d.ID] = tok
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(owner) != n {
		t.Fatalf("%d of %d deliveries claimed", len(owner), n)
	}
}

// A webhook whose backlog fills every candidate read and reaches its cap
// does not hide the others' due work from the claim.
func TestClaimDueLooksPastACappedBacklog(t *testing.T) {
	s := newStore(t)
	for i := range 100 {
		addDeliveries(t, s, fmt.Sprintf("evt_a%d", i), t0.Add(time.Duration(i)), "wh_a")
	}
	b := addDeliveries(t, s, "evt_b", t0.Add(time.Second), "wh_b")
	got := claimDue(t, s, ClaimRequest{Now: t0.Add(time.Minute), Lease: lease("tok", t0.Add(time.Hour)), Limit: 4, PerWebhook: 2})
	perHook := map[string]int{}
	for _, d := range got {
		perHook[d.WebhookID]++
	}
	if perHook["wh_a"] != 2 || perHook["wh_b"] != 1 || len(got) != 3 {
		t.Fatalf("claimed %v, want 2 of wh_a and %s", perHook, b[0])
	}
}

// FirstPageOnly reads one page of due deliveries, soonest first, and
// passes over those of webhooks at their cap instead of looking past them;
// a webhook below its cap is still served from that page. PostgreSQL
// ignores it (the read would lock the rows it passes over).
func TestClaimDueFirstPageOnly(t *testing.T) {
	s := newStore(t)
	var a []string
	for i := range 100 {
		a = append(a, addDeliveries(t, s, fmt.Sprintf("evt_a%d", i), t0.Add(time.Duration(i)), "wh_a")...)
	}
	b := addDeliveries(t, s, "evt_b", t0.Add(time.Second), "wh_b")
	r := ClaimRequest{Now: t0.Add(time.Minute), Lease: lease("tok", t0.Add(time.Hour)), Limit: 4, PerWebhook: 2,
		Busy: map[string]int{"wh_a": 2}, FirstPageOnly: true}
	if testPostgres() {
		diff(t, "first page only on PostgreSQL: looks past wh_a", deliveryIDs(claimDue(t, s, r)), b)
		return
	}
	if got := claimDue(t, s, r); len(got) != 0 {
		t.Fatalf("first page only, wh_a at its cap: claimed %v, want none (wh_b is past the page)", deliveryIDs(got))
	}
	r.Busy = map[string]int{"wh_a": 1}
	diff(t, "first page only, wh_a one below its cap", deliveryIDs(claimDue(t, s, r)), a[:1])
	r.Busy, r.FirstPageOnly = map[string]int{"wh_a": 2}, false
	diff(t, "looking past wh_a", deliveryIDs(claimDue(t, s, r)), b)
}

// A claim for many workers fills them from as many capped backlogs as it
// takes: eight webhooks with 150 due deliveries each, one after another in
// the due index, fill 128 workers at 16 a webhook. (The claim used to stop
// after four reads, at 64, and the engine took that short claim to mean
// that nothing else was due for 200 ms.)
func TestClaimDueFillsFromManyCappedBacklogs(t *testing.T) {
	s := newStore(t)
	n := 0
	for w := range 8 {
		for i := range 150 {
			addDeliveries(t, s, fmt.Sprintf("evt_%d_%d", w, i), t0.Add(time.Duration(n)), fmt.Sprintf("wh_%d", w))
			n++
		}
	}
	got := claimDue(t, s, ClaimRequest{Now: t0.Add(time.Minute), Lease: lease("tok", t0.Add(time.Hour)), Limit: 128, PerWebhook: 16})
	perHook := map[string]int{}
	for _, d := range got {
		perHook[d.WebhookID]++
	}
	if len(got) != 128 || len(perHook) != 8 {
		t.Fatalf("claimed %d: %v, want 16 of each of 8 webhooks", len(got), perHook)
	}
}

// One read of candidates is at most maxClaimPage rows, however many
// workers are free: with one webhook at its cap ahead of the rest, a
// first-page claim for 100 workers reads 128 rows of its backlog, not 400,
// and only a claim that looks past it reaches the other webhook's
// delivery behind them.
func TestClaimDuePageBounded(t *testing.T) {
	sqliteOnly(t, "FirstPageOnly is SQLite's (PostgreSQL always looks past: TestClaimDueFirstPageOnly)")
	s := newStore(t)
	for i := range maxClaimPage + 50 {
		addDeliveries(t, s, fmt.Sprintf("evt_a%d", i), t0.Add(time.Duration(i)), "wh_a")
	}
	b := addDeliveries(t, s, "evt_b", t0.Add(time.Second), "wh_b")
	r := ClaimRequest{Now: t0.Add(time.Minute), Lease: lease("tok", t0.Add(time.Hour)), Limit: 100, PerWebhook: 2,
		Busy: map[string]int{"wh_a": 2}, FirstPageOnly: true}
	if got := claimDue(t, s, r); len(got) != 0 {
		t.Fatalf("first page only, wh_a at its cap: claimed %v, want none (wh_b is past the %d rows of a page)", deliveryIDs(got), maxClaimPage)
	}
	r.FirstPageOnly = false
	diff(t, "looking past wh_a", deliveryIDs(claimDue(t, s, r)), b)
}

// NextAttemptAt's read of lease expiries is a range of the due index, the
// rows before the first free one (the attempts running), not the whole
// backlog: written with an OR (d.due IS NULL OR next_attempt_at < d.due),
// SQLite walked every due row, 674 µs a call with one webhook's 5,000
// queued instead of 27, and the scheduler of a webhook at its cap calls
// it at every pause.
func TestNextAttemptAtReadsARange(t *testing.T) {
	sqliteOnly(t, "SQLite's query plan")
	s := newStore(t)
	plan := queryPlan(t, s.writer, qNextAttempt, 1, 2)
	for i, line := range plan {
		if strings.HasPrefix(line, "CORRELATED SCALAR SUBQUERY") {
			if i+1 >= len(plan) || !strings.Contains(plan[i+1], "deliveries_due_webhook (next_attempt_at<?)") {
				t.Fatalf("the lease expiries are not read as a range of the due index:\n%s", strings.Join(plan, "\n"))
			}
			return
		}
	}
	t.Fatalf("no correlated subquery in the plan:\n%s", strings.Join(plan, "\n"))
}

// A delivery and its attempts are read as of one moment: while attempts
// are recorded one after another, every read shows as many attempts as
// the delivery counts. Two reads apart (the delivery, then its attempts)
// showed an attempt beside the state before it.
func TestDeliveryWithAttemptsIsOneSnapshot(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	id := addDeliveries(t, s, "evt_a", t0, "wh_1")[0]
	const attempts = 40
	done := make(chan error, 1)
	go func() {
		code := 500
		for n := 1; n <= attempts; n++ {
			now := t0.Add(time.Duration(n) * time.Minute)
			tok := fmt.Sprintf("tok%d", n)
			ds, err := s.ClaimDue(ctx, ClaimRequest{Now: now, Lease: lease(tok, now.Add(time.Second)), Limit: 1})
			if err != nil || len(ds) != 1 {
				done <- fmt.Errorf("claim %d: %v, %d claimed", n, err, len(ds))
				return
			}
			d := ds[0]
			d.Status, d.AttemptCount, d.NextAttemptAt, d.LastResponseStatusCode = DeliveryRetrying, n, &now, &code
			if err := s.FinishAttempt(ctx, tok, &Attempt{DeliveryID: id, Number: n, Trigger: AttemptScheduled, StartedAt: now, ResponseStatusCode: &code}, &d); err != nil {
				done <- fmt.Errorf("finish %d: %w", n, err)
				return
			}
		}
		done <- nil
	}()
	reads := 0
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if reads == 0 {
				t.Fatal("no read ran while the attempts were recorded")
			}
			return
		default:
		}
		d, as, err := s.GetDeliveryWithAttempts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.AttemptCount != len(as) {
			t.Fatalf("read %d: the delivery counts %d attempts, the read shows %d", reads, d.AttemptCount, len(as))
		}
		reads++
	}
}
