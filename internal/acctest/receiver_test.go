package acctest

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// A day ago: Verify does not hold timestamps to the wall clock.
var signedAt = time.Now().Add(-24 * time.Hour)

func send(t *testing.T, r *Receiver, h http.Header, body string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, r.URL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
}

func secret(t *testing.T) string {
	t.Helper()
	s, err := rules.NewSigningSecret(rules.DefaultSecretBytes)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keyPair(t *testing.T) (private, public string) {
	t.Helper()
	private = signing.NewSigningKey()
	public, err := signing.PublicKey(private)
	if err != nil {
		t.Fatal(err)
	}
	return private, public
}

func signedV1(t *testing.T, body string, secrets ...string) http.Header {
	t.Helper()
	h, err := signing.Headers("msg_1", signedAt, []byte(body), secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// v1aBody is the body every v1a case signs.
const v1aBody = `{"type":"transfer.created"}`

func signedV1a(t *testing.T, keys ...string) http.Header {
	t.Helper()
	h, err := signing.HeadersAsymmetric("msg_1", signedAt, []byte(v1aBody), keys...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// wantVerify checks r.Verify: nil when want is "", else an error holding want.
func wantVerify(t *testing.T, r *Receiver, want string) {
	t.Helper()
	err := r.Verify()
	switch {
	case want == "" && err != nil:
		t.Errorf("Verify: %v", err)
	case want != "" && err == nil:
		t.Errorf("Verify passed, want an error with %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("Verify: %v\nwant an error with %q", err, want)
	}
}

func TestReceiverVerifyV1(t *testing.T) {
	s1, s2, other := secret(t), secret(t), secret(t)
	const body = `{"type":"transfer.created"}`
	tampered := func(h http.Header) http.Header {
		h.Set("Webhook-Id", "msg_2")
		return h
	}
	for _, tc := range []struct {
		name    string
		header  http.Header
		body    string
		trusted []string
		want    string
	}{
		{name: "signed", header: signedV1(t, body, s1), body: body, trusted: []string{s1}},
		{name: "grace window, the old secret trusted", header: signedV1(t, body, s2, s1), body: body, trusted: []string{s1}},
		{name: "one of several trusted", header: signedV1(t, body, s2), body: body, trusted: []string{s1, s2}},
		{name: "another secret", header: signedV1(t, body, s1), body: body, trusted: []string{other}, want: "standard webhooks library: unable to verify payload, err: no matching signature found"},
		{name: "another body", header: signedV1(t, body, s1), body: body + " ", trusted: []string{s1}, want: "stripe-go: "},
		{name: "another id", header: tampered(signedV1(t, body, s1)), body: body, trusted: []string{s1}, want: "standard webhooks library: "},
		{name: "no Hookd-Signature", header: func() http.Header { h := signedV1(t, body, s1); h.Del("Hookd-Signature"); return h }(), body: body, trusted: []string{s1}, want: "stripe-go: "},
		{name: "t= is not webhook-timestamp", header: func() http.Header { h := signedV1(t, body, s1); h.Set("Webhook-Timestamp", "1"); return h }(), body: body, trusted: []string{s1}, want: "Hookd-Signature does not carry t=1"},
		{name: "a public key for a v1 delivery", header: signedV1(t, body, s1), body: body, trusted: []string{func() string { _, pub := keyPair(t); return pub }()}, want: "carries Hookd-Signature"},
		{name: "not a key", header: signedV1(t, body, s1), body: body, trusted: []string{"tok-1"}, want: "neither"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReceiver(t, http.StatusOK)
			send(t, r, tc.header, tc.body)
			r.Trust(tc.trusted...)
			wantVerify(t, r, tc.want)
		})
	}
}

func TestReceiverVerifyV1a(t *testing.T) {
	priv1, pub1 := keyPair(t)
	priv2, pub2 := keyPair(t)
	for _, tc := range []struct {
		name    string
		header  http.Header
		trusted []string
		want    string
	}{
		{name: "signed", header: signedV1a(t, priv1), trusted: []string{pub1}},
		{name: "grace window, the old key trusted", header: signedV1a(t, priv2, priv1), trusted: []string{pub1}},
		{name: "another key", header: signedV1a(t, priv1), trusted: []string{pub2}, want: "circl: none of the 1 v1a signatures verifies with the public key"},
		{name: "with Hookd-Signature", header: func() http.Header {
			h := signedV1a(t, priv1)
			h.Set("Hookd-Signature", "t=1,v1=00")
			return h
		}(), trusted: []string{pub1}, want: "a v1a delivery carries Hookd-Signature"},
		{name: "with a v1 signature", header: func() http.Header {
			h := signedV1a(t, priv1)
			h.Set("Webhook-Signature", h.Get("Webhook-Signature")+" v1,AAAA")
			return h
		}(), trusted: []string{pub1}, want: `holds a "v1" signature, not v1a`},
		{name: "a secret for a v1a delivery", header: signedV1a(t, priv1), trusted: []string{secret(t)}, want: "no matching signature found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReceiver(t, http.StatusOK)
			send(t, r, tc.header, v1aBody)
			r.Trust(tc.trusted...)
			wantVerify(t, r, tc.want)
		})
	}
}

// Every request must verify, not just one; and an empty receiver, or one
// with no key, proves nothing.
func TestReceiverVerifyEvery(t *testing.T) {
	s1, s2 := secret(t), secret(t)
	r := NewReceiver(t, http.StatusInternalServerError)
	wantVerify(t, r, "received nothing")
	send(t, r, signedV1(t, "{}", s1), "{}")
	wantVerify(t, r, "no signing key is trusted")
	r.Trust(s1)
	wantVerify(t, r, "")
	send(t, r, signedV1(t, "{}", s2), "{}")
	send(t, r, signedV1(t, "{}", s1), "{}")
	wantVerify(t, r, `request 2 of 3 to `+r.URL+` (webhook-id "msg_1"): key 1 of 1: standard webhooks library`)
	if err := r.Verify(); err == nil || strings.Contains(err.Error(), "request 1 ") || strings.Contains(err.Error(), "request 3 ") {
		t.Errorf("Verify names requests that verified: %v", err)
	}
	if err := r.Verify(); err != nil && (strings.Contains(err.Error(), s1) || strings.Contains(err.Error(), s2)) {
		t.Error("Verify quotes a secret")
	}
}

func TestReceiverTrustState(t *testing.T) {
	s := secret(t)
	state := &tfjson.State{Values: &tfjson.StateValues{RootModule: &tfjson.StateModule{Resources: []*tfjson.StateResource{{
		Address:         "hookd_account_webhook.test",
		AttributeValues: map[string]any{"secret": s, "public_key": nil},
	}}}}}
	check := func(r *Receiver, address, attr string) error {
		var resp statecheck.CheckStateResponse
		r.TrustState(address, tfjsonpath.New(attr)).CheckState(context.Background(), statecheck.CheckStateRequest{State: state}, &resp)
		return resp.Error
	}
	r := NewReceiver(t, http.StatusOK)
	send(t, r, signedV1(t, "{}", s), "{}")
	if err := check(r, "hookd_account_webhook.test", "public_key"); err == nil || !strings.Contains(err.Error(), "not a signing key") {
		t.Errorf("a null key: %v", err)
	}
	if err := check(r, "hookd_account_webhook.other", "secret"); err == nil || !strings.Contains(err.Error(), "not in the state") {
		t.Errorf("a resource not in state: %v", err)
	}
	wantVerify(t, r, "no signing key is trusted")
	if err := check(r, "hookd_account_webhook.test", "secret"); err != nil {
		t.Fatal(err)
	}
	wantVerify(t, r, "")
}

// Requests keeps the body as received.
func TestReceiverRequests(t *testing.T) {
	r := NewReceiver(t, http.StatusOK)
	send(t, r, http.Header{"X-A": {"1"}}, "hello")
	got := r.Requests()
	if len(got) != 1 || !bytes.Equal(got[0].Body, []byte("hello")) || got[0].Header.Get("X-A") != "1" {
		t.Errorf("Requests: %+v", got)
	}
}
