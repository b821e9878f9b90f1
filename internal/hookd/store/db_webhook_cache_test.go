package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// Reads racing updates never leave a stale webhook in the cache: once the
// updates are done, every read sees the last one. What a caller does to
// the webhook it got does not reach the cache.
func TestWebhookCacheNeverStale(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	w := minimalWebhook("wh_1", t0)
	mustCreateWebhook(t, s, w)

	const updates = 200
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := s.GetWebhook(ctx, "wh_1")
				if err != nil {
					t.Error(err)
					return
				}
				got.URL, got.Events = "https://mutated.example", append(got.Events, "mutated")
			}
		}()
	}
	for i := range updates {
		if _, err := s.UpdateWebhook(ctx, "wh_1", func(w *Webhook) error {
			w.URL = fmt.Sprintf("https://example.com/%d", i)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	for range 3 {
		got := mustGetWebhook(t, s, "wh_1")
		if want := fmt.Sprintf("https://example.com/%d", updates-1); got.URL != want || len(got.Events) != 0 {
			t.Fatalf("after the updates: %s %v, want %s and no events", got.URL, got.Events, want)
		}
	}
	if err := s.DeleteWebhook(ctx, "wh_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetWebhook(ctx, "wh_1"); err == nil {
		t.Fatal("a deleted webhook is still read")
	}
}
