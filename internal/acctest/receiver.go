package acctest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
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
	body     *string // nil: the status text
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
		status, answer := r.status, http.StatusText(r.status)
		if r.body != nil {
			answer = *r.body
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
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

// SetBody changes the body of later answers (by default the status text,
// such as "Service Unavailable").
func (r *Receiver) SetBody(body string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.body = &body
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
		if err := hookdtest.SignedByOneOf(keys, req.Header, req.Body); err != nil {
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

// SignedBy checks that key signed req with verifiers independent of hookd
// (hookdtest.SignedBy: the Standard Webhooks library and stripe-go for a
// "whsec_" secret, circl's Ed25519 for a "whpk_" public key). The error
// never quotes the key.
func (req Received) SignedBy(key string) error { return hookdtest.SignedBy(key, req.Header, req.Body) }
