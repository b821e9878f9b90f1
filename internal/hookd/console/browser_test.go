package console_test

import (
	"context"
	"net/http"
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

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
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

// The console in a real headless Chromium: sign in, find the webhook whose
// receiver failed until its deliveries were dead-lettered, re-enable it,
// bring the receiver back, replay one delivery and recover the others, and
// see them succeed. The webhook's name and the receiver's answer are
// <script>alert(1)</script>: they show as text and no dialog opens.
func TestBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium binary found (looked for HOOKD_CHROMIUM, chromium, chromium-browser, google-chrome on PATH): install Debian's chromium package (apt-get install -y chromium) to run the console's browser test")
	}
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusGone, xss)
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}, "name": xss})
	deadLettered(t, s, wh, 1)
	first := deliveries(t, s, wh.ID)[0]
	// The others are created from the next second on, so that "since" (to
	// the second) takes them and not the first.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	since := normalizedLocal(time.Now().UTC())
	deadLettered(t, s, wh, 2)
	dir := screenshotDir(t)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.WindowSize(1200, 900))...)
	defer cancelAlloc()
	tabCtx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(tabCtx, 30*time.Second)
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
		// The whole page with its collapsed parts open, but of the catalog
		// (a very long page) only the window.
		capture := chromedp.CaptureScreenshot()
		if name != "catalog" {
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll("details").forEach(d => d.open = true); true`)); err != nil {
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
	do("sign-in page", chromedp.Navigate(s.URL+"/console/"), chromedp.WaitVisible(chromedp.ID("api_key")))
	shot("sign-in")
	focusOrder("the sign-in page", `form[action="/console/sign-in"]`, []string{"api_key", "Sign in"})
	do("sign in", chromedp.SetValue(chromedp.ID("api_key"), s.APIKey), chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("table")))

	// The webhook stands out, its name shown as text.
	link := `a[href="/console/webhooks/` + wh.ID + `"]`
	if got := text(link); got != xss {
		t.Errorf("the webhook's name reads %q, want the text %q", got, xss)
	}
	if got := text("tr.disabled .reason"); !strings.Contains(got, "410 Gone") {
		t.Errorf("disabled reason %q", got)
	}
	shot("webhooks")
	do("re-enable", chromedp.Click(chromedp.CSS(`form[action="/console/webhooks/`+wh.ID+`/enable"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	rcv.set(http.StatusOK, "thanks")

	// The deliveries, then the first dead letter: replay it.
	do("deliveries", chromedp.Click(chromedp.CSS(link)), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if got := text("figcaption"); !strings.Contains(got, "dead-lettered 3") {
		t.Errorf("chart legend %q", got)
	}
	shot("deliveries")
	focusOrder("the deliveries' filter", `form.filters[method="get"]`, []string{"status", "event_type", "is_test", "from", "to", "Filter"})
	do("a delivery", chromedp.Click(chromedp.CSS(`a[href="/console/deliveries/`+first.ID+`"]`)), chromedp.WaitVisible(chromedp.ID("replay")))
	if got := text("#status"); got != "dead_lettered" {
		t.Errorf("status %q", got)
	}
	if got := text(".timeline pre"); got != xss {
		t.Errorf("the response body reads %q, want the text %q", got, xss)
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

	// Recover the others.
	do("recover", chromedp.Navigate(s.URL+"/console/webhooks/"+wh.ID+"/recover"), chromedp.WaitVisible(chromedp.ID("since")),
		chromedp.SetValue(chromedp.ID("since"), since), chromedp.Click(chromedp.ID("count")), chromedp.WaitVisible(chromedp.ID("confirm")))
	if got := text("#confirm-text"); !strings.Contains(got, "Replay 2 dead-lettered deliveries") {
		t.Errorf("confirmation %q", got)
	}
	shot("recover-confirm")
	do("confirm", chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("progress")))
	waitText("the recovery", "#progress-text", "Done: 2 of 2 replayed")
	shot("recover-progress")
	waitFor(t, "every replay to succeed", func() bool {
		ok := map[string]bool{}
		for _, d := range deliveries(t, s, wh.ID) {
			if d.ReplayOf != nil && d.Status == "succeeded" {
				ok[*d.ReplayOf] = true
			}
		}
		return len(ok) == 3
	})
	do("deliveries again", chromedp.Navigate(s.URL+"/console/webhooks/"+wh.ID), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if got := text("figcaption"); !strings.Contains(got, "succeeded 3") {
		t.Errorf("chart legend after the recovery %q", got)
	}
	shot("deliveries-recovered")
	do("catalog", chromedp.Navigate(s.URL+"/console/catalog"), chromedp.WaitVisible(chromedp.CSS("section.card")))
	shot("catalog")

	// A phone's width: the page does not scroll sideways (wide tables
	// scroll in their own box).
	do("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.URL+"/console/webhooks/"+wh.ID), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)); err != nil || !fits {
		t.Errorf("at 390 px the page is wider than the screen (%v)", err)
	}
	shot("deliveries-phone")

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
