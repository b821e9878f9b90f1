package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/testlog"
)

// The demo prints the console's address and a key that signs in there,
// where its sample webhooks are, the one whose receiver is gone
// auto-disabled; it stops when its context ends.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out testlog.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-every", "50ms"}, &out) }()
	printed := regexp.MustCompile(`hookd console: (\S+)\nsign in with the API key: (\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	var m []string
	for m == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no address printed:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
		m = printed.FindStringSubmatch(out.String())
	}
	console, key := m[1], m[2]
	// Sign in with the printed key, as a person would with the form.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	get := func(page string) string {
		t.Helper()
		res, err := browser.Get(console + page)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v\n%s", page, res.StatusCode, err, body)
		}
		return string(body)
	}
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(get("sign-in"))
	if token == nil {
		t.Fatal("no sign-in form")
	}
	res, err := browser.PostForm(console+"sign-in", url.Values{"api_key": {key}, "csrf": {token[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/console/webhooks" {
		t.Fatalf("sign in with the printed key: %d at %s, want the webhooks page", res.StatusCode, res.Request.URL)
	}
	// The sample webhooks, the one whose receiver answers 410 Gone
	// auto-disabled (at its first delivery) and standing out.
	disabled := regexp.MustCompile(`<tr class="disabled">\s*<td[^>]*><a href="/console/webhooks/wh_\w+">retired-endpoint</a>`)
	var page string
	for {
		page = get("webhooks")
		if disabled.MatchString(page) && strings.Contains(page, "410 Gone") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the auto-disabled sample webhook is not shown:\n%s", page)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, name := range []string{"billing-service", "flaky-partner", "retired-endpoint"} {
		if !strings.Contains(page, ">"+name+"</a>") {
			t.Errorf("the webhooks page lacks the sample webhook %s", name)
		}
	}
	if strings.Contains(page, key) {
		t.Error("the API key is in the page")
	}
	time.Sleep(200 * time.Millisecond) // a few events
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
