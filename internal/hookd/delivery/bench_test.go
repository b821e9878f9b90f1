package delivery_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

// BenchmarkDelivery publishes events to 1, 10 and 100 webhooks on a local
// receiver and reports delivered events per second and the p50/p99 latency
// from the publish call's return to the receiver's handler.
func BenchmarkDelivery(b *testing.B) {
	for _, hooks := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("webhooks=%d", hooks), func(b *testing.B) {
			var mu sync.Mutex
			var latencies []time.Duration
			accepted := map[string]time.Time{}
			done := make(chan struct{}, 1<<16)
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				now := time.Now()
				mu.Lock()
				if t0, ok := accepted[r.Header.Get("Webhook-Id")]; ok {
					latencies = append(latencies, now.Sub(t0))
				}
				mu.Unlock()
				w.WriteHeader(204)
				done <- struct{}{}
			}))
			defer rcv.Close()
			s := hookdtest.Start(b, hookdtest.WithConfig(func(c *server.Config) { c.DeliveryWorkers = 16 }))
			for range hooks {
				benchCall(b, s, "/v1/webhooks/account", map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
			}
			data := json.RawMessage(benchExample(b, s))
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				id := fmt.Sprintf("evt_bench%d", i)
				mu.Lock()
				accepted[id] = time.Now()
				mu.Unlock()
				benchCall(b, s, "/v1/events", map[string]any{"id": id, "type": "transfer.created", "data": data})
			}
			for range b.N * hooks {
				<-done
			}
			elapsed := time.Since(start)
			b.StopTimer()
			sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
			b.ReportMetric(float64(b.N*hooks)/elapsed.Seconds(), "deliveries/s")
			if len(latencies) > 0 {
				b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}

func benchCall(b *testing.B, s *hookdtest.Server, path string, body any) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.URL+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+s.APIKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		b.Fatalf("%s: %d", path, res.StatusCode)
	}
}

func benchExample(b *testing.B, s *hookdtest.Server) []byte {
	req, _ := http.NewRequest("GET", s.URL+"/v1/webhooks/events", nil)
	req.Header.Set("Authorization", "Bearer "+s.APIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var cat struct {
		Data []struct {
			Type    string          `json:"type"`
			Example json.RawMessage `json:"example"`
		} `json:"data"`
	}
	_ = json.NewDecoder(res.Body).Decode(&cat)
	for _, et := range cat.Data {
		if et.Type == "transfer.created" {
			return et.Example
		}
	}
	b.Fatal("no transfer.created")
	return nil
}
