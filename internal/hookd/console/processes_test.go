package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/console"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/httpapi"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// secondProcess is the base URL of another hookd on s's database, as the
// README deploys several behind a load balancer, so that a test sends
// each request to either. On PostgreSQL it is a second hookd (server.New)
// on the same database. SQLite allows one process per database, so there
// it is a second API and console over s's store, in-process: each has
// only what the store holds in common with s, as two processes would.
func secondProcess(t *testing.T, s *hookdtest.Server) string {
	t.Helper()
	if hookdtest.Postgres() {
		return hookdtest.Start(t, hookdtest.WithDir(s.Dir)).URL
	}
	st, ok := s.Store.(console.Store)
	if !ok {
		t.Fatalf("the store (%T) does not keep the console's state", s.Store)
	}
	api, err := httpapi.New(httpapi.Config{Store: s.Store, Engine: s.Engine, Catalog: s.Catalog, AllowPrivateDestinations: true, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := console.New(console.Config{API: api, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, console.Prefix) {
			cons.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		cons.Close()
	})
	return srv.URL
}

// on sends the browser's next requests to the hookd at base (its cookies
// go with it: they are the host's, whatever the port).
func (b *browser) on(base string) *browser {
	b.base = base
	return b
}

// Behind a load balancer any process answers any request: a session made
// on one is a session on the other, a sign-in form one served signs in on
// the other, an action's outcome shows on the page the other serves, and a
// sign-out on one ends the session on both.
func TestSessionOnEveryProcess(t *testing.T) {
	s := hookdtest.Start(t)
	a, other := s.URL, secondProcess(t, s)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	b := newBrowser(t, s)

	// The sign-in form from A, sent to B.
	form := b.on(a).ok("/console/sign-in")
	p := b.on(other).do(http.MethodPost, "/console/sign-in", url.Values{"api_key": {s.APIKey}, "csrf": {form.csrf(t)}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/webhooks" {
		t.Fatalf("a sign-in form of A, sent to B: %d %s, want signed in:\n%s", p.status, p.header.Get("Location"), p.body)
	}
	// The session, on both; an action's form from one, sent to the other,
	// whose outcome the first shows.
	for _, base := range []string{a, other} {
		if p := b.on(base).get("/console/webhooks"); p.status != http.StatusOK || !strings.Contains(p.body, wh.ID) {
			t.Fatalf("the session on %s: %d", base, p.status)
		}
	}
	page := "/console/webhooks/" + wh.ID
	res := b.on(other).do(http.MethodPost, page+"/test", b.on(a).ok(page).form(t, url.Values{"event_type": {"transfer.created"}}))
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/console/deliveries/") {
		t.Fatalf("a form of A's page, sent to B: %d %s:\n%s", res.status, res.header.Get("Location"), res.body)
	}
	if p := b.on(a).ok(res.header.Get("Location")); !strings.Contains(p.body, "Test event sent: HTTP 200") {
		t.Errorf("the outcome of an action on B, on A's page:\n%s", p.body)
	}
	if p := b.on(other).ok(res.header.Get("Location")); strings.Contains(p.body, "Test event sent") {
		t.Errorf("the outcome shown twice, by A and then by B:\n%s", p.body)
	}
	// Signed out on B: signed out on A.
	if p := b.on(other).post("/console/webhooks", "/console/sign-out", nil); p.status != http.StatusSeeOther {
		t.Fatalf("sign out on B: %d", p.status)
	}
	cookie := sessionCookie(t, b, a)
	if cookie != "" {
		t.Fatalf("the browser kept the session cookie after signing out")
	}
	if p := b.on(a).get("/console/webhooks"); p.status != http.StatusSeeOther {
		t.Fatalf("A after a sign-out on B: %d, want the sign-in page", p.status)
	}
}

// A session ended on one process, the cookie replayed to the other (a
// copy of it, or a browser that did not drop it): the other refuses it.
func TestSignOutEndsTheSessionOnEveryProcess(t *testing.T) {
	s := hookdtest.Start(t)
	a, other := s.URL, secondProcess(t, s)
	b := newBrowser(t, s)
	b.on(a).signIn(s.APIKey)
	old := sessionCookie(t, b, a)
	if p := b.on(a).post("/console/webhooks", "/console/sign-out", nil); p.status != http.StatusSeeOther {
		t.Fatalf("sign out on A: %d", p.status)
	}
	if p := b.on(other).do(http.MethodGet, "/console/webhooks", nil, "Cookie", "hookd_console="+old); p.status != http.StatusSeeOther {
		t.Fatalf("the old session cookie on B: %d, want the sign-in page", p.status)
	}
}

// sessionCookie is the browser's session cookie for base, "" when none.
func sessionCookie(t *testing.T, b *browser, base string) string {
	t.Helper()
	u, err := url.Parse(base + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == "hookd_console" {
			return c.Value
		}
	}
	return ""
}

// A recovery started on one process shows its progress on the other, to
// its end; the same form sent to the other finds it instead of starting a
// second.
func TestRecoverProgressOnEveryProcess(t *testing.T) {
	s := hookdtest.Start(t)
	a, other := s.URL, secondProcess(t, s)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	since := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04:05")
	seedDeadLetters(t, s, wh.ID, 4)
	b := newBrowser(t, s)
	b.on(a).signIn(s.APIKey)
	confirm := "/console/webhooks/" + wh.ID + "/recover?since=" + url.QueryEscape(since)
	form := b.on(a).ok(confirm).form(t, url.Values{"since": {since}})
	res := b.on(a).do(http.MethodPost, "/console/webhooks/"+wh.ID+"/recover", form)
	progress := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(progress, "/console/recoveries/") {
		t.Fatalf("recover on A: %d %s", res.status, progress)
	}
	if again := b.on(other).do(http.MethodPost, "/console/webhooks/"+wh.ID+"/recover", form); again.header.Get("Location") != progress {
		t.Errorf("the same form sent to B: went to %q, want A's recovery %s", again.header.Get("Location"), progress)
	}
	waitFor(t, "the recovery, on B", func() bool { return strings.Contains(b.on(other).ok(progress).body, "Done: 4 of 4 replayed") })
	if p := b.on(a).ok(progress); !strings.Contains(p.body, "Done: 4 of 4 replayed") {
		t.Errorf("the recovery on A:\n%s", p.body)
	}
	n := 0
	for _, d := range deliveries(t, s, wh.ID) {
		if d.ReplayOf != nil {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d replays, want one of each dead letter", n)
	}
}

// A recovery whose process died (it stopped saving its progress) is shown
// stopped, saying why and what to do, not as running for ever; its page
// no longer refreshes.
func TestRecoverOfAProcessGone(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	st, ok := s.Store.(console.Store)
	if !ok {
		t.Fatalf("the store (%T) does not keep the console's state", s.Store)
	}
	last := time.Now().Add(-time.Minute)
	for id, at := range map[string]time.Time{"gone": last, "alive": time.Now()} {
		rec := &store.ConsoleRecovery{ID: id, KeyHash: secrets.HashAPIKey(s.APIKey), Once: id, WebhookID: wh.ID, Since: "2026-01-02T00:00:00", Until: at,
			Owner: "a process of its own", State: store.RecoveryReplaying, Listed: true, Total: 10, Replayed: 4, CreatedAt: at, UpdatedAt: at}
		if _, _, err := st.StartConsoleRecovery(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	p := b.ok("/console/recoveries/gone")
	for _, want := range []string{"Stopped: 4 of 10 replayed.", "The hookd process running this recovery stopped", "Start it again"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("a recovery whose process is gone: no %q:\n%s", want, p.body)
		}
	}
	if strings.Contains(p.body, "http-equiv") {
		t.Errorf("the page of a stopped recovery refreshes:\n%s", p.body)
	}
	// One that another process saved a moment ago is running.
	if p := b.ok("/console/recoveries/alive"); !strings.Contains(p.body, "Replaying: 4 of 10 replayed.") || !strings.Contains(p.body, "http-equiv") {
		t.Errorf("a recovery running on another process:\n%s", p.body)
	}
}
