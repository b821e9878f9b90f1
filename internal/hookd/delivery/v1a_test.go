package delivery_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

type v1aWebhook struct {
	ID                string  `json:"id"`
	SignatureScheme   string  `json:"signature_scheme"`
	PublicKey         *string `json:"public_key"`
	PreviousPublicKey *string `json:"previous_public_key"`
}

// A v1a webhook's deliveries carry Ed25519 signatures that an independent
// implementation (circl) verifies with the public key alone, and no
// Hookd-Signature. During a rotation's grace window they carry two, one per
// key pair; afterwards only the new key's.
func TestV1aSignaturesAndRotation(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, always(200))
	var wh v1aWebhook
	e.call("POST", "/v1/webhooks/account", map[string]any{"url": rcv.URL, "events": []string{"*"}, "signature_scheme": "v1a"}, 201, &wh)
	if wh.SignatureScheme != "v1a" || wh.PublicKey == nil || !strings.HasPrefix(*wh.PublicKey, "whpk_") {
		t.Fatalf("created %+v", wh)
	}
	oldKey := *wh.PublicKey
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "delivery 1", func() bool { return rcv.count() == 1 })
	got := rcv.get(0)
	if got.header.Get("Hookd-Signature") != "" {
		t.Errorf("a v1a delivery carries Hookd-Signature")
	}
	if sigs := strings.Fields(got.header.Get("Webhook-Signature")); len(sigs) != 1 || verifiedBy([]string{oldKey}, got.header, got.body) != 1 {
		t.Fatalf("webhook-signature %q does not verify with the public key", sigs)
	}

	var rot v1aWebhook
	e.call("POST", "/v1/webhooks/"+wh.ID+"/secret/rotate", map[string]any{"grace_period_hours": 1}, 200, &rot)
	if rot.PublicKey == nil || *rot.PublicKey == oldKey || rot.PreviousPublicKey == nil || *rot.PreviousPublicKey != oldKey {
		t.Fatalf("rotation %+v", rot)
	}
	newKey := *rot.PublicKey
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "delivery 2", func() bool { return rcv.count() == 2 })
	got = rcv.get(1)
	if n := len(strings.Fields(got.header.Get("Webhook-Signature"))); n != 2 {
		t.Fatalf("%d signatures during the grace window: %q", n, got.header.Get("Webhook-Signature"))
	}
	for _, k := range []string{newKey, oldKey} {
		if n := verifiedBy([]string{k}, got.header, got.body); n != 1 {
			t.Errorf("key %s verifies %d signatures during the grace window, want 1", k[:12], n)
		}
	}
	if !strings.HasPrefix(got.header.Get("Webhook-Signature"), "v1a,") || verifiedBy([]string{newKey}, http.Header{
		"Webhook-Id": got.header["Webhook-Id"], "Webhook-Timestamp": got.header["Webhook-Timestamp"],
		"Webhook-Signature": {strings.Fields(got.header.Get("Webhook-Signature"))[0]},
	}, got.body) != 1 {
		t.Error("the new key's signature is not the first")
	}

	e.advance(time.Hour + time.Second)
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "delivery 3", func() bool { return rcv.count() == 3 })
	got = rcv.get(2)
	if n := len(strings.Fields(got.header.Get("Webhook-Signature"))); n != 1 {
		t.Fatalf("%d signatures after the grace window", n)
	}
	if verifiedBy([]string{oldKey}, got.header, got.body) != 0 || verifiedBy([]string{newKey}, got.header, got.body) != 1 {
		t.Error("after the grace window only the new key verifies")
	}
	var after v1aWebhook
	e.call("GET", "/v1/webhooks/"+wh.ID, nil, 200, &after)
	if after.PreviousPublicKey != nil {
		t.Errorf("previous_public_key %q shown after the grace window", *after.PreviousPublicKey)
	}
}

// Switching a webhook's scheme in place changes how its next deliveries
// are signed: v1 -> v1a (a fresh key pair) -> v1 (HMAC again, both headers).
func TestSchemeSwitchChangesSigning(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, always(200))
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}})
	deliver := func(n int) received {
		t.Helper()
		e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
		eventually(t, "a delivery", func() bool { return rcv.count() == n })
		return rcv.get(n - 1)
	}
	if got := deliver(1); !strings.HasPrefix(got.header.Get("Webhook-Signature"), "v1,") || got.header.Get("Hookd-Signature") == "" {
		t.Fatalf("v1 delivery headers %v", got.header)
	}
	var v1a v1aWebhook
	e.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"signature_scheme": "v1a"}, 200, &v1a)
	if v1a.PublicKey == nil {
		t.Fatal("no public key after switching to v1a")
	}
	got := deliver(2)
	if got.header.Get("Hookd-Signature") != "" || verifiedBy([]string{*v1a.PublicKey}, got.header, got.body) != 1 {
		t.Fatalf("v1a delivery headers %v", got.header)
	}
	e.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"signature_scheme": "v1"}, 200, nil)
	if got := deliver(3); !strings.HasPrefix(got.header.Get("Webhook-Signature"), "v1,") || got.header.Get("Hookd-Signature") == "" {
		t.Fatalf("v1 delivery headers after switching back %v", got.header)
	}
	// The receiver's cleanup verifies deliveries 1 and 3 with the secret
	// (both libraries) and 2 with the public key.
}
