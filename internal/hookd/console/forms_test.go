package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// A filter the deliveries page cannot take is said above the form, with
// the field's label and a fix the field can take: not the API's parameter
// (created_after), nor a time the datetime-local field cannot give (one
// ending in Z), and once. From later than To is refused, naming both:
// nothing could match.
func TestDeliveriesFilterErrors(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	testDelivery(t, s, wh.ID)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	page := "/console/webhooks/" + wh.ID
	for _, tc := range []struct {
		name, query string
		status      int
		want        []string
	}{
		{"from", "from=yesterday", http.StatusBadRequest,
			[]string{"From (UTC): &#34;yesterday&#34; is not a date and time; choose one in the From (UTC) field, such as 2026-01-02 15:04:05 (read as UTC)."}},
		{"to", "to=2026-13-01T00:00", http.StatusBadRequest, []string{"To (UTC): &#34;2026-13-01T00:00&#34; is not a date and time"}},
		{"from after to", "from=2026-01-03T00:00&to=2026-01-02T12:30:00", http.StatusBadRequest,
			[]string{"From (UTC) 2026-01-03 00:00:00 is not before To (UTC) 2026-01-02 12:30:00: no delivery can be created between them; swap them, or clear one."}},
		{"status", "status=bogus", http.StatusUnprocessableEntity, []string{"Status: must be one of"}},
		{"test", "is_test=maybe", http.StatusUnprocessableEntity, []string{"Test: must be true or false"}},
	} {
		p := b.get(page + "?" + tc.query)
		if p.status != tc.status {
			t.Errorf("%s: %d, want %d:\n%s", tc.name, p.status, tc.status, p.body)
		}
		for _, want := range append(tc.want, `name="from"`, "Fix the filter above") {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s: the page lacks %q:\n%s", tc.name, want, p.body)
			}
		}
		for _, bad := range []string{"created_after", "created_before", "is_test:", "Z,", "No deliveries match"} {
			if strings.Contains(p.body, bad) {
				t.Errorf("%s: the page says %q:\n%s", tc.name, bad, p.body)
			}
		}
		// Each field error once (the problem's detail holds them already).
		if msg := between(p.body, `role="status">`, "</p>"); strings.Count(msg, "must be") > 1 || strings.Count(msg, "is not a date") > 1 {
			t.Errorf("%s: the message repeats itself: %s", tc.name, msg)
		}
	}
	// A time the form gives is taken.
	if p := b.ok(page + "?from=" + url.QueryEscape(time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04"))); strings.Contains(p.body, "No deliveries match") {
		t.Errorf("a time of the form's shape:\n%s", p.body)
	}
}

// The recover form's time, likewise; a time in the future is said to
// match nothing, with no button to replay none.
func TestRecoverSinceErrors(t *testing.T) {
	s := hookdtest.Start(t)
	rcv := newReceiver(t, http.StatusOK, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	b := newBrowser(t, s)
	b.signIn(s.APIKey)
	page := "/console/webhooks/" + wh.ID + "/recover"
	p := b.get(page + "?since=bogus")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Since (UTC): &#34;bogus&#34; is not a date and time") ||
		strings.Contains(p.body, "created_after") || !strings.Contains(p.body, `id="since"`) {
		t.Errorf("since=bogus: %d\n%s", p.status, p.body)
	}
	future := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04:05")
	p = b.ok(page + "?since=" + url.QueryEscape(future))
	if !strings.Contains(p.body, future+" UTC is later than now: no delivery was created since then.") ||
		strings.Contains(p.body, `id="confirm"`) || strings.Contains(p.body, "Replay 0") || strings.Contains(p.body, "Replay <strong>") {
		t.Errorf("since in the future:\n%s", p.body)
	}
	past := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04:05")
	if p := b.ok(page + "?since=" + url.QueryEscape(past)); !strings.Contains(p.body, "No dead-lettered delivery created since") || strings.Contains(p.body, `id="confirm"`) {
		t.Errorf("nothing to replay:\n%s", p.body)
	}
	// Posted as it is (no page offers it): refused, nothing started.
	res := b.post(page, page, url.Values{"since": {"bogus"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != page {
		t.Fatalf("recover since=bogus: %d %s", res.status, res.header.Get("Location"))
	}
	if p := b.ok(page); !strings.Contains(p.body, "Since (UTC): &#34;bogus&#34; is not a date and time") {
		t.Errorf("recover since=bogus, the page after:\n%s", p.body)
	}
}
