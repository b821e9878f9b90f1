package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// publisher publishes events through hookd's API (POST /v1/events), each
// with the catalog's example payload and an id hookd generates; with
// several hookd processes, through each in turn.
type publisher struct {
	urls   []string
	next   atomic.Uint64
	client *http.Client
	body   []byte
}

func newPublisher(h *hookd, data json.RawMessage, conns int) (*publisher, error) {
	body, err := json.Marshal(map[string]any{"type": eventType, "data": data})
	if err != nil {
		return nil, err
	}
	return &publisher{
		urls: eventURLs(h.urls),
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns,
		}},
		body: body,
	}, nil
}

// published is an accepted event and when the publish call returned.
type published struct {
	EventID  string
	Returned time.Time
}

// publish makes one publish call and returns the accepted event's id and
// the time the call returned (the response read).
func (p *publisher) publish(ctx context.Context) (published, error) {
	url := p.urls[(p.next.Add(1)-1)%uint64(len(p.urls))]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(p.body))
	if err != nil {
		return published{}, err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := p.client.Do(req)
	if err != nil {
		return published{}, err
	}
	raw, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	returned := time.Now()
	if err != nil {
		return published{}, err
	}
	if res.StatusCode != http.StatusAccepted {
		return published{}, fmt.Errorf("publish: %d %s", res.StatusCode, bytes.TrimSpace(raw))
	}
	var acc struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal(raw, &acc); err != nil || acc.EventID == "" {
		return published{}, fmt.Errorf("publish: unreadable answer %q", raw)
	}
	return published{EventID: acc.EventID, Returned: returned}, nil
}

func eventURLs(apis []string) []string {
	out := make([]string, len(apis))
	for i, u := range apis {
		out[i] = u + "/v1/events"
	}
	return out
}

func (p *publisher) close() { p.client.CloseIdleConnections() }

// apiReadEvery spaces the API reads of apiReads: an operator's or a
// Terraform refresh's load, not a second benchmark.
const apiReadEvery = 50 * time.Millisecond

// apiReadNote says what the reports' API read figures are.
var apiReadNote = fmt.Sprintf("API read: GET /v1/webhooks?limit=10, one at a time every %s, during the saturation window and while draining: what an operator or a Terraform refresh gets while hookd delivers", apiReadEvery)

// apiReads reads the first page of webhooks (GET /v1/webhooks?limit=10)
// every apiReadEvery until stop, one read at a time through the first
// process, and returns the latency of each: what the API answers while
// hookd delivers (a read never waits for the engine, but shares the
// database and the CPU with it).
func (p *publisher) apiReads(ctx context.Context, stop <-chan struct{}) ([]time.Duration, error) {
	url := strings.TrimSuffix(p.urls[0], "/v1/events") + "/v1/webhooks?limit=10"
	var lats []time.Duration
	tick := time.NewTicker(apiReadEvery)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return lats, nil
		case <-ctx.Done():
			return lats, ctx.Err()
		case <-tick.C:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return lats, err
		}
		req.Header.Set("Authorization", "Bearer "+apiKey)
		start := time.Now()
		res, err := p.client.Do(req)
		if err != nil {
			return lats, fmt.Errorf("api read: %w", err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return lats, fmt.Errorf("api read: %d", res.StatusCode)
		}
		lats = append(lats, time.Since(start))
	}
}

// ledger collects what the publishers published, and their failures.
type ledger struct {
	mu     sync.Mutex
	events []published
	errs   int
	first  error
}

func (l *ledger) add(ev published, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errs++
		if l.first == nil {
			l.first = err
		}
		return
	}
	l.events = append(l.events, ev)
}

// failed reports the failed publishes, if any.
func (l *ledger) failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.errs == 0 {
		return nil
	}
	return fmt.Errorf("%d publishes failed, the first: %w", l.errs, l.first)
}

// returnedAt indexes the events by id.
func (l *ledger) returnedAt() map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[string]time.Time, len(l.events))
	for _, ev := range l.events {
		m[ev.EventID] = ev.Returned
	}
	return m
}

// atRate publishes at rate events/s from now until ctx ends or until d has
// passed, open loop: an event's publish starts on schedule whether or not
// earlier ones have returned (at most maxInFlight at once), so that a slow
// answer does not hide the latency it causes. It returns how many
// publishes could not start on time for want of a free slot.
func atRate(ctx context.Context, p *publisher, l *ledger, rate float64, d time.Duration) int {
	const maxInFlight = 256
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	late := 0
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= d {
			return late
		}
		if wait := time.Until(at); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return late
			}
		}
		select {
		case slots <- struct{}{}:
		default:
			late++
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return late
			}
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			l.add(p.publish(ctx))
		}()
	}
}

// flatOut runs c publishers in a closed loop until stop is closed.
func flatOut(ctx context.Context, p *publisher, l *ledger, c int, stop <-chan struct{}) {
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				l.add(p.publish(ctx))
			}
		}()
	}
	wg.Wait()
}
