package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

const xss = `<script>alert(1)</script>`

// Every page but sign-in sends a browser without a session to sign in;
// a POST without one changes nothing.
func TestSignInRequired(t *testing.T) {
	s := hookdtest.Start(t)
	b := newBrowser(t, s)
	for _, path := range []string{"/console/", "/console/webhooks", "/console/webhooks/wh_x", "/console/deliveries/dlv_x", "/console/catalog", "/console/webhooks/wh_x/recover", "/console/recoveries/x"} {
		p := b.get(path)
		if want := "/console/sign-in?next=" + url.QueryEscape(path); p.status != http.StatusSeeOther || p.header.Get("Location") != want {
			t.Errorf("GET %s: %d %q, want a redirect to sign in, then back (%s)", path, p.status, p.header.Get("Location"), want)
		}
	}
	for _, path := range []string{"/console/webhooks/wh_x/enable", "/console/deliveries/dlv_x/retry", "/console/deliveries/dlv_x/replay", "/console/webhooks/wh_x/test", "/console/webhooks/wh_x/recover", "/console/sign-out"} {
		if p := b.do(http.MethodPost, path, url.Values{"csrf": {"x"}}); p.status != http.StatusForbidden || !strings.Contains(p.body, "Your session ended; sign in again") {
			t.Errorf("POST %s: %d, want 403 saying to sign in:\n%s", path, p.status, p.body)
		}
	}
}

// The sign-in form checks the key as the API does; the session cookie is
// HttpOnly and SameSite=Strict, the key shows nowhere. (Every answer of
// the console carries the strict CSP, and no 401 without a challenge:
// browser.do checks both.)
func TestSignIn(t *testing.T) {
	s := hookdtest.Start(t)
	b := newBrowser(t, s)
	form := b.ok("/console/sign-in")
	p := b.do(http.MethodPost, "/console/sign-in", url.Values{"api_key": {"hk_wrong"}, "csrf": {form.csrf(t)}})
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "not valid") {
		t.Fatalf("wrong key: %d\n%s", p.status, p.body)
	}
	for _, c := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "hookd_console=") {
			t.Fatalf("a session for a wrong key: %s", c)
		}
	}
	form = b.ok("/console/sign-in")
	p = b.do(http.MethodPost, "/console/sign-in", url.Values{"api_key": {s.APIKey}, "csrf": {form.csrf(t)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", p.status, p.body)
	}
	var cookie string
	for _, c := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "hookd_console=") {
			cookie = c
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/console/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") || strings.Contains(cookie, s.APIKey) {
		t.Errorf("session cookie %q: Secure over plain http, or the key", cookie)
	}
	page := b.ok("/console/webhooks")
	if strings.Contains(page.body, s.APIKey) || strings.Contains(page.header.Get("Location"), s.APIKey) {
		t.Error("the API key is in a page")
	}
}

// Without the form's token, or from another origin, a POST is refused.
func TestCSRFRefused(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusGone, "gone")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	dead := deadLettered(t, s, wh, 1)[0]
	b := newBrowser(t, s)
	if p := b.do(http.MethodPost, "/console/sign-in", url.Values{"api_key": {s.APIKey}}); p.status != http.StatusForbidden {
		t.Errorf("sign in without the form's token: %d", p.status)
	}
	b.signIn(s.APIKey)
	before := len(deliveries(t, s, wh.ID))
	// Every action, with a forged token and with none.
	for _, action := range []string{
		"/console/webhooks/" + wh.ID + "/enable",
		"/console/webhooks/" + wh.ID + "/test",
		"/console/webhooks/" + wh.ID + "/recover",
		"/console/deliveries/" + dead.ID + "/retry",
		"/console/deliveries/" + dead.ID + "/replay",
		"/console/sign-out",
	} {
		form := url.Values{"event_type": {"transfer.created"}, "since": {"2020-01-01T00:00:00"}}
		if p := b.do(http.MethodPost, action, form); p.status != http.StatusForbidden {
			t.Errorf("%s without a token: %d", action, p.status)
		}
		form.Set("csrf", "forged")
		if p := b.do(http.MethodPost, action, form); p.status != http.StatusForbidden {
			t.Errorf("%s with a forged token: %d", action, p.status)
		}
	}
	b.ok("/console/webhooks") // still signed in
	if n := len(deliveries(t, s, wh.ID)); n != before {
		t.Errorf("refused POSTs made deliveries: %d, were %d", n, before)
	}
	path := "/console/webhooks/" + wh.ID + "/enable"
	token := b.ok("/console/webhooks").csrf(t)
	if p := b.do(http.MethodPost, path, url.Values{"csrf": {token}}, "Origin", "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("another origin: %d", p.status)
	}
	// A token of another session does not do either.
	other := newBrowser(t, s)
	other.signIn(s.APIKey)
	if p := other.do(http.MethodPost, path, url.Values{"csrf": {token}}); p.status != http.StatusForbidden {
		t.Errorf("another session's token: %d", p.status)
	}
	var got apiWebhook
	api(t, s, http.MethodGet, "/v1/webhooks/"+wh.ID, nil, &got)
	if got.Status != "auto_disabled" {
		t.Fatalf("a refused POST changed the webhook: %s", got.Status)
	}
}

