package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/testlog"
)

// What the console does shows in hookd's log as the API's own request
// lines (the audit trail is the same whichever way a change came), and
// the key never does: not at sign-in, not refused, not in any page's line.
func TestLogs(t *testing.T) {
	var logs testlog.Buffer
	s := hookdtest.Start(t, hookdtest.WithLog(&logs))
	rcv := newReceiver(t, http.StatusGone, "")
	wh := createWebhook(t, s, map[string]any{"url": rcv.URL, "events": []string{"transfer.created"}})
	dead := deadLettered(t, s, wh, 1)[0]
	b := newBrowser(t, s)
	form := b.ok("/console/sign-in")
	b.do(http.MethodPost, "/console/sign-in", url.Values{"api_key": {s.APIKey + "x"}, "csrf": {form.csrf(t)}})
	b.signIn(s.APIKey)
	b.post("/console/webhooks", "/console/webhooks/"+wh.ID+"/enable", nil)
	b.post("/console/deliveries/"+dead.ID, "/console/deliveries/"+dead.ID+"/replay", nil)

	out := logs.String()
	for _, want := range []string{
		"msg=\"console: sign-in refused\"",
		"msg=\"console: signed in\"",
		"msg=\"console request\" method=POST path=/console/sign-in status=303",
		"msg=request method=PATCH path=/v1/webhooks/" + wh.ID + " status=200",
		"msg=request method=POST path=/v1/deliveries/" + dead.ID + "/replay status=202",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
	if strings.Contains(out, s.APIKey) {
		t.Fatal("the API key is in the log")
	}
}
