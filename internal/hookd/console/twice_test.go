package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// A form sent twice (a double click, or the same page sent again: a browser resubmitting it) acts once:
// its page's one-time token is the API call's Idempotency-Key, and the
// second send shows the first's outcome. Replay, retry, a test event and a
// recovery alike.
func TestFormSentTwiceActsOnce(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusGone, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	since := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05")
	dead := deadLettered(t, s, wh, 3)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	b.post("/console/webhooks", "/console/webhooks/"+wh.ID+"/enable", nil)
	rcv.set(http.StatusOK, "")

	twice := func(from, path string, fields url.Values) (string, string) {
		t.Helper()
		form := b.ok(from).form(t, fields)
		if form.Get("once") == "" {
			t.Fatalf("the form of %s has no one-time token", from)
		}
		first, second := b.do(http.MethodPost, path, form), b.do(http.MethodPost, path, form)
		if first.status != http.StatusSeeOther || second.status != http.StatusSeeOther {
			t.Fatalf("POST %s twice: %d, %d", path, first.status, second.status)
		}
		return first.header.Get("Location"), second.header.Get("Location")
	}
	count := func(keep func(apiDelivery) bool) int {
		n := 0
		for _, d := range deliveries(t, s, wh.ID) {
			if keep(d) {
				n++
			}
		}
		return n
	}

	// Replay: one new delivery, whose page both sends open.
	page := "/console/deliveries/" + dead[0].ID
	first, second := twice(page, page+"/replay", nil)
	if first != second || first == page {
		t.Errorf("replay sent twice: went to %s, then %s; want the same new delivery:\n%s", first, second, b.ok(second).body)
	}
	replaysOf := func(id string) int {
		return count(func(d apiDelivery) bool { return d.ReplayOf != nil && *d.ReplayOf == id })
	}
	if n := replaysOf(dead[0].ID); n != 1 {
		t.Errorf("replay sent twice: %d replays, want 1", n)
	}

	waitFor(t, "the replay", func() bool {
		return count(func(d apiDelivery) bool { return d.ReplayOf != nil && d.Status == "succeeded" }) == 1
	})

	// Retry: one attempt.
	page = "/console/deliveries/" + dead[1].ID
	before := rcv.count.Load()
	twice(page, page+"/retry", nil)
	waitFor(t, "the retry", func() bool {
		var d apiDelivery
		api(t, s, http.MethodGet, "/v1/deliveries/"+dead[1].ID, nil, &d)
		return d.Status == "succeeded"
	})
	time.Sleep(100 * time.Millisecond) // a second attempt, were there one, would be under way by now
	var withAttempts struct {
		Attempts []struct{} `json:"attempts"`
	}
	api(t, s, http.MethodGet, "/v1/deliveries/"+dead[1].ID, nil, &withAttempts)
	if got := rcv.count.Load() - before; got != 1 || len(withAttempts.Attempts) != 2 {
		t.Errorf("retry sent twice: the receiver got %d requests and the delivery has %d attempts; want 1 request, 2 attempts (the first failed)", got, len(withAttempts.Attempts))
	}

	// A test event: one test delivery.
	page = "/console/webhooks/" + wh.ID
	tests := func() int { return count(func(d apiDelivery) bool { return d.Trigger == "test" }) }
	testsBefore := tests()
	first, second = twice(page, page+"/test", url.Values{"event_type": {"transfer.created"}})
	if first != second {
		t.Errorf("test event sent twice: went to %s, then %s", first, second)
	}
	if n := tests() - testsBefore; n != 1 {
		t.Errorf("test event sent twice: %d test deliveries, want 1", n)
	}

	// Recover: one recovery, which both sends show; each dead letter
	// replayed once: the third only. The first is still dead-lettered,
	// but its replay above succeeded, and the second was retried.
	confirm := "/console/webhooks/" + wh.ID + "/recover?since=" + url.QueryEscape(since)
	first, second = twice(confirm, "/console/webhooks/"+wh.ID+"/recover", url.Values{"since": {since}})
	if first != second || !strings.HasPrefix(first, "/console/recoveries/") {
		t.Errorf("recover sent twice: went to %s, then %s; want one recovery", first, second)
	}
	waitFor(t, "the recovery", func() bool { return strings.Contains(b.ok(first).body, "Done: 1 of 1 replayed") })
	if n := replaysOf(dead[0].ID); n != 1 {
		t.Errorf("recover: %s was replayed %d times in all, want 1 (above; its replay succeeded, so the recovery leaves it out)", dead[0].ID, n)
	}
	if n := replaysOf(dead[2].ID); n != 1 {
		t.Errorf("recover sent twice: %s was replayed %d times, want 1", dead[2].ID, n)
	}

	// Recover again: nothing is left to replay, which the confirmation
	// says, with no form; a recovery started all the same (a form of its
	// own) replays nothing, and the receiver gets nothing more.
	waitFor(t, "the recovery's replay", func() bool {
		return count(func(d apiDelivery) bool {
			return d.ReplayOf != nil && *d.ReplayOf == dead[2].ID && d.Status == "succeeded"
		}) == 1
	})
	before = rcv.count.Load()
	if p := b.ok(confirm); !strings.Contains(p.body, "No dead-lettered delivery created since") || strings.Contains(p.body, `id="confirm"`) {
		t.Errorf("the confirmation with nothing left to replay:\n%s", p.body)
	}
	res := b.post(confirm, "/console/webhooks/"+wh.ID+"/recover", url.Values{"since": {since}, "once": {"a form of its own"}})
	again := res.header.Get("Location")
	if again == first || !strings.HasPrefix(again, "/console/recoveries/") {
		t.Errorf("a new recovery went to the first one's page %s", again)
	}
	waitFor(t, "the second recovery", func() bool { return strings.Contains(b.ok(again).body, "Done: 0 of 0 replayed") })
	if n := replaysOf(dead[0].ID) + replaysOf(dead[2].ID); n != 2 {
		t.Errorf("a second recovery replayed again: %d replays of the two dead letters, want 2", n)
	}
	if got := rcv.count.Load() - before; got != 0 {
		t.Errorf("a second recovery: the receiver got %d requests, want none", got)
	}
}

