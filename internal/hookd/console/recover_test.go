package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/console"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Recover counts the dead-lettered deliveries since a time, asks, then
// replays them in the background and shows its progress.
func TestRecover(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusGone, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	since := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05")
	deadLettered(t, s, wh, 3)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	b.post("/console/webhooks", "/console/webhooks/"+wh.ID+"/enable", nil)
	rcv.set(http.StatusOK, "")

	if p := b.ok("/console/webhooks/" + wh.ID + "/recover"); !strings.Contains(p.body, `name="since"`) {
		t.Fatal("no time to choose")
	}
	confirm := "/console/webhooks/" + wh.ID + "/recover?since=" + url.QueryEscape(since)
	p := b.ok(confirm)
	if !strings.Contains(p.body, "Replay <strong>3</strong> dead-lettered deliveries") {
		t.Fatalf("confirmation:\n%s", p.body)
	}
	res := b.post(confirm, "/console/webhooks/"+wh.ID+"/recover", url.Values{"since": {since}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/console/recoveries/") {
		t.Fatalf("recover: %d %s", res.status, res.header.Get("Location"))
	}
	progress := res.header.Get("Location")
	waitFor(t, "the recovery", func() bool { return strings.Contains(b.ok(progress).body, "Done: 3 of 3 replayed") })
	waitFor(t, "the replays", func() bool {
		n := 0
		for _, d := range deliveries(t, s, wh.ID) {
			if d.Trigger == "replay" && d.Status == "succeeded" {
				n++
			}
		}
		return n == 3
	})
	// The recovery is shown to the sessions of the key that started it:
	// another session of that key sees it; a session of another key gets
	// the answer of a recovery that does not exist.
	const otherKey = "hookd_second-key-of-TestRecover"
	if err := s.Store.AddAPIKey(t.Context(), secrets.HashAPIKey(otherKey), time.Now()); err != nil {
		t.Fatal(err)
	}
	same := newBrowser(t, s)
	same.signIn(s.APIKey)
	if p := same.get(progress); p.status != http.StatusOK || !strings.Contains(p.body, "Done: 3 of 3 replayed") {
		t.Errorf("the recovery, to another session of its key: %d\n%s", p.status, p.body)
	}
	other := newBrowser(t, s)
	other.signIn(otherKey)
	other.ok("/console/webhooks/" + wh.ID) // the key reads the webhook
	unknown := other.get("/console/recoveries/nope")
	if unknown.status != http.StatusNotFound {
		t.Errorf("unknown recovery: %d", unknown.status)
	}
	if p := other.get(progress); p.status != http.StatusNotFound || strings.Contains(p.body, "replayed") ||
		!strings.Contains(p.body, "No such recovery") {
		t.Errorf("the recovery, to a session of another key: %d\n%s", p.status, p.body)
	}
	// A bad time: the form's field, named as the page labels it.
	p = b.get("/console/webhooks/" + wh.ID + "/recover?since=yesterday")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Since (UTC): &#34;yesterday&#34; is not a date and time") {
		t.Errorf("bad since: %d\n%s", p.status, p.body)
	}
}

// Recover leaves test deliveries out, as hookd_webhook_recover does: a
// failed test delivery is dead-lettered at once, but it is not part of the
// outage and is not sent again.
func TestRecoverLeavesOutTestDeliveries(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusGone, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	since := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05")
	deadLettered(t, s, wh, 1)
	test := testDelivery(t, s, wh.ID)
	var got apiDelivery
	if api(t, s, http.MethodGet, "/v1/deliveries/"+test, nil, &got); got.Status != "dead_lettered" {
		t.Fatalf("the failed test delivery is %s, want dead_lettered", got.Status)
	}
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	b.post("/console/webhooks", "/console/webhooks/"+wh.ID+"/enable", nil)
	rcv.set(http.StatusOK, "")

	confirm := "/console/webhooks/" + wh.ID + "/recover?since=" + url.QueryEscape(since)
	if p := b.ok(confirm); !strings.Contains(p.body, "Replay <strong>1</strong> dead-lettered delivery created") {
		t.Fatalf("confirmation, with a dead-lettered test delivery:\n%s", p.body)
	}
	res := b.post(confirm, "/console/webhooks/"+wh.ID+"/recover", url.Values{"since": {since}})
	progress := res.header.Get("Location")
	waitFor(t, "the recovery", func() bool { return strings.Contains(b.ok(progress).body, "Done: 1 of 1 replayed") })
	for _, d := range deliveries(t, s, wh.ID) {
		if d.ReplayOf != nil && *d.ReplayOf == test {
			t.Errorf("the test delivery %s was replayed as %s", test, d.ID)
		}
	}
}

// seedDeadLetters stores n dead-lettered deliveries of webhookID, one a
// second up to now, straight into the store, and returns their ids oldest
// first.
func seedDeadLetters(t testing.TB, s *hookdtest.Server, webhookID string, n int) []string {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	ev := &store.Event{ID: "evt_dead", Type: "transfer.created", Body: []byte(`{"type":"transfer.created"}`), CreatedAt: now.Add(-time.Duration(n) * time.Second)}
	ids := make([]string, n)
	ds := make([]store.Delivery, n)
	for i := range ds {
		code := http.StatusGone
		ids[i] = fmt.Sprintf("dlv_dead%03d", i)
		at := now.Add(-time.Duration(n-i) * time.Second)
		ds[i] = store.Delivery{
			ID: ids[i], WebhookID: webhookID, EventID: ev.ID, EventType: ev.Type, Status: store.DeliveryDeadLettered,
			AttemptCount: 1, MaxAttempts: 12, CreatedAt: at, DeadlineAt: at.Add(72 * time.Hour),
			Trigger: store.TriggerEvent, LastResponseStatusCode: &code,
		}
	}
	if _, err := s.Store.CreateEvent(context.Background(), ev, ds); err != nil {
		t.Fatal(err)
	}
	return ids
}

// A recovery replays every dead-lettered delivery of the range, however
// many pages of the API's list they take, oldest first; the confirmation
// counts them all (the API's total).
func TestRecoverEveryPage(t *testing.T) {
	console.SetListPages(t, 2, 2) // pages of 2
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	since := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04:05")
	dead := seedDeadLetters(t, s, wh.ID, 7)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)

	confirm := "/console/webhooks/" + wh.ID + "/recover?since=" + url.QueryEscape(since)
	p := b.ok(confirm)
	for _, want := range []string{"Replay <strong>7</strong> dead-lettered deliveries", ">Replay 7</button>"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the confirmation lacks %q:\n%s", want, p.body)
		}
	}
	res := b.post(confirm, "/console/webhooks/"+wh.ID+"/recover", url.Values{"since": {since}})
	progress := res.header.Get("Location")
	waitFor(t, "the recovery", func() bool { return strings.Contains(b.ok(progress).body, "Done: 7 of 7 replayed.") })
	var replayed []string
	for _, d := range deliveries(t, s, wh.ID) {
		if d.ReplayOf != nil {
			replayed = append(replayed, *d.ReplayOf)
		}
	}
	slices.Reverse(replayed) // listed newest first
	if !slices.Equal(replayed, dead) {
		t.Errorf("replayed %v, want every dead letter once, oldest first: %v", replayed, dead)
	}
}
