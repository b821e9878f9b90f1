package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// testDelivery sends a test event through the API, of the given type or
// else the webhook's first, and returns its delivery.
func testDelivery(t *testing.T, s *hookdtest.Server, webhookID string, eventType ...string) string {
	t.Helper()
	var res struct {
		DeliveryID string `json:"delivery_id"`
	}
	body := map[string]any{}
	if len(eventType) > 0 {
		body["event_type"] = eventType[0]
	}
	if code := api(t, s, http.MethodPost, "/v1/webhooks/"+webhookID+"/test", body, &res); code != http.StatusOK {
		t.Fatalf("test: %d", code)
	}
	return res.DeliveryID
}

// The deliveries of a webhook: newest first, filtered and paginated by the
// API, with the 24 h chart drawn on the server.
func TestDeliveriesPage(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusOK, "ok")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created", "transfer.deleted"}})
	var ids []string
	for range 55 {
		ids = append(ids, testDelivery(t, s, wh.ID, "transfer.created"))
	}
	// The last two from the next second on, so that a time filter to the
	// second (as the form sends it) tells them from the first 55.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	mid := time.Now().UTC().Truncate(time.Second).Format("2006-01-02T15:04:05")
	deleted := testDelivery(t, s, wh.ID, "transfer.deleted")
	publish(t, s)
	waitFor(t, "the event's delivery", func() bool {
		return len(deliveries(t, s, wh.ID)) == 57 && deliveries(t, s, wh.ID)[0].Status == "succeeded"
	})
	b := newBrowser(t, s)
	b.signIn(s.APIKey)

	p := b.ok("/console/webhooks/" + wh.ID)
	for _, want := range []string{`<svg class="chart"`, "57 succeeded", `fill="#2f9e5b"`, `rel="next"`, "Send test event", "Recover dead-lettered"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(p.body, `href="/console/deliveries/`); n != 50 {
		t.Errorf("%d deliveries on the first page, want 50", n)
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatal("no next page")
	}
	p = b.ok(strings.ReplaceAll(next[1], "&amp;", "&"))
	if n := strings.Count(p.body, `href="/console/deliveries/`); n != 7 || !strings.Contains(p.body, ids[0]) {
		t.Errorf("second page: %d deliveries, the oldest there: %v", n, strings.Contains(p.body, ids[0]))
	}
	p = b.ok("/console/webhooks/" + wh.ID + "?is_test=false")
	if n := strings.Count(p.body, `href="/console/deliveries/`); n != 1 {
		t.Errorf("is_test=false: %d deliveries, want 1", n)
	}
	p = b.ok("/console/webhooks/" + wh.ID + "?status=dead_lettered")
	if !strings.Contains(p.body, "No deliveries match") {
		t.Error("status filter")
	}
	future := time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04")
	p = b.ok("/console/webhooks/" + wh.ID + "?from=" + future)
	if !strings.Contains(p.body, "No deliveries match") {
		t.Error("time filter")
	}
	listed := func(query string) []string {
		t.Helper()
		var got []string
		for _, m := range regexp.MustCompile(`href="/console/deliveries/([^"]+)"`).FindAllStringSubmatch(b.ok("/console/webhooks/"+wh.ID+"?"+query).body, -1) {
			got = append(got, m[1])
		}
		return got
	}
	if got := listed("event_type=transfer.deleted"); len(got) != 1 || got[0] != deleted {
		t.Errorf("event_type=transfer.deleted lists %v, want only %s", got, deleted)
	}
	if got := listed("event_type=transfer.created&is_test=true&from=" + mid); len(got) != 0 {
		t.Errorf("created test deliveries from %s: %v, want none", mid, got)
	}
	// to, exclusive: the first 55 (50 on the first page), none of the last two.
	if got := listed("to=" + mid); len(got) != 50 || slices.Contains(got, deleted) || !slices.Contains(got, ids[54]) {
		t.Errorf("to=%s lists %d deliveries (%s among them: %v), want 50 of the first 55", mid, len(got), deleted, slices.Contains(got, deleted))
	}
	if got := listed("is_test=false&to=" + mid); len(got) != 0 {
		t.Errorf("is_test=false&to=%s lists %v, want none (the event came later)", mid, got)
	}
	if got := listed("from=" + mid); len(got) != 2 || got[1] != deleted {
		t.Errorf("from=%s lists %v, want the event's delivery and then %s", mid, got, deleted)
	}
	// The API's validation, shown as it says it.
	p = b.get("/console/webhooks/" + wh.ID + "?status=bogus")
	if p.status != http.StatusUnprocessableEntity && p.status != http.StatusBadRequest || !strings.Contains(p.body, "must be one of") {
		t.Errorf("bad filter: %d\n%s", p.status, p.body)
	}
	if p := b.get("/console/webhooks/wh_nope"); p.status != http.StatusNotFound {
		t.Errorf("unknown webhook: %d", p.status)
	}
}

