package console_test

import (
	"context"
	"fmt"
	"net/http"
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
				ID: fmt.Sprintf("dlv_seed%dx%d", e, i), WebhookID: webhookID, EventID: ev.ID, EventType: ev.Type,
				Status: statuses[i%len(statuses)], AttemptCount: 1, MaxAttempts: 12, CreatedAt: at.Add(time.Duration(i) * time.Microsecond),
				DeadlineAt: at.Add(72 * time.Hour), Trigger: store.TriggerEvent, LastResponseStatusCode: &code,
			}
		}
		if _, err := s.Store.CreateEvent(context.Background(), ev, ds); err != nil {
			t.Fatal(err)
		}
	}
}

// Pages of a webhook with 10,000 deliveries in the last 24 hours, one
// benchmark per page (the target: each under 100 ms):
//
//	go test -run '^$' -bench ConsolePages ./internal/hookd/console/
func BenchmarkConsolePages(b *testing.B) {
	s := hookdtest.Start(b)
	rcv := newReceiver(b, http.StatusOK, "")
	wh := createWebhook(b, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	seed(b, s, wh.ID, 10000)
	br := newBrowser(b, s)
	br.signIn(s.APIKey)
	for _, page := range []struct{ name, path string }{
		{"webhooks", "/console/webhooks"},
		{"deliveries", "/console/webhooks/" + wh.ID},
		{"deliveries-dead-lettered", "/console/webhooks/" + wh.ID + "?status=dead_lettered"},
		{"delivery", "/console/deliveries/dlv_seed0x0"},
		{"catalog", "/console/catalog"},
	} {
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				br.ok(page.path)
			}
		})
	}
}
