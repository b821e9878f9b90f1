package store

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/ids"
)

// BenchmarkDrain is the store's share of the delivery engine draining a
// backlog: one loop claims as many deliveries as workers are free, the
// workers record each attempt (FinishAttempt) at once, with no receiver in
// between. The writes are the engine's (claims and finishes committed in
// groups), so that a change to the schema or the statements can be
// measured without the noise of HTTP (make bench-delivery measures the
// whole). b.N deliveries over 10 webhooks; reports deliveries/s. It keeps
// the 32 workers the engine had by default when the README's figures of it
// were taken (128 since): it compares builds, at one worker count.
func BenchmarkDrain(b *testing.B) {
	const workers, webhooks = 32, 10
	s := newStore(b)
	ctx := context.Background()
	now := time.Now()
	hooks := make([]string, webhooks)
	for w := range hooks {
		hooks[w] = fmt.Sprintf("wh_%d", w)
	}
	for e := 0; e < (b.N+webhooks-1)/webhooks; e++ {
		// Events published a microsecond apart, as the engine stamps them:
		// the due index holds each event's deliveries together, in order;
		// ids made in time order, as the engine's are.
		addDeliveries(b, s, ids.New("evt_"), now.Add(time.Duration(e)*time.Microsecond), hooks...)
	}
	headers := map[string]string{
		"Content-Type": "application/json", "User-Agent": "hookd/dev", "webhook-timestamp": "1764500000",
		"webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
		"Hookd-Signature":   "t=1764500000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
	}
	slots := make(chan struct{}, workers)
	busy := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := 0
	b.ResetTimer()
	start := time.Now()
	for done < b.N {
		slots <- struct{}{}
		n := 1
		for n < workers {
			select {
			case slots <- struct{}{}:
				n++
				continue
			default:
			}
			break
		}
		mu.Lock()
		claimed, err := s.ClaimDue(ctx, ClaimRequest{Now: time.Now(), Lease: Lease{Token: "tok", Until: time.Now().Add(time.Minute)},
			Limit: n, PerWebhook: workers / 2, Busy: busy, FirstPageOnly: true})
		for _, d := range claimed {
			busy[d.WebhookID]++
		}
		mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
		for range n - len(claimed) {
			<-slots
		}
		done += len(claimed)
		for _, d := range claimed {
			wg.Add(1)
			go func() {
				defer wg.Done()
				at := time.Now()
				code, ms := 204, int64(1)
				d.Status, d.AttemptCount, d.LastAttemptAt, d.NextAttemptAt = DeliverySucceeded, 1, &at, nil
				d.LastResponseStatusCode, d.LastDurationMS = &code, &ms
				h := maps.Clone(headers)
				h["webhook-id"] = d.EventID
				a := &Attempt{DeliveryID: d.ID, Number: 1, Trigger: string(TriggerEvent), StartedAt: at, DurationMS: ms, ResponseStatusCode: &code, RequestHeaders: h}
				if err := s.FinishAttempt(ctx, "tok", a, &d); err != nil {
					b.Error(err)
				}
				mu.Lock()
				busy[d.WebhookID]--
				mu.Unlock()
				<-slots
			}()
		}
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}
