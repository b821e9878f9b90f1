package delivery_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// BenchmarkPublishFanout measures Engine.Publish (the store work of one
// publish, no HTTP) with 10 and with 10,000 account webhooks, of which
// none, or 3, subscribe to the event; it reports the p50 and p99 of one
// publish. The cost should not grow with the webhooks that do not
// subscribe (issue 13 §3):
//
//	go test -run '^$' -bench PublishFanout -benchtime 200x ./internal/hookd/delivery/
func BenchmarkPublishFanout(b *testing.B) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	for _, hooks := range []int{10, 10_000} {
		for _, subscribed := range []int{0, 3} {
			b.Run(fmt.Sprintf("webhooks=%d/subscribed=%d", hooks, subscribed), func(b *testing.B) {
				s := hookdtest.Start(b)
				now := time.Now().UTC()
				for i := range hooks {
					events := []string{"workspace.created", "api_key.*"}
					if i < subscribed {
						events = []string{[]string{"*", "transfer.*", "transfer.created"}[i%3]}
					}
					wh := &store.Webhook{
						ID: ids.New("wh_"), Scope: store.ScopeAccount, URL: rcv.URL, Events: events,
						Active: true, Status: store.StatusActive, Secret: "whsec_" + ids.New(""), SecretVersion: 1,
						CreatedAt: now, UpdatedAt: now,
					}
					if err := s.Store.CreateWebhook(b.Context(), wh); err != nil {
						b.Fatal(err)
					}
				}
				data := json.RawMessage(`{"transfer_id":"tr_1"}`)
				latencies := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for range b.N {
					t := time.Now()
					p, err := s.Engine.Publish(b.Context(), delivery.NewEvent{Type: "transfer.created", Data: data})
					latencies = append(latencies, time.Since(t))
					if err != nil {
						b.Fatal(err)
					}
					if p.Deliveries != subscribed {
						b.Fatalf("%d deliveries, want %d", p.Deliveries, subscribed)
					}
				}
				b.StopTimer()
				slices.Sort(latencies)
				b.ReportMetric(ms(latencies[len(latencies)/2]), "p50-ms")
				b.ReportMetric(ms(latencies[len(latencies)*99/100]), "p99-ms")
			})
		}
	}
}
