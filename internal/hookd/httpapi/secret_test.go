package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// Every webhook representation carries the fingerprints of the secret, of
// the previous secret while it verifies, and of the auth token: each
// rules.Fingerprint of the value itself, null when there is no value.
func TestFingerprints(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	s := hookdtest.Start(t, hookdtest.WithClock(clock))
	c := newClient(t, s)
	fp := rules.Fingerprint
	// expect checks the three fingerprints of a representation; "" is null.
	expect := func(what string, got map[string]any, secret, previous, token string) {
		t.Helper()
		for _, f := range []struct{ key, value string }{
			{"secret_fingerprint", secret}, {"previous_secret_fingerprint", previous}, {"auth_token_fingerprint", token},
		} {
			v, present := got[f.key]
			switch {
			case !present:
				t.Errorf("%s: no %s", what, f.key)
			case f.value == "" && v != nil:
				t.Errorf("%s: %s = %v, want null", what, f.key, v)
			case f.value != "" && v != fp(f.value):
				t.Errorf("%s: %s = %v, want %s, the fingerprint of the %s", what, f.key, v, fp(f.value), f.key[:len(f.key)-len("_fingerprint")])
			}
		}
	}
	get := func(id string) map[string]any {
		t.Helper()
		return c.ok(req{method: "GET", path: "/v1/webhooks/" + id}, http.StatusOK)
	}
	rotate := func(id string, body map[string]any) map[string]any {
		t.Helper()
		return c.ok(req{method: "POST", path: "/v1/webhooks/" + id + "/secret/rotate", body: body}, http.StatusOK)
	}

	// A supplied secret and a token.
	own, _ := rules.NewSigningSecret(rules.MinSecretBytes)
	wh := c.createAccountWebhook(map[string]any{"url": "https://example.com/a", "events": []string{"*"}, "secret": own, "auth_token": "tok-123"})
	id := field[string](t, wh, "id")
	if wh["secret"] != own {
		t.Fatalf("create returned secret %v, not the one supplied", wh["secret"])
	}
	expect("create", wh, own, "", "tok-123")
	expect("get", get(id), own, "", "tok-123")

	// A generated secret, no token.
	other := c.createAccountWebhook(map[string]any{"url": "https://example.com/b", "events": []string{"*"}})
	otherSecret := field[string](t, other, "secret")
	expect("create without secret or token", other, otherSecret, "", "")
	for _, item := range field[[]any](t, c.ok(req{method: "GET", path: "/v1/webhooks"}, http.StatusOK), "data") {
		m := as[map[string]any](t, item)
		switch m["id"] {
		case id:
			expect("list", m, own, "", "tok-123")
		case other["id"]:
			expect("list", m, otherSecret, "", "")
		}
	}

	// The token's fingerprint follows the token.
	expect("update", c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{"auth_token": "tok-456"}}, http.StatusOK), own, "", "tok-456")
	expect("update clearing the token", c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{"auth_token": nil}}, http.StatusOK), own, "", "")

	// A generated secret with a 2-hour grace: the previous fingerprint is
	// the replaced secret's until the window ends, then null with the
	// expiry.
	rot := rotate(id, map[string]any{"grace_period_hours": 2})
	second := field[string](t, rot, "secret")
	expect("rotate", map[string]any{
		"secret_fingerprint": rot["secret_fingerprint"], "previous_secret_fingerprint": rot["previous_secret_fingerprint"],
		"auth_token_fingerprint": nil,
	}, second, own, "")
	expect("get in the window", get(id), second, own, "")
	clock.Advance(2*time.Hour - time.Second)
	expect("get a second before the window ends", get(id), second, own, "")
	clock.Advance(time.Second)
	got := get(id)
	expect("get as the window ends", got, second, "", "")
	if got["previous_secret_expires_at"] != nil {
		t.Errorf("previous_secret_expires_at = %v with a null previous_secret_fingerprint", got["previous_secret_expires_at"])
	}

	// A supplied secret with no grace: no previous secret at all.
	third, _ := rules.NewSigningSecret(rules.MaxSecretBytes)
	rot = rotate(id, map[string]any{"secret": third, "grace_period_hours": 0})
	if rot["secret"] != third {
		t.Fatalf("rotate returned secret %v, not the one supplied", rot["secret"])
	}
	if v, ok := rot["previous_secret_fingerprint"]; !ok || v != nil || rot["secret_fingerprint"] != fp(third) {
		t.Errorf("rotate with grace 0: secret_fingerprint %v, previous_secret_fingerprint %v (present %v)", rot["secret_fingerprint"], v, ok)
	}
	expect("get after a rotation without grace", get(id), third, "", "")

	// Rotating inside a window ends the older window: the previous
	// fingerprint is always that of the secret just replaced.
	rot = rotate(id, map[string]any{})
	fourth := field[string](t, rot, "secret")
	if rot["previous_secret_fingerprint"] != fp(third) {
		t.Errorf("default rotation: previous_secret_fingerprint %v, want %s", rot["previous_secret_fingerprint"], fp(third))
	}
	rot = rotate(id, map[string]any{"grace_period_hours": 1})
	fifth := field[string](t, rot, "secret")
	expect("get after two rotations", get(id), fifth, fourth, "")

	// The other webhook was never touched.
	expect("get the other webhook", get(field[string](t, other, "id")), otherSecret, "", "")
}
