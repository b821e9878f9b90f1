package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Many attempts finishing at once are committed together, each with its
// own outcome: the holders' writes land, a stale holder's is refused.
func TestFinishAttemptGroupCommit(t *testing.T) {
	sqliteOnly(t, "group commit serves SQLite's one writer")
	s := newStore(t)
	ctx := context.Background()
	const n = 120
	for i := range n / 4 {
		addDeliveries(t, s, fmt.Sprintf("evt_%d", i), t0, "wh_1", "wh_2", "wh_3", "wh_4")
	}
	claimed := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("tok", t0.Add(time.Hour)), Limit: n})
	if len(claimed) != n {
		t.Fatalf("claimed %d", len(claimed))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := claimed[i]
			code := 200 + i
			d.Status, d.AttemptCount, d.NextAttemptAt, d.LastResponseStatusCode = DeliverySucceeded, 1, nil, &code
			token := "tok"
			if i%10 == 0 {
				token = "stale" // a holder whose lease was taken over
			}
			errs[i] = s.FinishAttempt(ctx, token, &Attempt{DeliveryID: d.ID, Number: 1, Trigger: AttemptScheduled, StartedAt: t0, ResponseStatusCode: &code}, &d)
		}()
	}
	wg.Wait()
	for i, d := range claimed {
		got, attempts, err := s.GetDeliveryWithAttempts(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			if !errors.Is(errs[i], ErrLeaseLost) || got.Status != DeliveryPending || len(attempts) != 0 {
				t.Errorf("stale finish %d: %v, status %s, %d attempts", i, errs[i], got.Status, len(attempts))
			}
			continue
		}
		if errs[i] != nil || got.Status != DeliverySucceeded || *got.LastResponseStatusCode != 200+i || len(attempts) != 1 {
			t.Errorf("finish %d: %v, %+v, %d attempts", i, errs[i], got, len(attempts))
		}
	}
}

// One write that fails for its own reason (here an attempt number already
// recorded) fails alone: the others of its group are committed without it.
func TestGroupIsolatesAFailure(t *testing.T) {
	sqliteOnly(t, "group commit serves SQLite's one writer")
	s := newStore(t)
	ctx := context.Background()
	addDeliveries(t, s, "evt_a", t0, "wh_1", "wh_2", "wh_3")
	claimed := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("tok", t0.Add(time.Hour)), Limit: 3})
	bad := claimed[1].ID
	if err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO attempts (delivery_id, number, trigger, started_at, duration_ms, response_body, request_headers)
			VALUES (?, 1, 'scheduled', 0, 0, '', '{}')`, bad)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var batch []*groupReq
	for i := range claimed {
		d := claimed[i]
		d.Status, d.AttemptCount = DeliverySucceeded, 1
		a := &Attempt{DeliveryID: d.ID, Number: 1, Trigger: AttemptScheduled, StartedAt: t0, RequestHeaders: map[string]string{}}
		batch = append(batch, &groupReq{done: make(chan struct{}), fn: func(ctx context.Context, tx execQuerier) error { return finishOne(ctx, tx, "tok", a, &d) }})
	}
	s.flushGroup(ctx, batch)
	for i, r := range batch {
		got, _ := s.GetDelivery(ctx, claimed[i].ID)
		if claimed[i].ID == bad {
			// The delivery's update ran before the attempt's insert failed:
			// the savepoint took both back.
			if r.err == nil || got.Status != DeliveryPending || got.LeasedUntil == nil {
				t.Errorf("the bad write: %v, status %s, lease %v", r.err, got.Status, got.LeasedUntil)
			}
			continue
		}
		if r.err != nil || got.Status != DeliverySucceeded {
			t.Errorf("write %d: %v, status %s", i, r.err, got.Status)
		}
	}
}