// A delivery's page: its attempts with the response body escaped and the
// headers redacted, the event body, and retry and replay through the API.
func TestDeliveryPage(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusGone, xss)
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}, "auth_token": "tok_secret_value"})
	dead := deadLettered(t, s, wh, 1)[0]
	b := newBrowser(t, s)
	b.signIn(s.APIKey)

	p := b.ok("/console/deliveries/" + dead.ID)
	if strings.Contains(p.body, xss) || !strings.Contains(p.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the response body is not escaped")
	}
	for _, want := range []string{"HTTP 410", "[redacted]", "Webhook-Id", `&#34;type&#34;: &#34;transfer.created&#34;`, `id="retry"`, `id="replay"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "tok_secret_value") {
		t.Error("the auth token shows")
	}
	// The webhook's state, which a refused retry or replay is about.
	if got := between(p.body, `<dd id="webhook">`, "</dd>"); !strings.Contains(got, `>auto_disabled</span>`) || !strings.Contains(got, "410") {
		t.Errorf("the webhook's state on the page: %q, want auto_disabled with its reason", got)
	}

	// Auto-disabled: the engine refuses, and the console says why.
	res := b.post("/console/deliveries/"+dead.ID, "/console/deliveries/"+dead.ID+"/replay", nil)
	if p := b.ok(res.header.Get("Location")); !strings.Contains(p.body, "auto_disabled; re-enable it first") {
		t.Errorf("replay of an auto-disabled webhook's delivery:\n%s", p.body)
	}
	b.post("/console/webhooks", "/console/webhooks/"+wh.ID+"/enable", nil)
	rcv.set(http.StatusOK, "fine")
	res = b.post("/console/deliveries/"+dead.ID, "/console/deliveries/"+dead.ID+"/replay", nil)
	replayPath := res.header.Get("Location")
	if res.status != http.StatusSeeOther || replayPath == "/console/deliveries/"+dead.ID {
		t.Fatalf("replay: %d %s", res.status, replayPath)
	}
	if p := b.ok(replayPath); !strings.Contains(p.body, "Replayed "+dead.ID) {
		t.Errorf("no outcome shown:\n%s", p.body)
	}
	waitFor(t, "the replay", func() bool {
		for _, d := range deliveries(t, s, wh.ID) {
			if d.ReplayOf != nil && *d.ReplayOf == dead.ID && d.Status == "succeeded" {
				return true
			}
		}
		return false
	})
	res = b.post("/console/deliveries/"+dead.ID, "/console/deliveries/"+dead.ID+"/retry", nil)
	if p := b.ok(res.header.Get("Location")); !strings.Contains(p.body, "Retry started") {
		t.Errorf("retry: no outcome:\n%s", p.body)
	}
	waitFor(t, "the retry", func() bool {
		var d apiDelivery
		api(t, s, http.MethodGet, "/v1/deliveries/"+dead.ID, nil, &d)
		return d.Status == "succeeded"
	})
	// Retry of a succeeded delivery: the engine's conflict, as it says it.
	res = b.post("/console/deliveries/"+dead.ID, "/console/deliveries/"+dead.ID+"/retry", nil)
	if p := b.ok(res.header.Get("Location")); !strings.Contains(p.body, "only retrying and dead_lettered deliveries can be retried") {
		t.Errorf("retry of a succeeded delivery:\n%s", p.body)
	}
	if got := between(b.ok("/console/deliveries/"+dead.ID).body, `<dd id="webhook">`, "</dd>"); !strings.Contains(got, `>active</span>`) {
		t.Errorf("the webhook's state after re-enabling: %q", got)
	}
	api(t, s, http.MethodDelete, "/v1/webhooks/"+wh.ID, nil, nil)
	if got := between(b.ok("/console/deliveries/"+dead.ID).body, `<dd id="webhook">`, "</dd>"); got != wh.ID+" (deleted)" {
		t.Errorf("the webhook's state once deleted: %q", got)
	}
	if p := b.get("/console/deliveries/dlv_nope"); p.status != http.StatusNotFound {
		t.Errorf("unknown delivery: %d", p.status)
	}
}

// between is the part of s after the first start and before the next end.
func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	before, _, _ := strings.Cut(after, end)
	return before
}

// heldReceiver answers 410 until hold; then every request waits for
// release and gets 200.
type heldReceiver struct {
	*httptest.Server
	held    atomic.Bool
	release chan struct{}
	once    sync.Once
}

func newHeldReceiver(t *testing.T) *heldReceiver {
	h := &heldReceiver{release: make(chan struct{})}
	h.Server = hookdtest.NewReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		if !h.held.Load() {
			w.WriteHeader(http.StatusGone)
			return
		}
		<-h.release
		w.WriteHeader(http.StatusOK)
	})
	t.Cleanup(h.open) // before Close, which waits for the requests
	return h
}

func (h *heldReceiver) open() { h.once.Do(func() { close(h.release) }) }

// After a retry the delivery's page refreshes itself while the attempt
// runs, then shows the attempt's outcome and stops; it gives up after
// maxRefreshes. A replay's page waits for the new delivery's first
// attempt the same way.
func TestRetryShowsItsOutcome(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newHeldReceiver(t)
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	dead := deadLettered(t, s, wh, 1)[0]
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	b.post("/console/webhooks", "/console/webhooks/"+wh.ID+"/enable", nil)
	rcv.held.Store(true)

	page := "/console/deliveries/" + dead.ID
	res := b.post(page, page+"/retry", nil)
	waiting := res.header.Get("Location")
	if res.status != http.StatusSeeOther || waiting != page+"?attempt=2" {
		t.Fatalf("retry: %d %q, want a redirect to %s?attempt=2", res.status, waiting, page)
	}
	p := b.ok(waiting)
	for _, want := range []string{"Retry started: attempt #2", `<meta http-equiv="refresh" content="2; url=` + page + `?attempt=2&amp;r=1">`, `id="waiting"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("while the attempt runs, the page lacks %q:\n%s", want, p.body)
		}
	}
	if p := b.ok(page + "?attempt=2&r=1"); !strings.Contains(p.body, "?attempt=2&amp;r=2") || strings.Contains(p.body, `id="outcome"`) {
		t.Errorf("the first refresh:\n%s", p.body)
	}
	// Each reload sends the focus to the top: the page's first link stops
	// them, and the page without them offers to go on where it was.
	checkRefreshing(t, "waiting", b.ok(waiting), `content="2; url=`+page+`?attempt=2&amp;r=1"`, waiting+"&refresh=off")
	checkRefreshing(t, "the first refresh", b.ok(page+"?attempt=2&r=1"), `content="2; url=`+page+`?attempt=2&amp;r=2"`, page+"?attempt=2&r=1&refresh=off")
	p = b.ok(page + "?attempt=2&r=1&refresh=off")
	checkStopped(t, "stopped", p, page+"?attempt=2&r=1")
	if !strings.Contains(p.body, `id="waiting"`) || strings.Contains(p.body, `id="outcome"`) {
		t.Errorf("stopped, the page does not say what it waits for:\n%s", p.body)
	}
	rcv.open()
	waitFor(t, "the outcome", func() bool { return strings.Contains(b.ok(page+"?attempt=2&r=2").body, `id="outcome"`) })
	p = b.ok(page + "?attempt=2&r=2")
	if !strings.Contains(p.body, "Attempt #2: HTTP 200 after") || !strings.Contains(p.body, `id="status">succeeded<`) ||
		strings.Contains(p.body, "http-equiv") || strings.Contains(p.body, `id="waiting"`) {
		t.Errorf("once recorded:\n%s", p.body)
	}
	// An attempt that never comes: the refreshes stop after a minute.
	if p := b.ok(page + "?attempt=9&r=29"); !strings.Contains(p.body, "?attempt=9&amp;r=30") {
		t.Errorf("the last refresh:\n%s", p.body)
	}
	if p := b.ok(page + "?attempt=9&r=30"); strings.Contains(p.body, "http-equiv") || !strings.Contains(p.body, "Attempt #9 is not recorded yet") {
		t.Errorf("after the last refresh:\n%s", p.body)
	}
	// Without the question, the page does not refresh.
	if p := b.ok(page); strings.Contains(p.body, "http-equiv") || strings.Contains(p.body, `id="outcome"`) {
		t.Errorf("the plain page:\n%s", p.body)
	}

	res = b.post(page, page+"/replay", nil)
	replay := res.header.Get("Location")
	if !strings.HasSuffix(replay, "?attempt=1") || strings.HasPrefix(replay, page) {
		t.Fatalf("replay: %d %q, want the new delivery's page waiting for attempt 1", res.status, replay)
	}
	waitFor(t, "the replay's outcome", func() bool { return strings.Contains(b.ok(replay).body, "Attempt #1: HTTP 200 after") })
}

