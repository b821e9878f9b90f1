package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// browser is a cookie-keeping client that does not follow redirects, so
// tests see each answer. Unless consoleHeaders is false, it checks the
// headers every answer of the console must have (consoleHeaders).
type browser struct {
	t              testing.TB
	base           string
	http           *http.Client
	consoleHeaders bool
}

// wantCSP is the console's Content-Security-Policy, word for word: no
// script at all, no inline style, nothing from elsewhere. Written out here
// rather than read from the package, so that loosening it fails a test.
const wantCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// checkConsoleHeaders fails the test when an answer lacks the console's
// CSP, or is a 401 without the WWW-Authenticate challenge RFC 9110
// (section 15.5.2) requires of every 401.
func checkConsoleHeaders(t testing.TB, method, path string, status int, h http.Header) {
	t.Helper()
	if got := h.Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("%s %s: Content-Security-Policy %q, want %q", method, path, got, wantCSP)
	}
	if status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		t.Errorf("%s %s: 401 without WWW-Authenticate", method, path)
	}
}

func newBrowser(t testing.TB, s *hookdtest.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: s.URL, consoleHeaders: true, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, headers ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if b.consoleHeaders {
		checkConsoleHeaders(b.t, method, path, res.StatusCode, res.Header)
	}
	return page{status: res.StatusCode, header: res.Header, body: string(data)}
}

func (b *browser) get(path string) page { return b.do(http.MethodGet, path, nil) }

// ok gets a page and requires 200.
func (b *browser) ok(path string) page {
	b.t.Helper()
	p := b.get(path)
	if p.status != http.StatusOK {
		b.t.Fatalf("GET %s: %d, want 200:\n%s", path, p.status, p.body)
	}
	return p
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (p page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", p.body)
	}
	return m[1]
}

var onceInput = regexp.MustCompile(`name="once" value="([^"]+)"`)

// form is what a browser sends with a form of the page: its CSRF token
// and, when the page has one, its one-time token, with fields.
func (p page) form(t testing.TB, fields url.Values) url.Values {
	t.Helper()
	form := url.Values{}
	for k, v := range fields {
		form[k] = v
	}
	form.Set("csrf", p.csrf(t))
	if m := onceInput.FindStringSubmatch(p.body); m != nil {
		form.Set("once", m[1])
	}
	return form
}

// post sends a form of the page at from, as a browser would.
func (b *browser) post(from, path string, form url.Values) page {
	b.t.Helper()
	return b.do(http.MethodPost, path, b.ok(from).form(b.t, form))
}

// signIn signs in with key and requires success.
func (b *browser) signIn(key string) {
	b.t.Helper()
	form := url.Values{"api_key": {key}, "csrf": {b.ok("/console/sign-in").csrf(b.t)}}
	p := b.do(http.MethodPost, "/console/sign-in", form)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/webhooks" {
		b.t.Fatalf("sign in: %d %s:\n%s", p.status, p.header.Get("Location"), p.body)
	}
}

// api calls the Hooks API with the server's key.
func api(t testing.TB, s *hookdtest.Server, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.APIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	// The signing keys it answers are trusted for the receiver at the
	// webhook's URL, which verifies every delivery it gets with them.
	hookdtest.ObserveAPI(method, path, res.StatusCode, data)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return res.StatusCode
}

type apiWebhook struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	DisabledReason *string `json:"disabled_reason"`
}

type apiDelivery struct {
	ID       string  `json:"id"`
	Status   string  `json:"status"`
	ReplayOf *string `json:"replay_of"`
	Trigger  string  `json:"trigger"`
}

func createWebhook(t testing.TB, s *hookdtest.Server, body map[string]any) apiWebhook {
	t.Helper()
	var wh apiWebhook
	path := "/v1/webhooks/account"
	if g, ok := body["group"].(string); ok {
		path = "/v1/webhooks/group/" + g
		delete(body, "group")
	}
	if code := api(t, s, http.MethodPost, path, body, &wh); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	return wh
}

