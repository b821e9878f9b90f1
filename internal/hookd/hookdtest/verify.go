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
	"net/url"
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
// of hookd (SignedBy) with the signing keys trusted for it: those the
// Hooks API answered for webhooks of its URL (ObserveAPI, which a test's
// API helper calls with every answer) or that a test gave (Trust). A
// request that none of them verifies fails the test.

// verified is every running receiver, by base URL (http://127.0.0.1:port),
// and the URL of every webhook the API has answered for, by id (a rotate
// answer does not carry it).
var verified = struct {
	sync.Mutex
	receivers map[string]*receiver
	urlOf     map[string]string
}{receivers: map[string]*receiver{}, urlOf: map[string]string{}}

type receiver struct {
	mu       sync.Mutex
	keys     []string
	requests []received
}

type received struct {
	url    string
	header http.Header
	body   []byte
}

// NewReceiver starts a webhook endpoint on 127.0.0.1 that records every
// request and passes it on to h (with its body intact), and closes it when
// the test ends. Then, once every handler has returned, each request is
// verified with the keys trusted for the receiver; one that none of them
// verifies fails t. Cleanups the caller registers later run before the
// server is closed (such as one releasing handlers that wait).
func NewReceiver(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	r := &receiver{}
	var base string
	t.Cleanup(func() {
		verified.Lock()
		delete(verified.receivers, base)
		verified.Unlock()
		r.mu.Lock()
		defer r.mu.Unlock()
		for i, got := range r.requests {
			if err := SignedByOneOf(r.keys, got.header, got.body); err != nil {
				t.Errorf("hookdtest: delivery %d to %s (webhook-id %q) does not verify: %v", i+1, got.url, got.header.Get("Webhook-Id"), err)
			}
		}
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, received{url: "http://" + req.Host + req.URL.RequestURI(), header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(body))
		h(w, req)
	}))
	base = srv.URL
	verified.Lock()
	verified.receivers[base] = r
	verified.Unlock()
	t.Cleanup(srv.Close)
	return srv
}

// Trust adds signing keys ("whsec_" secrets, "whpk_" public keys; empty
// ones are left out) for the receiver that webhookURL points at, if it is
// one of NewReceiver's.
func Trust(webhookURL string, keys ...string) {
	u, err := url.Parse(webhookURL)
	if err != nil {
		return
	}
	verified.Lock()
	r := verified.receivers[u.Scheme+"://"+u.Host]
	verified.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		if k != "" && !slices.Contains(r.keys, k) {
			r.keys = append(r.keys, k)
		}
	}
}

var rotatePath = regexp.MustCompile(`/v1/webhooks/(wh_[^/]+)/secret/rotate$`)

// ObserveAPI trusts the signing keys of a successful Hooks API answer
// about a webhook (a create, get, update or rotation: its secret, public
// key and previous public key) for the receiver at the webhook's URL.
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
	verified.Lock()
	if m := rotatePath.FindStringSubmatch(path); m != nil {
		got.ID, got.URL = m[1], verified.urlOf[m[1]]
	}
	if !strings.HasPrefix(got.ID, "wh_") {
		verified.Unlock()
		return
	}
	if got.URL != "" {
		verified.urlOf[got.ID] = got.URL
	}
	webhookURL := verified.urlOf[got.ID]
	verified.Unlock()
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
	stripe := h.Get("Hookd-Signature")
	if err := stripewebhook.ValidatePayloadIgnoringTolerance(body, stripe, secret); err != nil {
		errs = append(errs, fmt.Errorf("stripe-go: %w", err))
	} else if ts := h.Get("Webhook-Timestamp"); !strings.HasPrefix(stripe, "t="+ts+",") {
		errs = append(errs, fmt.Errorf("Hookd-Signature does not carry t=%s, the webhook-timestamp", ts))
	}
	return errors.Join(errs...)
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