// A form sent again while its first send still runs (a test event waits
// for the receiver) says so, and the receiver gets one request.
func TestFormSentAgainWhileRunning(t *testing.T) {
	s := hookdtest.Start(t)
	arrived, release := make(chan struct{}, 10), make(chan struct{})
	rcv := hookdtest.NewReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		arrived <- struct{}{}
		<-release
	})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open) // before Close, which waits for the request
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	page := "/console/webhooks/" + wh.ID
	form := b.ok(page).form(t, url.Values{"event_type": {"transfer.created"}})

	first := make(chan string, 1)
	go func() {
		p := b.do(http.MethodPost, page+"/test", form)
		first <- p.header.Get("Location")
	}()
	<-arrived
	second := b.do(http.MethodPost, page+"/test", form)
	if second.status != http.StatusSeeOther || second.header.Get("Location") != page {
		t.Fatalf("sent again: %d %s", second.status, second.header.Get("Location"))
	}
	if p := b.ok(page); !strings.Contains(p.body, "This was already sent and is still running") {
		t.Errorf("sent again while running: the page does not say so:\n%s", p.body)
	}
	open()
	if loc := <-first; !strings.HasPrefix(loc, "/console/deliveries/") {
		t.Errorf("the first send went to %s", loc)
	}
	select {
	case <-arrived:
		t.Error("the receiver got a second request")
	case <-time.After(100 * time.Millisecond):
	}
}

// A page's form sent again with other values (Back, another event type,
// send) is refused, and the message says what to do: reload the page. A
// console user never set an Idempotency-Key.
func TestFormSentAgainWithOtherValues(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.*"}})
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	page := "/console/webhooks/" + wh.ID
	form := b.ok(page).form(t, url.Values{"event_type": {"transfer.created"}})
	if first := b.do(http.MethodPost, page+"/test", form); !strings.HasPrefix(first.header.Get("Location"), "/console/deliveries/") {
		t.Fatalf("first send: %d %s", first.status, first.header.Get("Location"))
	}
	form.Set("event_type", "transfer.deleted")
	second := b.do(http.MethodPost, page+"/test", form)
	if second.status != http.StatusSeeOther || second.header.Get("Location") != page {
		t.Fatalf("sent again with another type: %d %s", second.status, second.header.Get("Location"))
	}
	p := b.ok(page)
	if !strings.Contains(p.body, "This form was already sent once, with other values; reload the page, choose again and send it. Nothing was changed.") ||
		strings.Contains(p.body, "Idempotency-Key") {
		t.Errorf("sent again with another type:\n%s", p.body)
	}
}

// The recover page's form sent again with another time (Back, another
// since, send) does not show the first send's recovery as if it were this
// one: it says the form is spent, and starts nothing.
func TestRecoverFormSentAgainWithAnotherTime(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusGone, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	since := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05")
	deadLettered(t, s, wh, 1)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	b.post("/console/webhooks", "/console/webhooks/"+wh.ID+"/enable", nil)
	rcv.set(http.StatusOK, "")

	recoverPath := "/console/webhooks/" + wh.ID + "/recover"
	form := b.ok(recoverPath+"?since="+url.QueryEscape(since)).form(t, url.Values{"since": {since}})
	first := b.do(http.MethodPost, recoverPath, form)
	if first.status != http.StatusSeeOther || !strings.HasPrefix(first.header.Get("Location"), "/console/recoveries/") {
		t.Fatalf("recover: %d %s", first.status, first.header.Get("Location"))
	}
	waitFor(t, "the recovery", func() bool { return strings.Contains(b.ok(first.header.Get("Location")).body, "Done: 1 of 1 replayed") })

	form.Set("since", time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04:05"))
	again := b.do(http.MethodPost, recoverPath, form)
	if again.status != http.StatusSeeOther || again.header.Get("Location") != recoverPath {
		t.Fatalf("the form again with another time: %d, to %q; want 303 to %s", again.status, again.header.Get("Location"), recoverPath)
	}
	if p := b.ok(recoverPath); !strings.Contains(p.body, "This form was already sent once, with other values; reload the page, choose again and send it. Nothing was changed.") {
		t.Errorf("the form again with another time, the page after:\n%s", p.body)
	}
}
