package delivery_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

// BenchmarkDelivery publishes b.N events to 1, 10 and 100 webhooks on a
// local receiver and reports events/s and deliveries/s delivered, and the
// p50 and p99 latency from accept to delivery: from the event's created_at
// (set when hookd accepts and stores it) to the receiver's handler.
//
//	go test -run '^$' -bench Delivery -benchtime 200x ./internal/hookd/delivery/
//
// (Setup calls bypass the contract check, which would dominate the time.)
func BenchmarkDelivery(b *testing.B) {
	for _, hooks := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("webhooks=%d", hooks), func(b *testing.B) {
			total := int64(b.N * hooks)
			var received atomic.Int64
			var mu sync.Mutex
			latencies := make([]time.Duration, 0, total)
			done := make(chan struct{})
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				now := time.Now()
				var ev struct {
					CreatedAt time.Time `json:"created_at"`
				}
				body, _ := io.ReadAll(r.Body)
				if err := json.Unmarshal(body, &ev); err == nil {
					mu.Lock()
					latencies = append(latencies, now.Sub(ev.CreatedAt))
					mu.Unlock()
				}
				w.WriteHeader(http.StatusNoContent)
				if received.Add(1) == total {
					close(done)
				}
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
				benchCall(b, s, "/v1/events", map[string]any{"id": fmt.Sprintf("evt_bench%d", i), "type": "transfer.created", "data": data})
			}
			select {
			case <-done:
			case <-time.After(time.Minute):
				b.Fatalf("%d of %d deliveries after a minute", received.Load(), total)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			mu.Lock()
			defer mu.Unlock()
			slices.Sort(latencies)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(total)/elapsed.Seconds(), "deliveries/s")
			if len(latencies) > 0 {
				b.ReportMetric(ms(latencies[len(latencies)/2]), "p50-ms")
				b.ReportMetric(ms(latencies[len(latencies)*99/100]), "p99-ms")
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func benchCall(b *testing.B, s *hookdtest.Server, path string, body any) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.URL+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+s.APIKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
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
