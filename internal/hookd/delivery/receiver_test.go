package delivery_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// What a receiver gets (README, "Receiving webhooks"), checked with the
// Standard Webhooks reference library and, for Hookd-Signature, Stripe's
// stripe-go (hookdtest.StripeSignedBy).

// A delivery carries the body and every header a receiver is promised, and
// its signature verifies with the Standard Webhooks reference library.
func TestSignedDelivery(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, always(200))
	wh := e.webhook("account", map[string]any{
		"url": rcv.URL, "events": []string{"transfer.*"},
		"headers": map[string]string{"X-Team": "ledger"}, "auth_token": "tok-1",
	})
	if n := e.publish(map[string]any{"id": "evt_signed1", "type": "transfer.created", "data": e.example("transfer.created")}); n != 1 {
		t.Fatalf("%d deliveries", n)
	}
	eventually(t, "the delivery", func() bool { return rcv.count() == 1 })
	got := rcv.get(0)

	ref, err := standardwebhooks.NewWebhook(wh.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.VerifyIgnoringTimestamp(got.body, got.header); err != nil {
		t.Fatalf("reference library rejects the signature: %v", err)
	}
	if err := hookdtest.StripeSignedBy(wh.Secret, got.header, got.body); err != nil {
		t.Fatalf("Hookd-Signature: %v", err)
	}
	var body struct {
		ID        string          `json:"id"`
		Type      string          `json:"type"`
		CreatedAt string          `json:"created_at"`
		GroupID   *string         `json:"group_id"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.ID != "evt_signed1" || body.Type != "transfer.created" || body.GroupID != nil || body.CreatedAt != "2026-11-24T12:00:00Z" {
		t.Errorf("body %s", got.body)
	}
	want := map[string]string{
		"Webhook-Id": "evt_signed1", "Webhook-Timestamp": strconv.FormatInt(start.Unix(), 10),
		"Content-Type": "application/json", "User-Agent": "hookd/test", "Hookd-Attempt": "1",
		"X-Team": "ledger", "Authorization": "Bearer tok-1",
	}
	for k, v := range want {
		if g := got.header.Get(k); g != v {
			t.Errorf("%s = %q, want %q", k, g, v)
		}
	}
	if got.header.Get("Hookd-Test-Delivery") != "" {
		t.Error("a real delivery is marked as a test")
	}
	// Every header but the webhook's own is one hookd (or its transport)
	// set, so a custom header must not be able to take its name.
	for name := range got.header {
		if name != "X-Team" && !rules.IsReservedHeader(name) {
			t.Errorf("hookd sent %s, which custom headers may use", name)
		}
	}
	// The receiver answers before the engine records the attempt.
	eventually(t, "the attempt to be recorded", func() bool { return e.deliveries(wh.ID, "")[0].Status == "succeeded" })
	ds := e.deliveries(wh.ID, "")
	if len(ds) != 1 || ds[0].Status != "succeeded" || got.header.Get("Hookd-Delivery-Id") != ds[0].ID {
		t.Fatalf("deliveries %+v", ds)
	}
	d := e.delivery(ds[0].ID)
	if len(d.Attempts) != 1 {
		t.Fatalf("attempts %+v", d.Attempts)
	}
	a := d.Attempts[0]
	for _, h := range []string{"Authorization", "Webhook-Signature", "Hookd-Signature"} {
		if a.RequestHeaders[h] != "[redacted]" {
			t.Errorf("attempt header %s = %q, want it redacted", h, a.RequestHeaders[h])
		}
	}
	if len(a.ResponseBody) != 4096 {
		t.Errorf("response body kept %d bytes, want the first 4096", len(a.ResponseBody))
	}
}

// During a rotation's grace window deliveries carry two signatures, one
// per secret; afterwards only the new one.
func TestRotationGraceSignsTwice(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, always(200))
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"*"}})
	var rot struct {
		Secret string `json:"secret"`
	}
	e.call("POST", "/v1/webhooks/"+wh.ID+"/secret/rotate", map[string]any{"grace_period_hours": 1}, 200, &rot)
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "delivery 1", func() bool { return rcv.count() == 1 })
	got := rcv.get(0)
	if n := len(strings.Fields(got.header.Get("Webhook-Signature"))); n != 2 {
		t.Fatalf("%d signatures during the grace window: %q", n, got.header.Get("Webhook-Signature"))
	}
	if n := strings.Count(got.header.Get("Hookd-Signature"), "v1="); n != 2 {
		t.Fatalf("%d Hookd-Signature entries during the grace window: %q", n, got.header.Get("Hookd-Signature"))
	}
	for _, secret := range []string{wh.Secret, rot.Secret} {
		ref, _ := standardwebhooks.NewWebhook(secret)
		if err := ref.VerifyIgnoringTimestamp(got.body, got.header); err != nil {
			t.Errorf("secret does not verify during grace: %v", err)
		}
		if err := hookdtest.StripeSignedBy(secret, got.header, got.body); err != nil {
			t.Errorf("Hookd-Signature does not verify during grace: %v", err)
		}
	}
	e.advance(time.Hour + time.Second)
	e.publish(map[string]any{"type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "delivery 2", func() bool { return rcv.count() == 2 })
	got = rcv.get(1)
	if n := len(strings.Fields(got.header.Get("Webhook-Signature"))); n != 1 {
		t.Fatalf("%d signatures after the grace window", n)
	}
	old, _ := standardwebhooks.NewWebhook(wh.Secret)
	if err := old.VerifyIgnoringTimestamp(got.body, got.header); err == nil {
		t.Error("the old secret still verifies after the grace window")
	}
	if err := hookdtest.StripeSignedBy(wh.Secret, got.header, got.body); err == nil {
		t.Error("the old secret still verifies Hookd-Signature after the grace window")
	}
	if n := strings.Count(got.header.Get("Hookd-Signature"), "v1="); n != 1 {
		t.Errorf("%d Hookd-Signature entries after the grace window", n)
	}
	current, _ := standardwebhooks.NewWebhook(rot.Secret)
	if err := current.VerifyIgnoringTimestamp(got.body, got.header); err != nil {
		t.Errorf("the new secret does not verify after the grace window: %v", err)
	}
}

// A receiver that answers with bytes that are not text (NUL, invalid
// UTF-8) still gets its attempt recorded, the body kept as text with those
// bytes replaced (a run of invalid bytes by one U+FFFD, as strings.ToValidUTF8
// does): on PostgreSQL a NUL in a text column would fail the write.
func TestBinaryResponseBodyRecorded(t *testing.T) {
	e := newEnv(t)
	rcv := httptest.NewServer(verifying(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\x00\xff\xfeend"))
	}))
	t.Cleanup(rcv.Close)
	wh := e.webhook("account", map[string]any{"url": rcv.URL, "events": []string{"transfer.*"}})
	e.publish(map[string]any{"id": "evt_binary1", "type": "transfer.created", "data": e.example("transfer.created")})
	eventually(t, "the attempt to be recorded", func() bool {
		ds := e.deliveries(wh.ID, "")
		return len(ds) == 1 && ds[0].Status == "succeeded"
	})
	a := e.delivery(e.deliveries(wh.ID, "")[0].ID).Attempts
	if len(a) != 1 || a[0].ResponseBody != "ok\uFFFD\uFFFDend" {
		t.Fatalf("attempts %+v, want one with body %q", a, "ok\uFFFD\uFFFDend")
	}
}
