package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// One process per SQLite database: a second open is refused, with a
// message that says what to do, until the first closes.
func TestSecondProcessRefused(t *testing.T) {
	sqliteOnly(t, "one process per SQLite file")
	path := filepath.Join(t.TempDir(), "hookd.db")
	first, err := OpenSQLite(path, testCipher(t, testKey))
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenSQLite(path, testCipher(t, testKey))
	if !errors.Is(err, ErrDatabaseInUse) {
		t.Fatalf("second open: %v, want ErrDatabaseInUse", err)
	}
	want := fmt.Sprintf("the database is in use by another hookd process: %s is locked through %s.lock; stop the other hookd first (to run several hookd processes, use PostgreSQL)", path, path)
	if err.Error() != want {
		t.Fatalf("message:\n got %s\nwant %s", err, want)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openAt(t, path, testKey)
}

// A second hookd given another path to the same file, through a symbolic
// link to the file or to its directory, is refused as well: it would
// deliver the same work (and release the first one's leases at start).
func TestSecondProcessRefusedThroughALink(t *testing.T) {
	sqliteOnly(t, "one process per SQLite file")
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	first, err := OpenSQLite(path, testCipher(t, testKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Close() })
	other := t.TempDir()
	fileLink, dirLink := filepath.Join(other, "link.db"), filepath.Join(other, "dir")
	if err := os.Symlink(path, fileLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, dirLink); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fileLink, filepath.Join(dirLink, "hookd.db")} {
		if s, err := OpenSQLite(p, testCipher(t, testKey)); !errors.Is(err, ErrDatabaseInUse) {
			if s != nil {
				_ = s.Close()
			}
			t.Fatalf("open through %s: %v, want ErrDatabaseInUse", p, err)
		}
	}

	// A link to a file not there yet (SQLite creates it): the first hookd
	// is given the link, the second the file.
	fresh, dangling := filepath.Join(dir, "fresh.db"), filepath.Join(other, "dangling.db")
	if err := os.Symlink(fresh, dangling); err != nil {
		t.Fatal(err)
	}
	viaLink, err := OpenSQLite(dangling, testCipher(t, testKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = viaLink.Close() })
	if s, err := OpenSQLite(fresh, testCipher(t, testKey)); !errors.Is(err, ErrDatabaseInUse) {
		if s != nil {
			_ = s.Close()
		}
		t.Fatalf("open of the file a dangling link named: %v, want ErrDatabaseInUse", err)
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

// Opening the database releases the leases of due work a previous process
// left (its lock says it is gone), reading the due index: schema step 9
// dropped the index on lease_until. The lease of a manual retry of a
// dead-lettered delivery is not due work: it runs out on its own.
func TestOpenReleasesLeasesOfDueWork(t *testing.T) {
	sqliteOnly(t, "a new process releases the leases of the one before it (its lock says that one is gone); on PostgreSQL they expire")
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := openAt(t, path, testKey)
	ctx := t.Context()
	due := addDeliveries(t, s, "evt_a", t0, "wh_1", "wh_2")
	dead := addDeliveries(t, s, "evt_b", t0, "wh_3")[0]
	// wh_3's delivery is dead-lettered, then a manual retry takes it.
	claimed := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("old", t0.Add(time.Hour)), Limit: 3})
	if len(claimed) != 3 {
		t.Fatalf("claimed %d, want 3", len(claimed))
	}
	for _, d := range claimed {
		if d.ID == dead {
			d.Status, d.NextAttemptAt = DeliveryDeadLettered, nil
			if err := s.FinishAttempt(ctx, "old", nil, &d); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.ClaimDelivery(ctx, dead, []string{DeliveryDeadLettered}, t0, lease("manual", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, testKey)
	var leasedIndexes int
	if err := s.writer.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'deliveries_leased'`).Scan(&leasedIndexes); err != nil || leasedIndexes != 0 {
		t.Fatalf("deliveries_leased after step 9: %d, %v", leasedIndexes, err)
	}
	// Within the old leases' hour, the due work is claimable at once...
	again := claimDue(t, s, ClaimRequest{Now: t0.Add(time.Minute), Lease: lease("new", t0.Add(2*time.Minute)), Limit: 10})
	diff(t, "claimed after reopen", deliveryIDs(again), due)
	// ...and the manual retry's lease holds until it runs out.
	if _, err := s.ClaimDelivery(ctx, dead, []string{DeliveryDeadLettered}, t0.Add(time.Minute), lease("manual2", t0.Add(2*time.Hour))); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("manual retry's delivery after reopen: %v, want ErrLeaseHeld until its lease runs out", err)
	}
	if _, err := s.ClaimDelivery(ctx, dead, []string{DeliveryDeadLettered}, t0.Add(time.Hour), lease("manual2", t0.Add(2*time.Hour))); err != nil {
		t.Fatalf("manual retry's delivery once its lease ran out: %v", err)
	}
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

// The cancel that follows a webhook's switch-off is a statement of its
// own: a re-enable and a publish may commit before it runs (hookd
// auto-disables an endpoint, a person re-enables it at once). The
// publish's delivery then belongs to an active webhook and is left to be
// attempted; a webhook switched off, auto-disabled or deleted has its
// work canceled.
func TestCancelSparesAReenabledWebhook(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	wh := minimalWebhook("wh_1", t0)
	wh.Active, wh.Status = true, StatusActive
	mustCreateWebhook(t, s, wh)
	setStatus := func(status string) {
		t.Helper()
		if _, err := s.UpdateWebhook(ctx, "wh_1", func(w *Webhook) error {
			w.Status = status
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	cancel := func(want int) {
		t.Helper()
		if n, err := s.CancelDeliveries(ctx, "wh_1", t0); err != nil || n != want {
			t.Fatalf("CancelDeliveries: %d, %v; want %d", n, err, want)
		}
	}
	status := func(id string) string {
		t.Helper()
		d, err := s.GetDelivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status
	}

	first := addDeliveries(t, s, "evt_a", t0, "wh_1")[0]
	setStatus(StatusAutoDisabled)
	setStatus(StatusActive) // re-enabled before the disable's cancel ran
	second := addDeliveries(t, s, "evt_b", t0, "wh_1")[0]
	cancel(0)
	if got := [2]string{status(first), status(second)}; got != [2]string{DeliveryPending, DeliveryPending} {
		t.Fatalf("after a late cancel of an active webhook: %v, want both pending", got)
	}

	// Switched off by hookd or by its owner, or deleted: everything pending
	// is canceled.
	setStatus(StatusAutoDisabled)
	cancel(2)
	if got := [2]string{status(first), status(second)}; got != [2]string{DeliveryCanceled, DeliveryCanceled} {
		t.Fatalf("auto-disabled: %v, want both canceled", got)
	}
	setStatus(StatusActive)
	addDeliveries(t, s, "evt_c", t0, "wh_1")
	setStatus(StatusInactive)
	cancel(1)
	setStatus(StatusActive)
	addDeliveries(t, s, "evt_d", t0, "wh_1")
	if err := s.DeleteWebhook(ctx, "wh_1"); err != nil {
		t.Fatal(err)
	}
	cancel(1)
}

// A cancel of a delivery whose lease has ended clears the lease's token
// with it: the worker that held the lease, paused past its end, finds its
// fence gone and cannot record its attempt over the cancel.
func TestCancelClearsAnEndedLease(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	id := addDeliveries(t, s, "evt_a", t0, "wh_1")[0]
	stale := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("old", t0.Add(time.Second)), Limit: 1})[0]
	if n, err := s.CancelDeliveries(ctx, "wh_1", t0.Add(2*time.Second)); err != nil || n != 1 {
		t.Fatalf("CancelDeliveries: %d, %v; want 1", n, err)
	}
	code := 500
	next := t0.Add(time.Hour)
	stale.Status, stale.AttemptCount, stale.NextAttemptAt, stale.LastResponseStatusCode = DeliveryRetrying, 1, &next, &code
	err := s.FinishAttempt(ctx, "old", &Attempt{DeliveryID: id, Number: 1, Trigger: AttemptScheduled, StartedAt: t0, ResponseStatusCode: &code}, &stale)
	if !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("FinishAttempt after the cancel: %v, want ErrLeaseLost", err)
	}
	got, err := s.GetDelivery(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != DeliveryCanceled || got.LeasedUntil != nil || got.AttemptCount != 0 {
		t.Fatalf("after the stale finish: status %s, leased until %v, %d attempts; want canceled, no lease, 0", got.Status, got.LeasedUntil, got.AttemptCount)
	}
}

// Retention prunes a finished delivery whose lease ended (a manual retry's
// process died mid-attempt) as any other, and keeps one a live lease holds.
func TestPruneDeliveriesLeaseRule(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	ended := addDeliveries(t, s, "evt_a", t0, "wh_1")[0]
	held := addDeliveries(t, s, "evt_b", t0, "wh_2")[0]
	for _, id := range []string{ended, held} {
		d := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("t_"+id, t0.Add(time.Second)), Limit: 1})[0]
		d.Status, d.NextAttemptAt = DeliveryDeadLettered, nil
		if err := s.FinishAttempt(ctx, "t_"+id, nil, &d); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(48 * time.Hour)
	if _, err := s.ClaimDelivery(ctx, ended, []string{DeliveryDeadLettered}, t0.Add(time.Hour), lease("retry1", t0.Add(time.Hour+time.Minute))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimDelivery(ctx, held, []string{DeliveryDeadLettered}, now, lease("retry2", now.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneDeliveries(ctx, t0.Add(24*time.Hour), now)
	if err != nil || n != 1 {
		t.Fatalf("PruneDeliveries: %d, %v; want 1", n, err)
	}
	if _, err := s.GetDelivery(ctx, ended); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the delivery whose lease ended: %v, want it pruned", err)
	}
	if _, err := s.GetDelivery(ctx, held); err != nil {
		t.Fatalf("the delivery a live lease holds: %v, want it kept", err)
	}
}

// A prune larger than a batch goes on batch after batch until everything
// due is deleted (a loop that stopped after one batch of 3 would leave 5
// of the 8), the deliveries' events with them, and keeps what is not due.
func TestPruneDeliveriesInBatches(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	old := pruneBatch
	pruneBatch = 3
	t.Cleanup(func() { pruneBatch = old })

	var finished []string
	for i := range 8 { // 8 events, one delivery each: three batches of 3
		id := addDeliveries(t, s, fmt.Sprintf("evt_%d", i), t0, fmt.Sprintf("wh_%d", i))[0]
		finished = append(finished, id)
		d := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("t_"+id, t0.Add(time.Second)), Limit: 1})[0]
		d.Status, d.NextAttemptAt = DeliverySucceeded, nil
		if err := s.FinishAttempt(ctx, "t_"+id, nil, &d); err != nil {
			t.Fatal(err)
		}
	}
	pending := addDeliveries(t, s, "evt_pending", t0, "wh_p")[0]

	n, err := s.PruneDeliveries(ctx, t0.Add(24*time.Hour), t0.Add(48*time.Hour))
	if err != nil || n != len(finished) {
		t.Fatalf("PruneDeliveries: %d, %v; want %d", n, err, len(finished))
	}
	for _, id := range finished {
		if _, err := s.GetDelivery(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want it pruned", id, err)
		}
	}
	if _, err := s.GetDelivery(ctx, pending); err != nil {
		t.Errorf("the pending delivery: %v, want it kept", err)
	}
	var events int
	if err := s.read().QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 1 {
		t.Errorf("%d events left, want 1 (the pending delivery's)", events)
	}
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

// EndInterruptedTests dead-letters only a test delivery that nothing
// schedules (no next attempt), made before the time given, that no live
// lease holds: not a young one (its attempt may be running in another
// process, not yet claimed), not one an attempt holds, and no scheduled
// delivery.
func TestEndInterruptedTests(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	add := func(id string, created time.Time, isTest bool, next *time.Time) {
		t.Helper()
		ev := &Event{ID: "evt_" + id, Type: "order.created", Body: []byte(`{}`), Fingerprint: "f", CreatedAt: created}
		d := Delivery{ID: id, WebhookID: "wh_1", EventID: ev.ID, EventType: ev.Type, Status: DeliveryPending, MaxAttempts: 1,
			CreatedAt: created, NextAttemptAt: next, DeadlineAt: created.Add(72 * time.Hour), Trigger: TriggerTest, IsTest: isTest}
		if _, err := s.CreateEvent(ctx, ev, []Delivery{d}); err != nil {
			t.Fatal(err)
		}
	}
	due := t0
	add("dlv_interrupted", t0, true, nil)
	add("dlv_held", t0, true, nil)
	add("dlv_young", t0.Add(time.Hour), true, nil)
	add("dlv_replay_of_a_test", t0, true, &due) // scheduled: the claims' business
	if _, err := s.ClaimDelivery(ctx, "dlv_held", []string{DeliveryPending}, t0.Add(time.Hour), lease("live", t0.Add(2*time.Hour))); err != nil {
		t.Fatal(err)
	}
	n, err := s.EndInterruptedTests(ctx, t0.Add(time.Minute), t0.Add(90*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("EndInterruptedTests: %d, %v; want 1", n, err)
	}
	for id, want := range map[string]string{"dlv_interrupted": DeliveryDeadLettered, "dlv_held": DeliveryPending, "dlv_young": DeliveryPending, "dlv_replay_of_a_test": DeliveryPending} {
		d, err := s.GetDelivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != want {
			t.Errorf("%s: %s, want %s", id, d.Status, want)
		}
		if id == "dlv_interrupted" && (d.LastError == nil || *d.LastError != InterruptedTestError || d.Leased(t0)) {
			t.Errorf("%s: last error %v, leased %v", id, d.LastError, d.Leased(t0))
		}
	}
}
