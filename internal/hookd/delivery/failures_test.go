package delivery_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

// An attempt that outlasts the attempt timeout (15 s by default, 100 ms
// here) fails as a timeout and is retried on the schedule.
func TestAttemptTimeout(t *testing.T) {
	g := newGate()
	defer g.open()
	e := newEnv(t, hookdtest.WithConfig(func(c *server.Config) { c.AttemptTimeout = 100 * time.Millisecond }))
	rcv := newReceiver(t, func(int) (int, http.Header) {
		g.wait()
		return 200, nil
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}})

	var res struct {
		Succeeded  bool    `json:"succeeded"`
		Error      *string `json:"error"`
		DurationMS int64   `json:"duration_ms"`
	}
	e.call("POST", "/v1/webhooks/"+wh.ID+"/test", nil, http.StatusOK, &res)
	if res.Succeeded || res.Error == nil || *res.Error != "timeout" || res.DurationMS < 100 {
		t.Fatalf("test against a hanging receiver: %+v", res)
	}

	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "the timeout", func() bool {
		d := e.deliveries(wh.ID, "?is_test=false")[0]
		return d.Status == "retrying" && d.LastError != nil && *d.LastError == "timeout"
	})
	if d := e.deliveries(wh.ID, "?is_test=false")[0]; d.LastResponseStatusCode != nil || !d.NextAttemptAt.Equal(start.Add(5*time.Second)) {
		t.Fatalf("after a timeout: %+v", d)
	}
}

// Redirects are not followed: a 3xx is a failed attempt, and the signed
// payload never reaches the redirect's target.
func TestRedirectIsAFailure(t *testing.T) {
	e := newEnv(t)
	target := newReceiver(t, always(200))
	rcv := newReceiver(t, func(int) (int, http.Header) {
		return http.StatusFound, http.Header{"Location": {target.URL}}
	})
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}})
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "the failed attempt", func() bool { return e.deliveries(wh.ID, "")[0].Status == "retrying" })
	d := e.deliveries(wh.ID, "")[0]
	if d.LastError == nil || *d.LastError != "redirect" || d.LastResponseStatusCode == nil || *d.LastResponseStatusCode != http.StatusFound {
		t.Fatalf("after a redirect: %+v", d)
	}
	if target.count() != 0 {
		t.Fatal("the redirect was followed")
	}
}
