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
// none, or 3, subscribe to the event, and fails when the cost grows with
// the webhooks that do not subscribe (issue 13 §3: "benchmark at 10 and
// 10,000 webhooks, same p50 within 2x"):
//
//	go test -run '^$' -bench PublishFanout -benchtime 200x ./internal/hookd/delivery/
//
// Each sub-benchmark (subscribed=0, subscribed=3) runs two hookd, one with
// 10 webhooks and one with 10,000, and publishes to them in turn, so that
// both are measured under the same load of the machine (2 shared cores);
// it reports the p50 and p99 of one publish to each (p50-ms-w10,
// p50-ms-w10000, ...) and their p50s' ratio, and fails when the p50 at
// 10,000 is more than maxFanoutRatio times the p50 at 10. The two stores
// are made once, before the first round (b.N = 1, a warm-up).
func BenchmarkPublishFanout(b *testing.B) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	data := json.RawMessage(`{"transfer_id":"tr_1"}`)
	for _, subscribed := range []int{0, 3} {
		few, many := fanoutServer(b, 10, subscribed, rcv.URL), fanoutServer(b, 10_000, subscribed, rcv.URL)
		b.Run(fmt.Sprintf("subscribed=%d", subscribed), func(b *testing.B) {
			lat := map[*hookdtest.Server][]time.Duration{few: make([]time.Duration, 0, b.N), many: make([]time.Duration, 0, b.N)}
			b.ResetTimer()
			for i := range b.N {
				order := []*hookdtest.Server{few, many}
				if i%2 == 1 {
					order[0], order[1] = many, few
				}
				for _, s := range order {
					t := time.Now()
					p, err := s.Engine.Publish(b.Context(), delivery.NewEvent{Type: "transfer.created", Data: data})
					lat[s] = append(lat[s], time.Since(t))
					if err != nil {
						b.Fatal(err)
					}
					if p.Deliveries != subscribed {
						b.Fatalf("%d deliveries, want %d", p.Deliveries, subscribed)
					}
				}
			}
			b.StopTimer()
			p50Few, p99Few := percentiles(lat[few])
			p50Many, p99Many := percentiles(lat[many])
			b.ReportMetric(ms(p50Few), "p50-ms-w10")
			b.ReportMetric(ms(p99Few), "p99-ms-w10")
			b.ReportMetric(ms(p50Many), "p50-ms-w10000")
			b.ReportMetric(ms(p99Many), "p99-ms-w10000")
			ratio := float64(p50Many) / float64(p50Few)
			b.ReportMetric(ratio, "p50-ratio")
			if err := fanoutGrows(b.N, p50Few, p50Many); err != nil {
				b.Error(err)
			}
		})
	}
}

// maxFanoutRatio is how many times the p50 of a publish with 10,000
// webhooks may be that with 10, the same webhooks subscribing (issue 13
// §3), and minFanoutSamples the publishes of each below which a round
// (the first, b.N = 1) is not judged.
const (
	maxFanoutRatio   = 2
	minFanoutSamples = 50
)

// fanoutGrows says when the p50 with 10,000 webhooks is more than
// maxFanoutRatio times the p50 with 10, in a round of n publishes to each.
func fanoutGrows(n int, p50Few, p50Many time.Duration) error {
	if n < minFanoutSamples || p50Many <= maxFanoutRatio*p50Few {
		return nil
	}
	return fmt.Errorf("publish p50 %s with 10,000 webhooks, %.1fx the %s with 10 (at most %dx: the cost grows with the webhooks that do not subscribe)",
		p50Many, float64(p50Many)/float64(p50Few), p50Few, maxFanoutRatio)
}

// fanoutServer is a hookd with hooks account webhooks on url, of which the
// first subscribed take transfer.created (through "*", "transfer.*" or the
// type itself) and the others other events.
func fanoutServer(b *testing.B, hooks, subscribed int, url string) *hookdtest.Server {
	b.Helper()
	s := hookdtest.Start(b)
	now := time.Now().UTC()
	for i := range hooks {
		events := []string{"workspace.created", "api_key.*"}
		if i < subscribed {
			events = []string{[]string{"*", "transfer.*", "transfer.created"}[i%3]}
		}
		wh := &store.Webhook{
			ID: ids.New("wh_"), Scope: store.ScopeAccount, URL: url, Events: events,
			Active: true, Status: store.StatusActive, Secret: "whsec_" + ids.New(""), SecretVersion: 1,
			CreatedAt: now, UpdatedAt: now,
		}
		if err := s.Store.CreateWebhook(b.Context(), wh); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// percentiles are the p50 and p99 of ds (sorted in place).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*99/100]
}

func TestFanoutGrows(t *testing.T) {
	const us = time.Microsecond
	for _, c := range []struct {
		n         int
		few, many time.Duration
		fails     bool
	}{
		{200, 30 * us, 60 * us, false}, // 2x: within
		{200, 30 * us, 61 * us, true},  // past 2x
		{200, 30 * us, 10 * us, false}, // cheaper with more: fine
		{1, 30 * us, 3000 * us, false}, // the warm-up round is not judged
	} {
		if err := fanoutGrows(c.n, c.few, c.many); (err != nil) != c.fails {
			t.Errorf("fanoutGrows(%d, %s, %s) = %v", c.n, c.few, c.many, err)
		}
	}
}
