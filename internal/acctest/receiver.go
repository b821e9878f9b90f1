package acctest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	circl "github.com/cloudflare/circl/sign/ed25519"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"
)

// Received is one request a Receiver got.
type Received struct {
	Header http.Header
	Body   []byte
}

// Receiver is a webhook endpoint on 127.0.0.1 that answers with a fixed
// status and records what it gets. Given the signing keys of the webhooks
// that send to it (Trust, TrustState), it verifies every request it got
// with libraries that know nothing of hookd (Verify, VerifyWhenDone).
type Receiver struct {
	URL string

	mu       sync.Mutex
	status   int
	requests []Received
	keys     []string
}

// NewReceiver starts a receiver answering status until the test ends.
func NewReceiver(t *testing.T, status int) *Receiver {
	t.Helper()
	r := &Receiver{status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, Received{Header: req.Header.Clone(), Body: body})
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, http.StatusText(status))
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/hooks"
	return r
}

// SetStatus changes the answer of later requests.
func (r *Receiver) SetStatus(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

// Requests returns a copy of what was received so far.
func (r *Receiver) Requests() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Received(nil), r.requests...)
}

// RequestsWith returns the requests r got whose header name has value, in
// order: on a hookd other tests share (HOOKD_ENDPOINT), a webhook that
// subscribes to an event type also gets the events other tests publish, so
// a test counts its own, by event id (Webhook-Id) or test deliveries
// (Hookd-Test-Delivery: true).
func (r *Receiver) RequestsWith(name, value string) []Received {
	var out []Received
	for _, req := range r.Requests() {
		if req.Header.Get(name) == value {
			out = append(out, req)
		}
	}
	return out
}

// Trust adds signing keys of the webhooks that send to r, as the API or
// the test gave them: "whsec_" secrets (v1) and "whpk_" public keys (v1a).
// Verify accepts a request that one of them verifies.
func (r *Receiver) Trust(keys ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, keys...)
}

// TrustState is a state check that trusts, as Trust does, the key at path
// of the resource at address (its secret or public_key); a key that is
// null or not a string fails the check.
func (r *Receiver) TrustState(address string, path tfjsonpath.Path) statecheck.StateCheck {
	return trustState{r: r, address: address, path: path}
}

type trustState struct {
	r       *Receiver
	address string
	path    tfjsonpath.Path
}

func (c trustState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		resp.Error = errors.New("the state is empty")
		return
	}
	for _, res := range req.State.Values.RootModule.Resources {
		if res.Address != c.address {
			continue
		}
		v, err := tfjsonpath.Traverse(res.AttributeValues, c.path)
		if err != nil {
			resp.Error = err
			return
		}
		key, ok := v.(string)
		if !ok {
			resp.Error = fmt.Errorf("%s.%s is %T, not a signing key", c.address, c.path, v)
			return
		}
		c.r.Trust(key)
		return
	}
	resp.Error = fmt.Errorf("%s is not in the state", c.address)
}

// Verify checks every request r has received so far against the trusted
// keys, and returns an error naming each request that none of them
// verifies, and why. Receiving nothing is an error too: it would prove
// nothing. Timestamps are not held to the wall clock, since some tests run
// hookd on a fake one.
func (r *Receiver) Verify() error {
	r.mu.Lock()
	requests, keys := append([]Received(nil), r.requests...), append([]string(nil), r.keys...)
	r.mu.Unlock()
	if len(requests) == 0 {
		return fmt.Errorf("%s received nothing: no signature to verify", r.URL)
	}
	if len(keys) == 0 {
		return fmt.Errorf("%s received %d requests, but no signing key is trusted: call Trust or TrustState", r.URL, len(requests))
	}
	var errs []error
	for i, req := range requests {
		if err := req.verifiedByOneOf(keys); err != nil {
			errs = append(errs, fmt.Errorf("request %d of %d to %s (webhook-id %q): %w", i+1, len(requests), r.URL, req.Header.Get("Webhook-Id"), err))
		}
	}
	return errors.Join(errs...)
}

// VerifyWhenDone runs Verify when t ends and fails t if it finds a
// request that no trusted key verifies, or no request at all (unless t was
// skipped first).
func (r *Receiver) VerifyWhenDone(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		t.Helper()
		if t.Skipped() && len(r.Requests()) == 0 {
			return
		}
		if err := r.Verify(); err != nil {
			t.Error(err)
		}
	})
}

func (req Received) verifiedByOneOf(keys []string) error {
	var errs []error
	for i, key := range keys {
		err := req.SignedBy(key)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("key %d: %w", i+1, err))
	}
	return errors.Join(errs...)
}

// SignedBy checks that key signed req, with independent verifiers: for a
// "whsec_" secret the Standard Webhooks reference library
// (webhook-signature) and stripe-go (Hookd-Signature, whose t= must be
// webhook-timestamp); for a "whpk_" public key circl's Ed25519 (hookd signs
// with crypto/ed25519), on a request that carries only v1a signatures and
// no Hookd-Signature. The error never quotes the key.
func (req Received) SignedBy(key string) error {
	switch {
	case strings.HasPrefix(key, "whsec_"):
		return req.signedBySecret(key)
	case strings.HasPrefix(key, "whpk_"):
		return req.signedByPublicKey(key)
	}
	return errors.New(`the key is neither a "whsec_" secret nor a "whpk_" public key`)
}

func (req Received) signedBySecret(secret string) error {
	var errs []error
	std, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return fmt.Errorf("standard webhooks library: %w", err)
	}
	if err := std.VerifyIgnoringTimestamp(req.Body, req.Header); err != nil {
		errs = append(errs, fmt.Errorf("standard webhooks library: %w", err))
	}
	stripe := req.Header.Get("Hookd-Signature")
	if err := stripewebhook.ValidatePayloadIgnoringTolerance(req.Body, stripe, secret); err != nil {
		errs = append(errs, fmt.Errorf("stripe-go: %w", err))
	} else if ts := req.Header.Get("Webhook-Timestamp"); !strings.HasPrefix(stripe, "t="+ts+",") {
		errs = append(errs, fmt.Errorf("Hookd-Signature does not carry t=%s, the webhook-timestamp", ts))
	}
	return errors.Join(errs...)
}

func (req Received) signedByPublicKey(publicKey string) error {
	if req.Header.Get("Hookd-Signature") != "" {
		return errors.New("a v1a delivery carries Hookd-Signature")
	}
	pub, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(publicKey, "whpk_"))
	if err != nil || len(pub) != circl.PublicKeySize {
		return fmt.Errorf("the public key is not the standard base64 of %d bytes", circl.PublicKeySize)
	}
	id, ts := req.Header.Get("Webhook-Id"), req.Header.Get("Webhook-Timestamp")
	sigs := strings.Fields(req.Header.Get("Webhook-Signature"))
	if id == "" || ts == "" || len(sigs) == 0 {
		return errors.New("webhook-id, webhook-timestamp or webhook-signature missing")
	}
	msg := append([]byte(id+"."+ts+"."), req.Body...)
	verified := false
	for _, sig := range sigs {
		version, b64, _ := strings.Cut(sig, ",")
		if version != "v1a" {
			return fmt.Errorf("webhook-signature holds a %q signature, not v1a", version)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return fmt.Errorf("webhook-signature holds a v1a signature that is not base64: %w", err)
		}
		verified = verified || circl.Verify(circl.PublicKey(pub), msg, raw)
	}
	if !verified {
		return fmt.Errorf("circl: none of the %d v1a signatures verifies with the public key", len(sigs))
	}
	return nil
}
