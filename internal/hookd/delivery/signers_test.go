package delivery_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	circl "github.com/cloudflare/circl/sign/ed25519"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// Every delivery a test receiver gets is verified, when the test ends, by
// libraries that know nothing of hookd: a v1 (HMAC) delivery by the
// Standard Webhooks reference library (webhook-signature) and by Stripe's
// stripe-go (Hookd-Signature), each given the secret exactly as the API
// returned it; a v1a delivery by circl's Ed25519 (not the crypto/ed25519
// hookd signs with) with the public keys the API showed. Secrets and keys
// come from the API responses the tests see, recorded per webhook URL by
// env.do (hookdtest.ObserveAPI), so no test has to remember to check.

// verifyAll checks every request r received, and fails t for each that
// either library rejects.
func (r *receiver) verifyAll(t *testing.T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	verifyEach(t, r.requests)
}

// verifyEach fails t for each request that the libraries reject, given
// what the API said about the webhooks of its URL (hookdtest.SignedByOneOf:
// the Standard Webhooks library and stripe-go, or circl for v1a).
func verifyEach(t testing.TB, requests []received) {
	t.Helper()
	for i, got := range requests {
		if err := hookdtest.SignedByOneOf(hookdtest.KeysFor(got.url), got.header, got.body); err != nil {
			t.Errorf("delivery %d to %s (%s): %v", i+1, got.url, got.header.Get("Webhook-Id"), err)
		}
	}
}

// verifying wraps the handler of a receiver other than receiver (which
// records what it needs anyway): every request is recorded, handed on to h
// with its body intact, and verified as receiver's are when the test ends.
// Call it before starting the receiver's server and registering its Close,
// so that the server is closed (no request still arriving) first.
func verifying(t testing.TB, h http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	var requests []received
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		verifyEach(t, requests)
	})
	return func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mu.Lock()
		requests = append(requests, received{url: "http://" + req.Host + req.URL.RequestURI(), header: req.Header.Clone(), body: body, at: time.Now()})
		mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(body))
		h(w, req)
	}
}

// verifiedBy counts the v1a signatures of h that one of publicKeys
// verifies (circl's Ed25519, from the specification's rule alone); any
// other signature in the header is an error for the count (-1).
func verifiedBy(publicKeys []string, h http.Header, body []byte) int {
	msg := append([]byte(h.Get("Webhook-Id")+"."+h.Get("Webhook-Timestamp")+"."), body...)
	n := 0
	for _, sig := range strings.Fields(h.Get("Webhook-Signature")) {
		b64, ok := strings.CutPrefix(sig, "v1a,")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil {
			return -1
		}
		for _, k := range publicKeys {
			pub, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(k, "whpk_"))
			if err == nil && len(pub) == circl.PublicKeySize && circl.Verify(circl.PublicKey(pub), msg, raw) {
				n++
				break
			}
		}
	}
	return n
}
