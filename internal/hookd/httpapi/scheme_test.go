package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
)

func publicKey(t *testing.T, m map[string]any, key string) string {
	t.Helper()
	pub, ok := m[key].(string)
	if !ok {
		t.Fatalf("%s = %v, want a public key", key, m[key])
	}
	if _, err := signing.ParsePublicKey(pub); err != nil {
		t.Fatalf("%s = %q: %v", key, pub, err)
	}
	return pub
}

// A webhook's signature scheme: v1 by default with no public key; v1a with
// a generated key pair whose public half every read shows; switched both
// ways in place; rotated with its secret, the previous public key shown
// while it still signs.
func TestSignatureSchemeLifecycle(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	s := hookdtest.Start(t, hookdtest.WithClock(clock))
	c := newClient(t, s)

	v1 := c.createAccountWebhook(map[string]any{"url": "https://example.com/v1", "events": []string{"*"}})
	assertFields(t, v1, map[string]any{"signature_scheme": "v1", "public_key": nil, "previous_public_key": nil})

	created := c.createAccountWebhook(map[string]any{"url": "https://example.com/v1a", "events": []string{"*"}, "signature_scheme": "v1a"})
	id := field[string](t, created, "id")
	assertFields(t, created, map[string]any{"signature_scheme": "v1a", "previous_public_key": nil})
	pub := publicKey(t, created, "public_key")
	if !strings.HasPrefix(field[string](t, created, "secret"), "whsec_") {
		t.Error("a v1a webhook has no secret; it keeps one for a switch back to v1")
	}
	got := c.ok(req{method: "GET", path: "/v1/webhooks/" + id}, http.StatusOK)
	if publicKey(t, got, "public_key") != pub {
		t.Error("GET shows another public key than create")
	}
	for k := range got {
		if strings.Contains(k, "private") || strings.Contains(k, "signing_key") {
			t.Errorf("the webhook shows %s", k)
		}
	}

	// A PATCH that does not change the scheme keeps the key pair.
	same := c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{"signature_scheme": "v1a", "name": "n"}}, http.StatusOK)
	if publicKey(t, same, "public_key") != pub {
		t.Error("setting the same scheme made a new key pair")
	}

	// Rotation with a grace window: a new key pair, the previous public key
	// shown until the window ends.
	rot := c.ok(req{method: "POST", path: "/v1/webhooks/" + id + "/secret/rotate", body: map[string]any{"grace_period_hours": 2}}, http.StatusOK)
	newPub := publicKey(t, rot, "public_key")
	if newPub == pub || publicKey(t, rot, "previous_public_key") != pub {
		t.Errorf("rotation: public_key %q, previous_public_key %v (old key %q)", newPub, rot["previous_public_key"], pub)
	}
	got = c.ok(req{method: "GET", path: "/v1/webhooks/" + id}, http.StatusOK)
	if publicKey(t, got, "public_key") != newPub || publicKey(t, got, "previous_public_key") != pub {
		t.Errorf("during the grace window: %v %v", got["public_key"], got["previous_public_key"])
	}
	clock.Advance(2*time.Hour + time.Second)
	got = c.ok(req{method: "GET", path: "/v1/webhooks/" + id}, http.StatusOK)
	assertFields(t, got, map[string]any{"public_key": newPub, "previous_public_key": nil, "previous_secret_fingerprint": nil})

	// Rotation without grace drops the old key at once.
	rot = c.ok(req{method: "POST", path: "/v1/webhooks/" + id + "/secret/rotate", body: map[string]any{"grace_period_hours": 0}}, http.StatusOK)
	if publicKey(t, rot, "public_key") == newPub || rot["previous_public_key"] != nil {
		t.Errorf("rotation without grace: %v %v", rot["public_key"], rot["previous_public_key"])
	}

	// v1a -> v1 drops the keys; v1 -> v1a makes a fresh pair.
	back := c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{"signature_scheme": "v1"}}, http.StatusOK)
	assertFields(t, back, map[string]any{"signature_scheme": "v1", "public_key": nil, "previous_public_key": nil})
	again := c.ok(req{method: "PATCH", path: "/v1/webhooks/" + id, body: map[string]any{"signature_scheme": "v1a"}}, http.StatusOK)
	if p := publicKey(t, again, "public_key"); p == pub || p == newPub {
		t.Error("switching back to v1a reused an old key pair")
	}
	assertFields(t, again, map[string]any{"signature_scheme": "v1a", "previous_public_key": nil})

	// A v1 webhook's rotation has no keys to show.
	v1rot := c.ok(req{method: "POST", path: "/v1/webhooks/" + field[string](t, v1, "id") + "/secret/rotate", body: map[string]any{}}, http.StatusOK)
	assertFields(t, v1rot, map[string]any{"public_key": nil, "previous_public_key": nil})
}
