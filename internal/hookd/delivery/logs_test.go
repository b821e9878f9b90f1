package delivery_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/testlog"
)

// hookd's structured logs, at debug level, never hold the API key, a
// signing secret, an auth token, a custom header value or a signature:
// through a create, a rotation, a rejected call, a failed and a successful
// delivery, and a test delivery.
func TestLogsHoldNoSecrets(t *testing.T) {
	var logs testlog.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, hookdtest.WithConfig(func(c *server.Config) { c.Logger = logger }))
	rcv := newReceiver(t, func(n int) (int, http.Header) {
		if n == 1 {
			return 500, nil
		}
		return 200, nil
	})
	secret := secrets.NewSecret()
	token := "tok-that-must-not-leak-7f3a"
	headerValue := "header-value-that-must-not-leak-91c2"
	wh := e.webhook("account", map[string]any{
		"url": rcv.URL, "events": []string{"*"}, "secret": secret, "auth_token": token,
		"headers": map[string]string{"X-Api-Key": headerValue},
	})
	var rot struct {
		Secret string `json:"secret"`
	}
	e.call("POST", "/v1/webhooks/"+wh.ID+"/secret/rotate", map[string]any{"grace_period_hours": 1}, http.StatusOK, &rot)
	badSecret := "whsec_" + strings.Repeat("A", 12)
	e.callInvalid("POST", "/v1/webhooks/account", map[string]any{"url": rcv.URL, "events": []string{"*"}, "secret": badSecret, "auth_token": token}, http.StatusUnprocessableEntity, nil)
	wrongKey := "hookd_wrong-key-that-must-not-leak"
	req, _ := http.NewRequest("GET", e.s.URL+"/v1/webhooks", nil)
	req.Header.Set("Authorization", "Bearer "+wrongKey)
	if res, err := e.http.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong key: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "a failed attempt", func() bool { return e.deliveries(wh.ID, "")[0].Status == "retrying" })
	e.advance(5 * time.Second)
	eventually(t, "the delivery", func() bool { return e.deliveries(wh.ID, "")[0].Status == "succeeded" })
	e.call("POST", "/v1/webhooks/"+wh.ID+"/test", nil, http.StatusOK, nil)

	out := logs.String()
	leaks := []string{
		e.s.APIKey, secret, strings.TrimPrefix(secret, "whsec_"), rot.Secret, strings.TrimPrefix(rot.Secret, "whsec_"),
		token, headerValue, badSecret, wrongKey,
	}
	for i := range rcv.count() {
		h := rcv.get(i).header
		for _, sig := range strings.Fields(h.Get("Webhook-Signature")) {
			leaks = append(leaks, strings.TrimPrefix(sig, "v1,"))
		}
		leaks = append(leaks, h.Get("Hookd-Signature"))
	}
	for _, s := range leaks {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("the logs contain %q", s)
		}
	}
	for _, want := range []string{`"msg":"request"`, `"msg":"delivery attempt"`, `"status":401`} {
		if !strings.Contains(out, want) {
			t.Errorf("the logs lack %s; they are:\n%s", want, out)
		}
	}
}