// publish sends one transfer.created event (the catalog's example).
func publish(t testing.TB, s *hookdtest.Server) {
	t.Helper()
	var cat struct {
		Data []struct {
			Type    string          `json:"type"`
			Example json.RawMessage `json:"example"`
		} `json:"data"`
	}
	api(t, s, http.MethodGet, "/v1/webhooks/events", nil, &cat)
	for _, et := range cat.Data {
		if et.Type == "transfer.created" {
			if code := api(t, s, http.MethodPost, "/v1/events", map[string]any{"type": et.Type, "data": et.Example}, nil); code != http.StatusAccepted {
				t.Fatalf("publish: %d", code)
			}
			return
		}
	}
	t.Fatal("no transfer.created in the catalog")
}

func deliveries(t testing.TB, s *hookdtest.Server, webhookID string) []apiDelivery {
	t.Helper()
	var l struct {
		Data []apiDelivery `json:"data"`
	}
	api(t, s, http.MethodGet, "/v1/webhooks/"+webhookID+"/deliveries", nil, &l)
	return l.Data
}

// waitFor polls the API until cond holds (deliveries run in the background).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// receiver answers every request with its current status and body; what
// it gets is verified when the test ends (hookdtest.NewReceiver).
type receiver struct {
	*httptest.Server
	status atomic.Int32
	body   atomic.Pointer[string]
	count  atomic.Int32
}

func newReceiver(t testing.TB, status int, body string) *receiver {
	t.Helper()
	r := &receiver{}
	r.set(status, body)
	r.Server = hookdtest.NewReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		r.count.Add(1)
		w.WriteHeader(int(r.status.Load()))
		_, _ = io.WriteString(w, *r.body.Load())
	})
	return r
}

func (r *receiver) set(status int, body string) {
	r.status.Store(int32(status))
	r.body.Store(&body)
}

// deadLettered makes n more dead-lettered deliveries on wh: the receiver
// answers 410 Gone, which dead-letters at once and auto-disables the
// webhook; it is re-enabled before each event.
func deadLettered(t testing.TB, s *hookdtest.Server, wh apiWebhook, n int) []apiDelivery {
	t.Helper()
	countDead := func() int {
		c := 0
		for _, d := range deliveries(t, s, wh.ID) {
			if d.Status == "dead_lettered" {
				c++
			}
		}
		return c
	}
	before := countDead()
	for i := range n {
		var got apiWebhook
		api(t, s, http.MethodGet, "/v1/webhooks/"+wh.ID, nil, &got)
		if got.Status == "auto_disabled" {
			if code := api(t, s, http.MethodPatch, "/v1/webhooks/"+wh.ID, map[string]string{"status": "active"}, nil); code != http.StatusOK {
				t.Fatalf("re-enable: %d", code)
			}
		}
		publish(t, s)
		waitFor(t, "a dead letter", func() bool { return countDead() == before+i+1 })
		waitFor(t, "auto-disable", func() bool {
			var got apiWebhook
			api(t, s, http.MethodGet, "/v1/webhooks/"+wh.ID, nil, &got)
			return got.Status == "auto_disabled"
		})
	}
	return deliveries(t, s, wh.ID)
}

// firstLink is the href of the page's first link: the first control the
// Tab key reaches.
func (p page) firstLink() string {
	m := regexp.MustCompile(`<a [^>]*href="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// checkRefreshing requires a page that reloads itself (its meta refresh
// is meta) and whose first control is the link to stop that: the page at
// stop.
func checkRefreshing(t testing.TB, what string, p page, meta, stop string) {
	t.Helper()
	if !strings.Contains(p.body, meta) {
		t.Errorf("%s: no %s:\n%s", what, meta, p.body)
	}
	if got := strings.ReplaceAll(p.firstLink(), "&amp;", "&"); got != stop || !strings.Contains(p.body, `id="stop-refresh"`) {
		t.Errorf("%s: the first link goes to %q, want %q (Stop refreshing):\n%s", what, got, stop, p.body)
	}
}

// checkStopped requires a page that does not reload itself and offers to
// again, with a link to resume.
func checkStopped(t testing.TB, what string, p page, resume string) {
	t.Helper()
	if strings.Contains(p.body, "http-equiv") || strings.Contains(p.body, `id="stop-refresh"`) {
		t.Errorf("%s: still refreshing:\n%s", what, p.body)
	}
	if !strings.Contains(strings.ReplaceAll(p.body, "&amp;", "&"), `<a href="`+resume+`" id="resume-refresh">`) {
		t.Errorf("%s: no link to refresh again (%s):\n%s", what, resume, p.body)
	}
}
