package hookdtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	circl "github.com/cloudflare/circl/sign/ed25519"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"
)

// A receiver started by NewReceiver records every request it gets and,
// when the test ends, has each one verified by libraries that know nothing
// of hookd (SignedBy) with the signing keys trusted for the URL it was sent
// to: those the Hooks API answered for webhooks of that URL (ObserveAPI,
// which a test's API helper calls with every answer) or that a test gave
// (Trust). A request that none of them verifies fails the test. Tests
// with receivers of their own verify with KeysFor.

// trusted is every signing key trusted per webhook URL (without a trailing
// slash), and the URL of every webhook the API has answered for, by id (a
// rotate answer does not carry it). Kept for the whole test binary: a key
// trusted for a URL a later test reuses (the same port) only adds a key
// that will not verify.
var trusted = struct {
	sync.Mutex
	keys  map[string][]string
	urlOf map[string]string
}{keys: map[string][]string{}, urlOf: map[string]string{}}

type received struct {
	url    string
	header http.Header
	body   []byte
}

// NewReceiver starts a webhook endpoint on 127.0.0.1 that records every
// request and passes it on to h (with its body intact), and closes it when
// the test ends. Then, once every handler has returned, each request is
// verified with the keys trusted for its URL; one that none of them
// verifies fails t. Cleanups the caller registers later run before the
// server is closed (such as one releasing handlers that wait).
func NewReceiver(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	var (
		mu       sync.Mutex
		requests []received
	)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for i, got := range requests {
			if err := SignedByOneOf(KeysFor(got.url), got.header, got.body); err != nil {
				t.Errorf("hookdtest: delivery %d to %s (webhook-id %q) does not verify: %v", i+1, got.url, got.header.Get("Webhook-Id"), err)
			}
		}
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mu.Lock()
		requests = append(requests, received{url: "http://" + req.Host + req.URL.RequestURI(), header: req.Header.Clone(), body: body})
		mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(body))
		h(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Trust adds signing keys ("whsec_" secrets, "whpk_" public keys; empty
// ones are left out) for deliveries to webhookURL: for a webhook made
// outside the API, whose answers ObserveAPI would have read.
func Trust(webhookURL string, keys ...string) {
	trusted.Lock()
	defer trusted.Unlock()
	u := strings.TrimSuffix(webhookURL, "/")
	for _, k := range keys {
		if k != "" && !slices.Contains(trusted.keys[u], k) {
			trusted.keys[u] = append(trusted.keys[u], k)
		}
	}
}

// KeysFor is every signing key trusted for deliveries to webhookURL.
func KeysFor(webhookURL string) []string {
	trusted.Lock()
	defer trusted.Unlock()
	return slices.Clone(trusted.keys[strings.TrimSuffix(webhookURL, "/")])
}

var rotatePath = regexp.MustCompile(`/v1/webhooks/(wh_[^/]+)/secret/rotate$`)

// ObserveAPI trusts the signing keys of a successful Hooks API answer
// about a webhook (a create, get, update or rotation: its secret, public
// key and previous public key) for deliveries to the webhook's URL.
func ObserveAPI(method, path string, status int, body []byte) {
	if status/100 != 2 || method == http.MethodDelete {
		return
	}
	var got struct {
		ID                string  `json:"id"`
		URL               string  `json:"url"`
		Secret            string  `json:"secret"`
		PublicKey         *string `json:"public_key"`
		PreviousPublicKey *string `json:"previous_public_key"`
	}
	if json.Unmarshal(body, &got) != nil {
		return
	}
	trusted.Lock()
	if m := rotatePath.FindStringSubmatch(path); m != nil {
		got.ID, got.URL = m[1], trusted.urlOf[m[1]]
	}
	if !strings.HasPrefix(got.ID, "wh_") {
		trusted.Unlock()
		return
	}
	if got.URL != "" {
		trusted.urlOf[got.ID] = got.URL
	}
	webhookURL := trusted.urlOf[got.ID]
	trusted.Unlock()
	if webhookURL == "" {
		return
	}
	keys := []string{got.Secret}
	for _, k := range []*string{got.PublicKey, got.PreviousPublicKey} {
		if k != nil {
			keys = append(keys, *k)
		}
	}
	Trust(webhookURL, keys...)
}

// SignedByOneOf checks that one of keys signed a delivery (SignedBy);
// its error says why each key did not.
func SignedByOneOf(keys []string, h http.Header, body []byte) error {
	if len(keys) == 0 {
		return errors.New("no signing key is trusted for this receiver: create its webhooks through a helper that calls hookdtest.ObserveAPI, or call hookdtest.Trust")
	}
	var errs []error
	for i, k := range keys {
		err := SignedBy(k, h, body)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("key %d of %d: %w", i+1, len(keys), err))
	}
	return errors.Join(errs...)
}

// SignedBy checks that key signed a delivery (its header and body) with
// verifiers independent of hookd: for a "whsec_" secret the Standard
// Webhooks reference library (webhook-signature) and stripe-go
// (Hookd-Signature, keyed with the secret text as is, whose t= must be the
// webhook-timestamp); for a "whpk_" public key circl's Ed25519 (hookd signs
// with crypto/ed25519), on a delivery that carries only v1a signatures and
// no Hookd-Signature. Timestamps are not held to the wall clock (tests may
// run hookd on a fake one). The error never quotes the key.
func SignedBy(key string, h http.Header, body []byte) error {
	switch {
	case strings.HasPrefix(key, "whsec_"):
		return signedBySecret(key, h, body)
	case strings.HasPrefix(key, "whpk_"):
		return signedByPublicKey(key, h, body)
	}
	return errors.New(`the key is neither a "whsec_" secret nor a "whpk_" public key`)
}

func signedBySecret(secret string, h http.Header, body []byte) error {
	std, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return fmt.Errorf("standard webhooks library: %w", err)
	}
	var errs []error
	if err := std.VerifyIgnoringTimestamp(body, h); err != nil {
		errs = append(errs, fmt.Errorf("standard webhooks library: %w", err))
	}
	if err := StripeSignedBy(secret, h, body); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// StripeSignedBy checks the Stripe-style Hookd-Signature alone, with
// stripe-go given the secret as is: one of its v1= entries (one per valid
// secret during a rotation's grace window) matches, and its t= is the
// webhook-timestamp. The timestamp is not held to the wall clock.
func StripeSignedBy(secret string, h http.Header, body []byte) error {
	stripe := h.Get("Hookd-Signature")
	if err := stripewebhook.ValidatePayloadIgnoringTolerance(body, stripe, secret); err != nil {
		return fmt.Errorf("stripe-go: %w", err)
	}
	if ts := h.Get("Webhook-Timestamp"); !strings.HasPrefix(stripe, "t="+ts+",") {
		return fmt.Errorf("Hookd-Signature does not carry t=%s, the webhook-timestamp", ts)
	}
	return nil
}

func signedByPublicKey(publicKey string, h http.Header, body []byte) error {
	if h.Get("Hookd-Signature") != "" {
		return errors.New("a v1a delivery carries Hookd-Signature")
	}
	pub, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(publicKey, "whpk_"))
	if err != nil || len(pub) != circl.PublicKeySize {
		return fmt.Errorf("the public key is not the standard base64 of %d bytes", circl.PublicKeySize)
	}
	id, ts := h.Get("Webhook-Id"), h.Get("Webhook-Timestamp")
	sigs := strings.Fields(h.Get("Webhook-Signature"))
	if id == "" || ts == "" || len(sigs) == 0 {
		return errors.New("webhook-id, webhook-timestamp or webhook-signature missing")
	}
	msg := append([]byte(id+"."+ts+"."), body...)
	ok := false
	for _, sig := range sigs {
		version, b64, _ := strings.Cut(sig, ",")
		if version != "v1a" {
			return fmt.Errorf("webhook-signature holds a %q signature, not v1a", version)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return fmt.Errorf("webhook-signature holds a v1a signature that is not base64: %w", err)
		}
		ok = ok || circl.Verify(circl.PublicKey(pub), msg, raw)
	}
	if !ok {
		return fmt.Errorf("circl: none of the %d v1a signatures verifies with the public key", len(sigs))
	}
	return nil
}
