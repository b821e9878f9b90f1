package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// seed stores n finished deliveries of wh spread over the last 24 hours,
// straight into the store (publishing them would take minutes), three in
// four succeeded and the fourth dead-lettered, with ids dlv_seed<e>x<i>.
func seed(t testing.TB, s *hookdtest.Server, webhookID string, n int) {
	seedAs(t, s, webhookID, n, "seed", store.DeliverySucceeded, store.DeliverySucceeded, store.DeliverySucceeded, store.DeliveryDeadLettered)
}

// seedAs is seed with ids of prefix and statuses in turn.
func seedAs(t testing.TB, s *hookdtest.Server, webhookID string, n int, prefix string, statuses ...string) {
	t.Helper()
	now := time.Now().UTC()
	const perEvent = 100
	for e := 0; e < n/perEvent; e++ {
		at := now.Add(-time.Duration(e) * 24 * time.Hour / time.Duration(n/perEvent)).Truncate(time.Microsecond)
		ev := &store.Event{ID: fmt.Sprintf("evt_%s%d", prefix, e), Type: "transfer.created", Body: []byte(`{"type":"transfer.created"}`), CreatedAt: at}
		ds := make([]store.Delivery, perEvent)
		for i := range ds {
			code := 200
			ds[i] = store.Delivery{
				ID: fmt.Sprintf("dlv_%s%dx%d", prefix, e, i), WebhookID: webhookID, EventID: ev.ID, EventType: ev.Type,
				Status: statuses[i%len(statuses)], AttemptCount: 1, MaxAttempts: 12, CreatedAt: at.Add(time.Duration(i) * time.Microsecond),
				DeadlineAt: at.Add(72 * time.Hour), Trigger: store.TriggerEvent, LastResponseStatusCode: &code,
			}
		}
		if _, err := s.Store.CreateEvent(context.Background(), ev, ds); err != nil {
			t.Fatal(err)
		}
	}
}

// seedAttempts records n attempts of the dead-lettered delivery id, each
// with a 4 KiB response body and a request's headers, as the engine would:
// claim, then finish.
func seedAttempts(t testing.TB, s *hookdtest.Server, id string, n int) {
	t.Helper()
	ctx := context.Background()
	body := strings.Repeat("<p>upstream error</p>", 4096/20)[:4096]
	for i := 1; i <= n; i++ {
		now := time.Now()
		lease := store.Lease{Token: fmt.Sprintf("seed%d", i), Until: now.Add(time.Minute)}
		d, err := s.Store.ClaimDelivery(ctx, id, []string{store.DeliveryDeadLettered}, now, lease)
		if err != nil {
			t.Fatal(err)
		}
		code := http.StatusBadGateway
		a := &store.Attempt{
			DeliveryID: id, Number: i, Trigger: store.AttemptManual, StartedAt: now, DurationMS: 120,
			ResponseStatusCode: &code, ResponseBody: body,
			RequestHeaders: map[string]string{
				"Content-Type": "application/json", "User-Agent": "hookd/test", "Webhook-Id": d.EventID,
				"Webhook-Timestamp": "1796086124", "Webhook-Signature": "[redacted]", "Hookd-Delivery-Id": id,
				"Hookd-Attempt": fmt.Sprint(i), "Hookd-Signature": "[redacted]",
			},
		}
		d.AttemptCount, d.LastResponseStatusCode = i, &code
		if err := s.Store.FinishAttempt(ctx, lease.Token, a, d); err != nil {
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
	seedAttempts(b, s, "dlv_seed0x3", 12) // a dead letter: every fourth
	allDead := createWebhook(b, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	seedAs(b, s, allDead.ID, 10000, "dead", store.DeliveryDeadLettered)
	since := url.QueryEscape(time.Now().UTC().Add(-25 * time.Hour).Format("2006-01-02T15:04:05"))
	br := newBrowser(b, s)
	br.signIn(s.APIKey)
	if p := br.ok("/console/webhooks/" + allDead.ID + "/recover?since=" + since); !strings.Contains(p.body, "Replay <strong>10000</strong>") {
		b.Fatalf("the confirmation does not count 10,000:\n%s", p.body)
	}
	for _, page := range []struct{ name, path string }{
		{"webhooks", "/console/webhooks"},
		{"deliveries", "/console/webhooks/" + wh.ID},
		{"deliveries-dead-lettered", "/console/webhooks/" + wh.ID + "?status=dead_lettered"},
		{"delivery", "/console/deliveries/dlv_seed0x0"},
		{"delivery-12-attempts", "/console/deliveries/dlv_seed0x3"},
		// Counts the 2,500 dead letters, then 10,000 (the API's total).
		{"recover-confirm", "/console/webhooks/" + wh.ID + "/recover?since=" + since},
		{"recover-confirm-10000", "/console/webhooks/" + allDead.ID + "/recover?since=" + since},
		{"catalog", "/console/catalog"},
	} {
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				br.ok(page.path)
			}
		})
	}
}
