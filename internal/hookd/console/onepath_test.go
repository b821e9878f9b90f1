package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/testlog"
)

// The console reads nothing past the API: a delivery's event body is the
// API's GET /v1/events/{id} and the chart's counts its GET
// /v1/webhooks/{id}/deliveries/stats, each with the API's request line in
// hookd's log.
func TestReadsGoThroughTheAPI(t *testing.T) {
	var logs testlog.Buffer
	s := hookdtest.Start(t, hookdtest.WithLog(&logs))
	rcv := newReceiver(t, http.StatusGone, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	dead := deadLettered(t, s, wh, 1)[0]
	var event struct {
		ID string `json:"event_id"`
	}
	api(t, s, http.MethodGet, "/v1/deliveries/"+dead.ID, nil, &event)
	b := newBrowser(t, s)
	b.signIn(s.APIKey)

	page := b.ok("/console/webhooks/" + wh.ID)
	if !strings.Contains(page.body, "dead-lettered 1") {
		t.Errorf("the chart does not count the dead letter:\n%s", between(page.body, "<figcaption", "</figcaption>"))
	}
	page = b.ok("/console/deliveries/" + dead.ID)
	if !strings.Contains(page.body, `&#34;id&#34;: &#34;`+event.ID+`&#34;`) {
		t.Errorf("the page does not show the event %s:\n%s", event.ID, page.body)
	}
	out := logs.String()
	for _, want := range []string{
		"msg=request method=GET path=/v1/webhooks/" + wh.ID + "/deliveries/stats status=200",
		"msg=request method=GET path=/v1/events/" + event.ID + " status=200",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}