// A test event of a chosen type, and its outcome; a type not in the
// catalog gets the API's message.
func TestSendTestEvent(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.*"}})
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	from := "/console/webhooks/" + wh.ID
	res := b.post(from, from+"/test", url.Values{"event_type": {"transfer.created"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/console/deliveries/") {
		t.Fatalf("test: %d %s", res.status, res.header.Get("Location"))
	}
	if p := b.ok(res.header.Get("Location")); !strings.Contains(p.body, "Test event sent: HTTP 200") || !strings.Contains(p.body, "transfer.created") {
		t.Errorf("outcome:\n%s", p.body)
	}
	res = b.post(from, from+"/test", url.Values{"event_type": {"transfer.craeted"}})
	if p := b.ok(res.header.Get("Location")); !strings.Contains(p.body, `did you mean &#34;transfer.created&#34;`) {
		t.Errorf("unknown type:\n%s", p.body)
	}
	rcv.set(http.StatusInternalServerError, "")
	res = b.post(from, from+"/test", url.Values{"event_type": {"transfer.created"}})
	if p := b.ok(res.header.Get("Location")); !strings.Contains(p.body, "Test event failed: HTTP 500") {
		t.Errorf("failed test:\n%s", p.body)
	}
}

// The catalog: every type by category with stability, description, schema
// and example.
func TestCatalogPage(t *testing.T) {
	s := hookdtest.Start(t)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	p := b.ok("/console/catalog")
	var cat struct {
		Data []struct{ Type, Category, Stability string } `json:"data"`
	}
	api(t, s, http.MethodGet, "/v1/webhooks/events", nil, &cat)
	for _, et := range cat.Data {
		if !strings.Contains(p.body, fmt.Sprintf(`id="%s"`, et.Type)) || !strings.Contains(p.body, "<h2>"+et.Category+"</h2>") {
			t.Errorf("the catalog page lacks %s", et.Type)
		}
	}
	if !strings.Contains(p.body, "JSON Schema") || !strings.Contains(p.body, "$schema") {
		t.Error("no schema")
	}
}

// A test delivery says it is a test once: its trigger is test.
func TestTestDeliveryTrigger(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	id := testDelivery(t, s, wh.ID)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	if p := b.ok("/console/deliveries/" + id); !strings.Contains(p.body, "<dt>Trigger</dt><dd>test</dd>") {
		t.Errorf("a test delivery's trigger: %s", between(p.body, "<dt>Trigger</dt>", "</dd>"))
	}
}

// A webhook's description and custom headers show on the webhooks and on
// the webhook's page, escaped, the header values as the API returns them
// (in full: it redacts none).
func TestWebhookDescriptionAndHeaders(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"},
		"description": "ERP sync " + xss + "\nsecond line", "headers": map[string]string{"X-Tenant": "acme", "X-Note": xss}})
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	for _, path := range []string{"/console/webhooks", "/console/webhooks/" + wh.ID} {
		p := b.ok(path)
		for _, want := range []string{"ERP sync &lt;script&gt;alert(1)&lt;/script&gt;\nsecond line", "X-Tenant: acme", "X-Note: &lt;script&gt;alert(1)&lt;/script&gt;"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s lacks %q:\n%s", path, want, p.body)
			}
		}
		if strings.Contains(p.body, xss) {
			t.Errorf("%s: not escaped:\n%s", path, p.body)
		}
	}
}
