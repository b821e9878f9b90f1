package delivery_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Terminal deliveries, and events left without deliveries, are pruned once
// older than the retention period (--retention), on the engine's clock.
// Work still in progress is kept whatever its age.
func TestRetentionPrunes(t *testing.T) {
	e := newEnv(t, hookdtest.WithConfig(func(c *server.Config) { c.Retention = 48 * time.Hour }))
	ok := newReceiver(t, always(200))
	failing := newReceiver(t, always(500))
	wh := e.webhook("account", map[string]any{"url": ok.URL, "events": []string{"transfer.created"}})
	slow := e.webhook("account", map[string]any{"url": failing.URL, "events": []string{"workspace.created"}})
	e.publish(map[string]any{"id": "evt_old", "type": "transfer.created", "data": e.example("transfer.created")})
	e.publish(map[string]any{"id": "evt_stuck", "type": "workspace.created", "data": e.example("workspace.created")})
	eventually(t, "the first outcomes", func() bool {
		return e.deliveries(wh.ID, "")[0].Status == "succeeded" && e.deliveries(slow.ID, "")[0].Status == "retrying"
	})
	old, stuck := e.deliveries(wh.ID, "")[0], e.deliveries(slow.ID, "")[0]

	e.advance(30 * time.Hour)
	e.publish(map[string]any{"id": "evt_new", "type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "the new delivery", func() bool {
		ds := e.deliveries(wh.ID, "")
		return len(ds) == 2 && ds[0].Status == "succeeded"
	})
	e.call("GET", "/v1/deliveries/"+old.ID, nil, http.StatusOK, nil) // 30 h old: kept

	e.advance(20 * time.Hour) // the old delivery is 50 h old, the new one 20 h
	eventually(t, "the old delivery to be pruned", func() bool { return len(e.deliveries(wh.ID, "")) == 1 })
	if d := e.deliveries(wh.ID, "")[0]; d.EventID != "evt_new" {
		t.Fatalf("kept %+v", d)
	}
	e.call("GET", "/v1/deliveries/"+old.ID, nil, http.StatusNotFound, nil)
	// Events go in the prune's second step, a commit after the deliveries'
	// (pruned in batches): the list can show the delivery gone a moment
	// before its event is (seen on PostgreSQL in CI).
	eventually(t, "the pruned delivery's event to be pruned too", func() bool {
		_, err := e.s.Store.GetEvent(t.Context(), "evt_old")
		return errors.Is(err, store.ErrNotFound)
	})
	if d := e.delivery(stuck.ID); d.Status != "retrying" {
		t.Errorf("a delivery still retrying was pruned or ended: %+v", d)
	}
	if _, err := e.s.Store.GetEvent(t.Context(), "evt_stuck"); err != nil {
		t.Errorf("the event of a delivery in progress: %v", err)
	}
}

// The stored outcomes of idempotent requests go with the deliveries once
// the API no longer replays them (24 h), so keys never used again do not
// stay for ever.
func TestRetentionPrunesIdempotencyKeys(t *testing.T) {
	e := newEnv(t)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.s.URL+"/v1/groups", strings.NewReader(`{"name":"payments"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.s.APIKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "create-payments")
	res, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	// The engine prunes hourly, on its clock; past a day the key is gone,
	// and a prune of everything up to now finds nothing left.
	for range 25 {
		e.advance(time.Hour)
	}
	e.advance(time.Nanosecond) // the scheduler is waiting again: its last round, prune included, is over
	if n, err := e.s.Store.PruneIdempotent(t.Context(), e.clock.Now()); err != nil || n != 0 {
		t.Fatalf("after a day: %d idempotency keys left for a prune to find (%v), want the engine to have pruned them", n, err)
	}
}
