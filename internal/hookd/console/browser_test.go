package console_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/testlog"
)

// chromium finds the browser: HOOKD_CHROMIUM, or Debian's chromium (what
// .ci/run installs) and its usual other names on PATH.
func chromium() string {
	if p := os.Getenv("HOOKD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// screenshotDir is where the browser test writes a screenshot of each
// page: HOOKD_CONSOLE_SCREENSHOTS, or bin/console-screenshots/ of the
// repository (make console-screenshots writes all of them to docs/console/,
// where the README's pictures come from).
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("HOOKD_CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "bin", "console-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The console in a real headless Chromium, through an outage: the
// receiver answers 503 (with <script>alert(1)</script> as its body) and the
// deliveries are retried on the engine's schedule, on a fake clock, while
// the console shows them retrying, attempt after attempt; after the twelfth
// they are dead-lettered and the webhook auto-disabled. Sign in again (the
// session has long expired), re-enable it, bring the receiver back, replay
// one delivery and recover from before the first, which replays the other
// two and not the replayed one again, and see them succeed. The webhook's
// name and the receiver's answer show as text and no dialog opens. Every
// page fits a phone's width.
func TestBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium binary found (looked for HOOKD_CHROMIUM, chromium, chromium-browser, google-chrome on PATH): install Debian's chromium package (apt-get install -y chromium) to run the console's browser test")
	}
	clock := clockwork.NewFakeClockAt(time.Now().Truncate(time.Second))
	var logs testlog.Buffer
	s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithConfig(func(c *server.Config) {
		c.Jitter = func() float64 { return 0 } // the schedule's waits exactly
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}))
	rcv := newReceiver(t, http.StatusServiceUnavailable, xss)
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}, "name": xss})
	since := normalizedLocal(clock.Now().UTC().Add(-time.Minute)) // before the first delivery
	for i := range 3 {
		if i > 0 {
			clock.Advance(time.Second) // one created_at each: the oldest is known
		}
		publish(t, s)
	}
	attempted(t, s, clock, wh.ID, 1, 0)
	attempted(t, s, clock, wh.ID, 2, 5*time.Second)
	attempted(t, s, clock, wh.ID, 3, time.Minute)
	ds := deliveries(t, s, wh.ID)
	first := ds[len(ds)-1]
	dir := screenshotDir(t)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.WindowSize(1200, 900))...)
	defer cancelAlloc()
	tabCtx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(tabCtx, 90*time.Second)
	defer cancel()

	var dialogs atomic.Int32
	opened := chromedp.Events(ctx, cdppage.JavascriptDialogOpening)
	go func() {
		for _, err := range opened {
			if err != nil {
				return
			}
			dialogs.Add(1)
			_, _ = chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			// Where the browser is, with a fresh context: ctx may be over.
			where, body := "?", "?"
			dctx, dcancel := context.WithTimeout(tabCtx, 5*time.Second)
			defer dcancel()
			if loc, err := chromedp.Run(dctx, chromedp.Location()); err == nil {
				where = loc
			}
			if b, err := chromedp.Run(dctx, chromedp.Evaluate[string](`document.body.innerText`)); err == nil {
				body = b
			}
			t.Fatalf("%s: %v; the browser is at %s:\n%s", what, err, where, body)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		// The whole page with its first collapsed part open (a delivery's
		// first attempt: its headers and response body), but of the
		// catalog (a very long page) only the window.
		capture := chromedp.CaptureScreenshot()
		if name != "catalog" {
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll("details").forEach((d, i) => d.open = i === 0); true`)); err != nil {
				t.Fatal(err)
			}
			capture = chromedp.FullScreenshot(100)
		}
		png, err := chromedp.Run(ctx, capture)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// waitText waits for the page, which refreshes itself, to show want.
	// A read may fail while the browser loads the next page; it is read
	// again.
	waitText := func(what, sel, want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			got, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
			if err == nil && strings.Contains(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s reads %q (%v), want %q", what, sel, got, err, want)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// focusOrder presses Tab through the page from where the focus is, as
	// someone using the keyboard does, and checks that the controls of the
	// form at formSel come in the order want (an id, a name, or a button's
	// text), one after the other with nothing between them, each with a
	// label (or, a button, its text).
	focusOrder := func(what, formSel string, want []string) {
		t.Helper()
		type focused struct {
			Key    string `json:"key"`
			InForm bool   `json:"inForm"`
			Label  string `json:"label"`
		}
		js := `(() => {
			const e = document.activeElement;
			if (!e || e === document.body) return {key: "", inForm: false, label: ""};
			const label = e.labels && e.labels.length ? [...e.labels].map(l => l.textContent).join(" ")
				: (e.getAttribute("aria-label") || (e.tagName === "BUTTON" ? e.textContent : ""));
			return {key: e.id || e.name || e.textContent.trim(), inForm: e.closest(` + strconv.Quote(formSel) + `) !== null, label: label.trim()};
		})()`
		var seq []focused
		for range 80 {
			f, err := chromedp.Run(ctx, chromedp.Evaluate[focused](js))
			if err != nil {
				t.Fatalf("%s: the focused element: %v", what, err)
			}
			if f.Key != "" && (len(seq) == 0 || seq[len(seq)-1] != f) {
				seq = append(seq, f)
			}
			if n := len(seq); n > 1 && seq[n-2].InForm && !seq[n-1].InForm {
				break // past the form
			}
			do("Tab", chromedp.KeyEvent(kb.Tab))
		}
		var got []string
		first, between := -1, false
		for i, f := range seq {
			if !f.InForm {
				continue
			}
			if first < 0 {
				first = i
			}
			between = between || i != first+len(got)
			got = append(got, f.Key)
			if f.Label == "" {
				t.Errorf("%s: %s has no label", what, f.Key)
			}
		}
		if !slices.Equal(got, want) || between {
			t.Errorf("%s: Tab went through %+v; want the form's %v in that order, one after the other", what, seq, want)
		}
	}

	// Sign in.
	signIn := func() {
		t.Helper()
		do("sign in", chromedp.WaitVisible(chromedp.ID("api_key")), chromedp.SetValue(chromedp.ID("api_key"), s.APIKey),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("table")))
	}
	do("sign-in page", chromedp.Navigate(s.URL+"/console/"), chromedp.WaitVisible(chromedp.ID("api_key")))
	shot("sign-in")
	focusOrder("the sign-in page", `form[action="/console/sign-in"]`, []string{"api_key", "Sign in"})
	signIn()

	// During the outage: three attempts each so far, all answered 503,
	// and the chart counts the deliveries as retrying.
	link := `a[href="/console/webhooks/` + wh.ID + `"]`
	do("deliveries, retrying", chromedp.Click(chromedp.CSS(link)), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if got := text("figcaption"); !strings.Contains(got, "retrying/pending 3") {
		t.Errorf("chart legend while retrying %q, want retrying/pending 3", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.chart rect[fill="#e0a100"]').length`)); err != nil || n == 0 {
		t.Errorf("no retrying bar in the chart (%d, %v)", n, err)
	}
	shot("deliveries-retrying")
	do("a retrying delivery", chromedp.Click(chromedp.CSS(`a[href="/console/deliveries/`+first.ID+`"]`)), chromedp.WaitVisible(chromedp.ID("retry")))
	if got := text("#status"); got != "retrying" {
		t.Errorf("status %q, want retrying", got)
	}
	timeline := func() []string {
		t.Helper()
		items, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".timeline > li")].map(li => li.innerText)`))
		if err != nil {
			t.Fatalf("the timeline: %v", err)
		}
		return items
	}
	if items := timeline(); len(items) != 3 || !strings.Contains(items[0], "#1") || !strings.Contains(items[2], "#3") {
		t.Errorf("the timeline while retrying: %q, want attempts #1 to #3", items)
	} else {
		for _, it := range items {
			if !strings.Contains(it, "HTTP 503") {
				t.Errorf("an attempt of the timeline: %q, want HTTP 503", it)
			}
		}
	}
	if got := text(".timeline pre"); got != xss {
		t.Errorf("the response body reads %q, want the text %q", got, xss)
	}
	shot("delivery-retrying")

	// The rest of the schedule, three days on the clock: the twelfth
	// attempt fails and the deliveries are dead-lettered; three in a row
	// auto-disable the webhook.
	for n, wait := range []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 18 * time.Hour, 24 * time.Hour} {
		attempted(t, s, clock, wh.ID, n+4, wait)
	}
	waitFor(t, "three dead letters and the webhook auto-disabled", func() bool {
		dead := 0
		for _, d := range deliveries(t, s, wh.ID) {
			if d.Status == "dead_lettered" {
				dead++
			}
		}
		var got apiWebhook
		api(t, s, http.MethodGet, "/v1/webhooks/"+wh.ID, nil, &got)
		return dead == 3 && got.Status == "auto_disabled"
	})

	// The next morning: the session has ended; sign in again, back to the
	// page asked for. The webhook stands out, its name shown as text.
	do("webhooks, signed out", chromedp.Navigate(s.URL+"/console/webhooks"), chromedp.WaitVisible(chromedp.ID("api_key")))
	signIn()
	if got := text(link); got != xss {
		t.Errorf("the webhook's name reads %q, want the text %q", got, xss)
	}
	if got := text("tr.disabled .reason"); !strings.Contains(got, "3 consecutive deliveries were dead-lettered") {
		t.Errorf("disabled reason %q", got)
	}
	shot("webhooks")
	do("re-enable", chromedp.Click(chromedp.CSS(`form[action="/console/webhooks/`+wh.ID+`/enable"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	rcv.set(http.StatusOK, "thanks")

	// The deliveries, then the first dead letter: replay it.
	do("deliveries", chromedp.Click(chromedp.CSS(link)), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("td .badge.dead_lettered").length`)); err != nil || n != 3 {
		t.Errorf("%d dead-lettered deliveries listed (%v), want 3", n, err)
	}
	shot("deliveries")
	focusOrder("the deliveries' filter", `form.filters[method="get"]`, []string{"status", "event_type", "is_test", "from", "to", "Filter"})
	do("a delivery", chromedp.Click(chromedp.CSS(`a[href="/console/deliveries/`+first.ID+`"]`)), chromedp.WaitVisible(chromedp.ID("replay")))
	if got := text("#status"); got != "dead_lettered" {
		t.Errorf("status %q", got)
	}
	if items := timeline(); len(items) != 12 {
		t.Errorf("the timeline of a dead letter: %d attempts, want 12", len(items))
	}
	shot("delivery")
	do("replay", chromedp.Click(chromedp.ID("replay")), chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if got := text(".flash"); !strings.Contains(got, "Replayed "+first.ID) {
		t.Errorf("replay outcome %q", got)
	}
	// The page refreshes itself until the replay's attempt is recorded.
	waitText("the replay", "#outcome", "Attempt #1: HTTP 200")
	if got := text("#status"); got != "succeeded" {
		t.Errorf("the replay's status %q", got)
	}
	shot("replay")

	// Recover from before the first delivery: the two others, not the one
	// already replayed.
	do("recover", chromedp.Navigate(s.URL+"/console/webhooks/"+wh.ID+"/recover"), chromedp.WaitVisible(chromedp.ID("since")),
		chromedp.SetValue(chromedp.ID("since"), since), chromedp.Click(chromedp.ID("count")), chromedp.WaitVisible(chromedp.ID("confirm")))
	if got := text("#confirm-text"); !strings.Contains(got, "Replay 2 dead-lettered deliveries") {
		t.Errorf("confirmation %q, want 2 (the replayed one left out)", got)
	}
	shot("recover-confirm")
	do("confirm", chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("progress")))
	progress, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	waitText("the recovery", "#progress-text", "Done: 2 of 2 replayed")
	shot("recover-progress")
	waitFor(t, "every dead letter replayed once, and the replays succeeded", func() bool {
		replays := map[string]int{}
		ok := true
		for _, d := range deliveries(t, s, wh.ID) {
			if d.ReplayOf != nil {
				replays[*d.ReplayOf]++
				ok = ok && d.Status == "succeeded"
			}
		}
		return ok && len(replays) == 3 && replays[ds[0].ID] == 1 && replays[ds[1].ID] == 1 && replays[first.ID] == 1
	})
	do("deliveries again", chromedp.Navigate(s.URL+"/console/webhooks/"+wh.ID), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if got := text("figcaption"); !strings.Contains(got, "succeeded 3") {
		t.Errorf("chart legend after the recovery %q", got)
	}
	shot("deliveries-recovered")
	do("catalog", chromedp.Navigate(s.URL+"/console/catalog"), chromedp.WaitVisible(chromedp.CSS("section.card")))
	shot("catalog")

	// A phone's width, every page: nothing wider than the screen (wide
	// tables scroll in their own box), the Status column on the screen,
	// and the chart's text at least 12 px high.
	do("phone", chromedp.EmulateViewport(390, 844))
	for _, page := range []struct{ name, path, ready string }{
		{"webhooks", "/console/webhooks", "table"},
		{"deliveries", "/console/webhooks/" + wh.ID, "svg.chart"},
		{"delivery", "/console/deliveries/" + first.ID, ".timeline"},
		{"recover", "/console/webhooks/" + wh.ID + "/recover", "#since"},
		{"recover-confirm", "/console/webhooks/" + wh.ID + "/recover?since=" + url.QueryEscape(since), "#confirm-text"},
		{"recover-progress", strings.TrimPrefix(progress, s.URL), "#progress"},
		{"catalog", "/console/catalog", "section.card"},
		{"sign-in", "/console/sign-in", "#api_key"},
	} {
		do("phone: "+page.name, chromedp.Navigate(s.URL+page.path), chromedp.WaitVisible(chromedp.CSS(page.ready)))
		if fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)); err != nil || !fits {
			t.Errorf("phone: %s is wider than the screen (%v)", page.name, err)
		}
		// Every status badge of a table is on the screen, not scrolled out.
		if off, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("td .badge")].filter(b => {
			const r = b.getBoundingClientRect(); return r.width === 0 || r.right > window.innerWidth; }).length`)); err != nil || off != 0 {
			t.Errorf("phone: %s: %d status badges off the screen (%v)", page.name, off, err)
		}
		if page.name == "deliveries" {
			small, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("svg.chart text")].map(t => t.getBoundingClientRect().height).filter(h => h < 12)`))
			if err != nil || len(small) != 0 {
				t.Errorf("phone: the chart's text is smaller than 12 px: %v (%v)", small, err)
			}
			shot("deliveries-phone")
		}
	}

	// The browser never asked hookd for anything it refused for want of
	// a key: the console names its own icon, so no page makes the browser
	// fetch /favicon.ico from the API, each a failed authentication that
	// counts toward its per-address limit (here, on a clock that stands
	// still, it would lock the address out).
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "status=401") || strings.Contains(line, "status=429") {
			t.Errorf("hookd refused a request of the browser: %s", line)
		}
	}
	if n := dialogs.Load(); n != 0 {
		t.Fatalf("%d JavaScript dialogs opened: the console ran a script from user data", n)
	}
	t.Logf("screenshots in %s", dir)
}

// normalizedLocal formats t as a datetime-local input normalizes its value
// (HTML's "valid normalized local date and time string"): seconds are left
// out when they are zero. chromedp.SetValue reads the value back and fails
// when it differs, so "15:04:00" would fail once a minute.
func normalizedLocal(t time.Time) string {
	if t.Second() == 0 {
		return t.Format("2006-01-02T15:04")
	}
	return t.Format("2006-01-02T15:04:05")
}

// attempted waits until each delivery of the webhook has made n attempts:
// it advances the fake clock by wait (the schedule's wait before attempt
// n), then a second at a time while none comes (the scheduler may have
// gone to sleep on the clock only after the first advance).
func attempted(t *testing.T, s *hookdtest.Server, clock *clockwork.FakeClock, webhookID string, n int, wait time.Duration) {
	t.Helper()
	clock.Advance(wait)
	deadline := time.Now().Add(15 * time.Second)
	for polls := 1; ; polls++ {
		var l struct {
			Data []struct {
				AttemptCount int `json:"attempt_count"`
			} `json:"data"`
		}
		api(t, s, http.MethodGet, "/v1/webhooks/"+webhookID+"/deliveries", nil, &l)
		done := len(l.Data) > 0
		for _, d := range l.Data {
			done = done && d.AttemptCount >= n
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("attempt #%d of every delivery: not made in time (%+v)", n, l.Data)
		}
		time.Sleep(20 * time.Millisecond)
		if polls%25 == 0 {
			clock.Advance(time.Second)
		}
	}
}