// A session unused for the idle timeout is over; one in use is not.
func TestSessionExpiry(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithConfig(func(c *server.Config) { c.ConsoleIdleTimeout = 10 * time.Minute }))
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	clock.Advance(9 * time.Minute)
	b.ok("/console/webhooks")
	clock.Advance(9 * time.Minute) // 18 min after sign-in, 9 after last use
	b.ok("/console/catalog")
	clock.Advance(10 * time.Minute)
	if p := b.get("/console/webhooks"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/console/sign-in?") {
		t.Fatalf("after the idle timeout: %d %s", p.status, p.header.Get("Location"))
	}

	// In use all the time, a session still ends 12 hours after sign-in.
	b.signIn(s.APIKey)
	for elapsed := time.Duration(0); elapsed < 12*time.Hour-9*time.Minute; elapsed += 9 * time.Minute {
		clock.Advance(9 * time.Minute)
		if p := b.get("/console/catalog"); p.status != http.StatusOK {
			t.Fatalf("%v after sign-in, in use: %d", elapsed+9*time.Minute, p.status)
		}
	}
	clock.Advance(9 * time.Minute)
	if p := b.get("/console/catalog"); p.status != http.StatusSeeOther {
		t.Fatalf("12 hours after sign-in: %d", p.status)
	}
}

func TestSignOut(t *testing.T) {
	s := hookdtest.Start(t)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	if p := b.post("/console/webhooks", "/console/sign-out", nil); p.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", p.status)
	}
	if p := b.get("/console/webhooks"); p.status != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", p.status)
	}
}

// A key removed from the database ends the sessions signed in with it at
// their next page: the console checks the key at every API call it makes,
// not only at sign-in. The page says why, the cookie is cleared, and the
// next page asks to sign in again.
func TestRemovedKeySignsOut(t *testing.T) {
	s := hookdtest.Start(t)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	b.ok("/console/webhooks")
	u, err := url.Parse(s.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	var old string
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == "hookd_console" {
			old = c.Value
		}
	}
	if old == "" {
		t.Fatal("no session cookie after sign-in")
	}
	s.ExecSQL(t, "DELETE FROM api_keys")
	p := b.get("/console/webhooks")
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "no longer accepted") {
		t.Fatalf("after the key was removed: %d\n%s", p.status, p.body)
	}
	cleared := false
	for _, c := range p.header.Values("Set-Cookie") {
		cleared = cleared || strings.HasPrefix(c, "hookd_console=;") && strings.Contains(c, "Max-Age=0")
	}
	if !cleared {
		t.Errorf("the session cookie was not cleared: %q", p.header.Values("Set-Cookie"))
	}
	if p := b.get("/console/webhooks"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/console/sign-in?") {
		t.Fatalf("the next page: %d %s, want the sign-in page", p.status, p.header.Get("Location"))
	}
	// The session is gone on the server too, not only from this browser.
	if p := b.do(http.MethodGet, "/console/webhooks", nil, "Cookie", "hookd_console="+old); p.status != http.StatusSeeOther {
		t.Fatalf("the old session cookie: %d, want the sign-in page", p.status)
	}
}

