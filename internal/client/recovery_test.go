package client

import (
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
)

// A recovery lists the real deliveries of the range in the status asked
// for: a dead-lettered test delivery is left out, a delivery created
// exactly at since is in, one created at until is not.
func TestRecoveryListOptions(t *testing.T) {
	ctx := t.Context()
	c, _ := newTestClient(t, nil)
	wh := webhookWithEvent(t, c, "evt_client_recovery", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	dead := func(o DeliveryListOptions) []Delivery {
		t.Helper()
		page, err := c.ListDeliveries(ctx, wh.ID, o)
		if err != nil {
			t.Fatal(err)
		}
		return page.Data
	}
	var outage Delivery
	waitFor(t, "the event's dead letter", func() bool {
		ds := dead(DeliveryListOptions{Filter: deliveries.Filter{Status: "dead_lettered"}})
		if len(ds) == 1 {
			outage = ds[0]
		}
		return len(ds) == 1
	})
	// A failed test delivery is dead-lettered at once (410 also
	// auto-disabled the webhook, which does not stop a test).
	res, err := c.TestWebhook(ctx, wh.ID, "transfer.created")
	if err != nil || res.Succeeded {
		t.Fatalf("test: %+v %v", res, err)
	}
	if got := dead(DeliveryListOptions{Filter: deliveries.Filter{Status: "dead_lettered", IsTest: ptr(true)}}); len(got) != 1 || got[0].ID != res.DeliveryID {
		t.Fatalf("the test delivery is not dead-lettered: %+v", got)
	}

	ids := func(ds []Delivery) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	if got := ids(dead(RecoveryListOptions("dead_lettered", outage.CreatedAt, nil))); !slices.Equal(got, []string{outage.ID}) {
		t.Errorf("recovery since the dead letter's created_at: %v, want only %s (not the test delivery %s)", got, outage.ID, res.DeliveryID)
	}
	later := outage.CreatedAt.Add(time.Nanosecond)
	if got := dead(RecoveryListOptions("dead_lettered", later, nil)); len(got) != 0 {
		t.Errorf("recovery since just after the dead letter: %v", ids(got))
	}
	if got := dead(RecoveryListOptions("dead_lettered", outage.CreatedAt.Add(-time.Hour), &outage.CreatedAt)); len(got) != 0 {
		t.Errorf("recovery until the dead letter's created_at (exclusive): %v", ids(got))
	}
	if got := dead(RecoveryListOptions("succeeded", outage.CreatedAt, nil)); len(got) != 0 {
		t.Errorf("recovery of succeeded deliveries: %v", ids(got))
	}
	q := RecoveryListOptions("canceled", outage.CreatedAt, &later).query()
	if q.Get("is_test") != "false" || q.Get("status") != "canceled" || q.Get("unrecovered") != "true" || q.Get("created_before") == "" ||
		q.Get("created_after") != outage.CreatedAt.Add(-time.Nanosecond).UTC().Format(time.RFC3339Nano) {
		t.Errorf("query %v", q)
	}
}

// A recovery leaves out what was recovered: a delivery whose replay is
// under way or succeeded is not listed again, nor is the replay; when the
// replay failed too, the delivery is listed again (and its replay still
// not).
func TestRecoveryListOptionsLeavesOutRecovered(t *testing.T) {
	ctx := t.Context()
	c, _ := newTestClient(t, nil)
	var status atomic.Int32
	status.Store(http.StatusGone)
	wh := webhookWithEvent(t, c, "evt_client_recovered", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(int(status.Load())) }))
	list := func(o DeliveryListOptions) []string {
		t.Helper()
		var ids []string
		for d, err := range c.AllDeliveries(ctx, wh.ID, o) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ID)
		}
		return ids
	}
	deadLettered := DeliveryListOptions{Filter: deliveries.Filter{Status: "dead_lettered"}}
	waitFor(t, "the event's dead letter", func() bool { return len(list(deadLettered)) == 1 })
	original := list(deadLettered)[0]
	since := time.Now().Add(-time.Hour)
	if got := list(RecoveryListOptions("dead_lettered", since, nil)); !slices.Equal(got, []string{original}) {
		t.Fatalf("before any replay: %v, want [%s]", got, original)
	}
	// replay re-enables the webhook (a 410 disabled it) and replays.
	replay := func() *Delivery {
		t.Helper()
		active := "active"
		if _, err := c.UpdateWebhook(ctx, wh.ID, UpdateWebhookRequest{Status: &active}); err != nil {
			t.Fatal(err)
		}
		r, err := c.ReplayDelivery(ctx, original)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	state := func(id string) string {
		d, err := c.GetDelivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status
	}

	// The replay fails too: the original is still to recover.
	failed := replay()
	waitFor(t, "the replay's dead letter", func() bool { return state(failed.ID) == "dead_lettered" })
	if got := list(RecoveryListOptions("dead_lettered", since, nil)); !slices.Equal(got, []string{original}) {
		t.Errorf("after a failed replay: %v, want [%s] (not the replay %s)", got, original, failed.ID)
	}
	if got := list(deadLettered); len(got) != 2 {
		t.Errorf("without the recovery's filter: %v, want the original and its failed replay", got)
	}

	// The next one is under way, then succeeds: nothing to recover.
	status.Store(http.StatusOK)
	ok := replay()
	if got := list(RecoveryListOptions("dead_lettered", since, nil)); len(got) != 0 {
		t.Errorf("with a replay %s (%s): %v, want none", ok.ID, ok.Status, got)
	}
	waitFor(t, "the replay's success", func() bool { return state(ok.ID) == "succeeded" })
	for _, status := range []string{"dead_lettered", "succeeded"} {
		if got := list(RecoveryListOptions(status, since, nil)); len(got) != 0 {
			t.Errorf("a recovery of %s deliveries after a replay succeeded: %v, want none", status, got)
		}
	}
}
