package client

import (
	"net/http"
	"slices"
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
	if q.Get("is_test") != "false" || q.Get("status") != "canceled" || q.Get("created_before") == "" ||
		q.Get("created_after") != outage.CreatedAt.Add(-time.Nanosecond).UTC().Format(time.RFC3339Nano) {
		t.Errorf("query %v", q)
	}
}