// Turned off, the console answers 404 saying so and how to turn it on
// (not the API's 401 for a request without a key): problem+json, or a
// plain page to a browser.
func TestConsoleOff(t *testing.T) {
	s := hookdtest.Start(t, hookdtest.WithConfig(func(c *server.Config) { c.DisableConsole = true }))
	b := newBrowser(t, s)
	b.consoleHeaders = false // no console: no page of its own
	for _, path := range []string{"/console/sign-in", "/console/", "/console", "/console/webhooks/wh_x"} {
		p := b.get(path)
		if p.status != http.StatusNotFound || p.header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(p.body, `"code":"not_found"`) || !strings.Contains(p.body, "--console=true") || !strings.Contains(p.body, "HOOKD_CONSOLE") {
			t.Errorf("GET %s, console off: %d %s\n%s", path, p.status, p.header.Get("Content-Type"), p.body)
		}
		// A request id, as every API answer has: in the header and the
		// document alike.
		if id := p.header.Get("X-Request-Id"); !strings.HasPrefix(id, "req_") || !strings.Contains(p.body, `"request_id":"`+id+`"`) {
			t.Errorf("GET %s, console off: X-Request-Id %q, body %s", path, id, p.body)
		}
	}
	if p := b.do(http.MethodGet, "/console/", nil, "X-Request-Id", "my-trace-1"); !strings.Contains(p.body, `"request_id":"my-trace-1"`) || p.header.Get("X-Request-Id") != "my-trace-1" {
		t.Errorf("console off, the caller's request id is not kept: %s %s", p.header.Get("X-Request-Id"), p.body)
	}
	p := b.do(http.MethodGet, "/console/", nil, "Accept", "text/html,application/xhtml+xml")
	if p.status != http.StatusNotFound || !strings.HasPrefix(p.header.Get("Content-Type"), "text/plain") || !strings.Contains(p.body, "console is turned off") {
		t.Errorf("a browser, console off: %d %s\n%s", p.status, p.header.Get("Content-Type"), p.body)
	}
	// The API answers as before.
	if code := api(t, s, http.MethodGet, "/v1/groups", nil, nil); code != http.StatusOK {
		t.Errorf("the API, console off: %d", code)
	}
}

// The webhooks page lists account and group webhooks, escapes what users
// typed, filters, and highlights an auto-disabled one with its reason and
// a re-enable button that goes through the API's PATCH.
func TestWebhooksPage(t *testing.T) {
	s := hookdtest.Start(t)
	var g struct {
		ID string `json:"id"`
	}
	if code := api(t, s, http.MethodPost, "/v1/groups", map[string]any{"name": "team " + xss}, &g); code != http.StatusCreated {
		t.Fatalf("group: %d", code)
	}
	rcv := newReceiver(t, http.StatusGone, "")
	named := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}, "name": xss})
	grouped := createWebhook(t, s, map[string]any{"group": g.ID, "url": rcv.URL + "/g", "events": []string{"transfer.*"}})
	deadLettered(t, s, named, 1)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)

	p := b.ok("/console/webhooks")
	if strings.Contains(p.body, xss) || !strings.Contains(p.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the webhook's name is not escaped:\n%s", p.body)
	}
	for _, want := range []string{named.ID, grouped.ID, g.ID, "auto_disabled", "410 Gone", "Re-enable", `class="disabled"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	p = b.ok("/console/webhooks?group_id=" + g.ID)
	if !strings.Contains(p.body, grouped.ID) || strings.Contains(p.body, named.ID) {
		t.Error("the group filter")
	}
	p = b.ok("/console/webhooks?status=auto_disabled")
	if !strings.Contains(p.body, named.ID) || strings.Contains(p.body, grouped.ID) {
		t.Error("the status filter")
	}

	res := b.post("/console/webhooks", "/console/webhooks/"+named.ID+"/enable", nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("re-enable: %d", res.status)
	}
	if p := b.ok("/console/webhooks"); !strings.Contains(p.body, "re-enabled") {
		t.Errorf("no outcome shown:\n%s", p.body)
	}
	var got apiWebhook
	api(t, s, http.MethodGet, "/v1/webhooks/"+named.ID, nil, &got)
	if got.Status != "active" || got.DisabledReason != nil {
		t.Fatalf("after re-enable: %+v", got)
	}
	// An unknown webhook: the API's 404, shown as the API says it.
	res = b.post("/console/webhooks", "/console/webhooks/wh_nope/enable", nil)
	if p := b.ok("/console/webhooks"); res.status != http.StatusSeeOther || !strings.Contains(p.body, `webhook &#34;wh_nope&#34; not found`) {
		t.Errorf("unknown webhook: %d\n%s", res.status, p.body)
	}
}

