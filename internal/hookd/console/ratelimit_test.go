package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

// A recovery that runs into the API's rate limit waits as the API asks
// and goes on: every delivery is replayed, none counted as refused. The
// limiter runs on the injected clock, so the test hands out one token per
// second by advancing it.
func TestRecoverWaitsForTheRateLimit(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithConfig(func(c *server.Config) { c.RateLimit, c.RateBurst = 1, 3000 }))
	rcv := newReceiver(t, http.StatusGone, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	since := clock.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05")
	deadLettered(t, s, wh, 3)
	api(t, s, http.MethodPatch, "/v1/webhooks/"+wh.ID, map[string]string{"status": "active"}, nil)
	rcv.set(http.StatusOK, "")
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	confirm := b.ok("/console/webhooks/" + wh.ID + "/recover?since=" + url.QueryEscape(since))
	if !strings.Contains(confirm.body, "Replay <strong>3</strong>") {
		t.Fatalf("confirmation:\n%s", confirm.body)
	}
	// Spend the key's burst, then give back one token: the recovery's check
	// of its query; its list and replays wait for the next ones.
	for n := 0; api(t, s, http.MethodGet, "/v1/webhooks/events", nil, nil) != http.StatusTooManyRequests; n++ {
		if n > 3000 {
			t.Fatal("no rate limit")
		}
	}
	clock.Advance(time.Second)
	res := b.do(http.MethodPost, "/console/webhooks/"+wh.ID+"/recover", url.Values{"since": {since}, "csrf": {confirm.csrf(t)}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/console/recoveries/") {
		t.Fatalf("recover: %d %s", res.status, res.header.Get("Location"))
	}
	progress := res.header.Get("Location")
	// Waiting for the rate limit, the recovery has not finished: its page
	// reloads itself every second, with a link to stop that first.
	checkRefreshing(t, "the running recovery", b.ok(progress), `<meta http-equiv="refresh" content="1">`, progress+"?refresh=off")
	checkStopped(t, "the running recovery, stopped", b.ok(progress+"?refresh=off"), progress)
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := b.ok(progress) // the progress page makes no API call
		if strings.Contains(p.body, "refused") {
			t.Fatalf("a replay was refused:\n%s", p.body)
		}
		if strings.Contains(p.body, "Done: 3 of 3 replayed") {
			// Finished: no more reloads, asked for or not.
			for _, path := range []string{progress, progress + "?refresh=off"} {
				if p := b.ok(path); strings.Contains(p.body, "http-equiv") || strings.Contains(p.body, "-refresh\"") {
					t.Errorf("%s, finished, still refreshes or offers to:\n%s", path, p.body)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the recovery did not finish:\n%s", p.body)
		}
		clock.Advance(time.Second)
		time.Sleep(5 * time.Millisecond)
	}
}
