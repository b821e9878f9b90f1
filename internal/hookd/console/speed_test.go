package console_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// seed stores n finished deliveries of wh spread over the last 24 hours,
// straight into the store (publishing them would take minutes).
func seed(t testing.TB, s *hookdtest.Server, webhookID string, n int) {
	t.Helper()
	now := time.Now().UTC()
	statuses := []string{store.DeliverySucceeded, store.DeliverySucceeded, store.DeliverySucceeded, store.DeliveryDeadLettered}
	const perEvent = 100
	for e := 0; e < n/perEvent; e++ {
		at := now.Add(-time.Duration(e) * 24 * time.Hour / time.Duration(n/perEvent)).Truncate(time.Microsecond)
		ev := &store.Event{ID: fmt.Sprintf("evt_seed%d", e), Type: "transfer.created", Body: []byte(`{"type":"transfer.created"}`), CreatedAt: at}
		ds := make([]store.Delivery, perEvent)
		for i := range ds {
			code := 200
			ds[i] = store.Delivery{
				ID: fmt.Sprintf("dlv_seed%d_%d", e, i), WebhookID: webhookID, EventID: ev.ID, EventType: ev.Type,
				Status: statuses[i%len(statuses)], AttemptCount: 1, MaxAttempts: 12, CreatedAt: at.Add(time.Duration(i) * time.Microsecond),
				DeadlineAt: at.Add(72 * time.Hour), Trigger: store.TriggerEvent, LastResponseStatusCode: &code,
			}
		}
		if _, err := s.Store.CreateEvent(context.Background(), ev, ds); err != nil {
			t.Fatal(err)
		}
	}
}

// Pages of a webhook with 10,000 deliveries in the last 24 hours: the
// median of 5 loads of each is logged, and must stay under 100 ms.
func TestPageSpeed(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timings: without -short and -race only (go test -run TestPageSpeed -v ./internal/hookd/console/)")
	}
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	seed(t, s, wh.ID, 10000)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	for _, path := range []string{"/console/webhooks", "/console/webhooks/" + wh.ID, "/console/webhooks/" + wh.ID + "?status=dead_lettered", "/console/deliveries/dlv_seed0_0", "/console/catalog"} {
		var times []time.Duration
		for range 5 {
			start := time.Now()
			b.ok(path)
			times = append(times, time.Since(start))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		t.Logf("%-60s median %v", path, times[2].Round(100*time.Microsecond))
		if times[2] > 100*time.Millisecond {
			t.Errorf("%s: median %v", path, times[2])
		}
	}
}