// Over TLS the session cookie is Secure too.
func TestSecureCookieOverTLS(t *testing.T) {
	s := hookdtest.Start(t)
	ts := httptest.NewTLSServer(s.Handler())
	t.Cleanup(ts.Close)
	b := newBrowser(t, s)
	b.base = ts.URL
	b.http.Transport = ts.Client().Transport
	form := b.ok("/console/sign-in")
	p := b.do(http.MethodPost, "/console/sign-in", url.Values{"api_key": {s.APIKey}, "csrf": {form.csrf(t)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", p.status, p.body)
	}
	found := false
	for _, c := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "hookd_console=") {
			found = true
			if !strings.Contains(c, "; Secure") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
				t.Errorf("session cookie over TLS: %s", c)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie")
	}
	b.ok("/console/webhooks")
}

// Behind a proxy that terminates TLS, hookd sees plain http: the proxy's
// X-Forwarded-Proto (its first value) or RFC 7239 Forwarded proto says the
// browser used https, and then both cookies are Secure. Plain http, or a
// proxy that says http, gets no Secure (the browser would not send the
// cookie back).
func TestSecureCookieBehindProxy(t *testing.T) {
	s := hookdtest.Start(t)
	for _, tc := range []struct {
		name    string
		headers []string
		secure  bool
	}{
		{"plain http", nil, false},
		{"X-Forwarded-Proto https", []string{"X-Forwarded-Proto", "https"}, true},
		{"X-Forwarded-Proto https, http", []string{"X-Forwarded-Proto", "HTTPS, http"}, true},
		{"X-Forwarded-Proto http", []string{"X-Forwarded-Proto", "http"}, false},
		{"X-Forwarded-Proto http, https", []string{"X-Forwarded-Proto", "http, https"}, false},
		{"Forwarded proto=https", []string{"Forwarded", `for=192.0.2.60;proto=https;by=203.0.113.43`}, true},
		{"Forwarded quoted", []string{"Forwarded", `for="[2001:db8::1]:4711"; Proto="https", for=198.51.100.17;proto=http`}, true},
		{"Forwarded proto=http", []string{"Forwarded", `for=192.0.2.60;proto=http, for=198.51.100.17;proto=https`}, false},
		{"Forwarded without proto", []string{"Forwarded", `for=192.0.2.60`}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, s)
			form := b.do(http.MethodGet, "/console/sign-in", nil, tc.headers...)
			p := b.do(http.MethodPost, "/console/sign-in", url.Values{"api_key": {s.APIKey}, "csrf": {form.csrf(t)}},
				append(tc.headers, "Cookie", signInCookie(t, form))...)
			if p.status != http.StatusSeeOther {
				t.Fatalf("sign in: %d\n%s", p.status, p.body)
			}
			for name, set := range map[string][]string{"sign-in form": form.header.Values("Set-Cookie"), "sign-in": p.header.Values("Set-Cookie")} {
				if len(set) == 0 {
					t.Errorf("%s: no cookie", name)
				}
				for _, c := range set {
					if got := strings.Contains(c, "; Secure"); got != tc.secure {
						t.Errorf("%s: cookie %s: Secure %v, want %v", name, c, got, tc.secure)
					}
				}
			}
		})
	}
}

// signInCookie is the sign-in form's cookie as a Cookie header: the jar
// does not send a Secure cookie back over http, a browser behind a TLS
// proxy does.
func signInCookie(t *testing.T, form page) string {
	t.Helper()
	for _, c := range form.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "hookd_console_signin=") {
			name, _, _ := strings.Cut(c, ";")
			return name
		}
	}
	t.Fatal("the sign-in form set no cookie")
	return ""
}

// A signed-out browser that asked for a page (a delivery linked from an
// alert: with SameSite=Strict, a link from another site arrives without
// the cookie) gets it after signing in. Only a page of the console is
// gone back to: anything else signs in to the webhooks.
func TestSignInReturnsToThePageAsked(t *testing.T) {
	s := hookdtest.Start(t)
	b := newBrowser(t, s)
	asked := "/console/deliveries/dlv_x?refreshes=1"
	p := b.get(asked)
	form := b.ok(p.header.Get("Location"))
	if !strings.Contains(form.body, `name="next" value="/console/deliveries/dlv_x?refreshes=1"`) {
		t.Fatalf("the sign-in form does not carry the page:\n%s", form.body)
	}
	res := b.do(http.MethodPost, "/console/sign-in", url.Values{"api_key": {s.APIKey}, "csrf": {form.csrf(t)}, "next": {asked}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != asked {
		t.Fatalf("sign in: %d %s, want back to %s", res.status, res.header.Get("Location"), asked)
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/console/", "/\\evil.example", "/v1/groups", "/console/../v1/groups",
		"/console//evil", "javascript:alert(1)", "/console/sign-in", "/console/sign-out", "/console/webhooks\r\nX: y"} {
		other := newBrowser(t, s)
		form := other.ok("/console/sign-in?next=" + url.QueryEscape(next))
		if !strings.Contains(form.body, `name="next" value="/console/webhooks"`) {
			t.Errorf("next=%q: the form carries another page", next)
		}
		res := other.do(http.MethodPost, "/console/sign-in", url.Values{"api_key": {s.APIKey}, "csrf": {form.csrf(t)}, "next": {next}})
		if res.header.Get("Location") != "/console/webhooks" {
			t.Errorf("next=%q: signed in to %q, want /console/webhooks", next, res.header.Get("Location"))
		}
	}
}
