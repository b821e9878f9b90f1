package delivery_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// gatedStore holds the next claim, once armed, until the test lets it go:
// so that the clock can move while a claim runs.
type gatedStore struct {
	delivery.Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStore) ClaimDue(ctx context.Context, r store.ClaimRequest) ([]store.Delivery, error) {
	if g.armed.CompareAndSwap(true, false) {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.Store.ClaimDue(ctx, r)
}

// A delivery that falls due while a claim runs (the claim read the clock
// before) is claimed at once, not a poll interval later: the scheduler
// claims again when the next due time it reads is after its claim's time.
// On a fake clock that nobody moves, a poll would never come.
func TestDueDuringClaimIsClaimedAtOnce(t *testing.T) {
	c, err := secrets.NewCipher(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "hookd.db"), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var received atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)

	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	start := clock.Now()
	ctx := t.Context()
	wh := &store.Webhook{
		ID: "wh_0123456789abcdefghij", Scope: store.ScopeAccount, URL: rcv.URL, Events: []string{"transfer.created"},
		Active: true, Status: store.StatusActive, Secret: secrets.NewSecret(), SecretVersion: 1,
		CreatedAt: start, UpdatedAt: start, SignatureScheme: rules.SchemeV1,
	}
	if err := db.CreateWebhook(ctx, wh); err != nil {
		t.Fatal(err)
	}
	due := start.Add(10 * time.Second)
	ev := &store.Event{ID: "evt_due", Type: "transfer.created", Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: start}
	if _, err := db.CreateEvent(ctx, ev, []store.Delivery{{
		ID: "dlv_0123456789abcdefghij", WebhookID: wh.ID, EventID: ev.ID, EventType: ev.Type, Status: store.DeliveryPending,
		MaxAttempts: 12, CreatedAt: start, NextAttemptAt: &due, DeadlineAt: start.Add(72 * time.Hour), Trigger: store.TriggerEvent,
	}}); err != nil {
		t.Fatal(err)
	}

	gs := &gatedStore{Store: db, entered: make(chan struct{}), release: make(chan struct{})}
	e := delivery.New(delivery.Config{Store: gs, Catalog: catalog.Default(), Clock: clock, AllowPrivateDestinations: true, Version: "test"})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })

	// The scheduler sleeps until the delivery is due; woken early, its
	// claim reads the clock (10 s too early), and the clock moves past the
	// due time while the claim runs.
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	gs.armed.Store(true)
	e.Wake()
	select {
	case <-gs.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the woken scheduler made no claim")
	}
	clock.Advance(10 * time.Second)
	close(gs.release)

	deadline := time.Now().Add(5 * time.Second)
	for received.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the delivery due since the claim was not attempted (the scheduler waits for a poll on a clock that does not move)")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
