package delivery_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"
)

// Every delivery a test receiver gets is verified, when the test ends, by
// two libraries that know nothing of hookd: the Standard Webhooks reference
// library (webhook-signature) and Stripe's stripe-go (Hookd-Signature),
// each given the secret exactly as the API returned it. The secrets come
// from the API responses the tests see (create, rotate), recorded per
// webhook URL by env.do, so no test has to remember to check.

// signers is what the API has said about the webhooks of every URL.
var signers = struct {
	sync.Mutex
	byURL map[string][]string // webhook URL -> every secret it was given
	urlOf map[string]string   // webhook id -> URL
}{byURL: map[string][]string{}, urlOf: map[string]string{}}

var rotatePath = regexp.MustCompile(`^/v1/webhooks/([^/]+)/secret/rotate$`)

// observe records the secrets (and URLs) of an API answer.
func observe(method, path string, status int, data []byte) {
	if status/100 != 2 || method == http.MethodGet || method == http.MethodDelete {
		return
	}
	var got struct {
		ID     string `json:"id"`
		URL    string `json:"url"`
		Secret string `json:"secret"`
	}
	if json.Unmarshal(data, &got) != nil {
		return
	}
	signers.Lock()
	defer signers.Unlock()
	if m := rotatePath.FindStringSubmatch(path); m != nil {
		got.ID, got.URL = m[1], signers.urlOf[m[1]]
	}
	if got.ID == "" || !strings.HasPrefix(got.ID, "wh_") {
		return
	}
	if got.URL != "" {
		signers.urlOf[got.ID] = strings.TrimSuffix(got.URL, "/")
	}
	url := signers.urlOf[got.ID]
	if got.Secret != "" && url != "" && !slices.Contains(signers.byURL[url], got.Secret) {
		signers.byURL[url] = append(signers.byURL[url], got.Secret)
	}
}

// secretsFor returns every secret issued to a webhook of url.
func secretsFor(url string) []string {
	signers.Lock()
	defer signers.Unlock()
	return slices.Clone(signers.byURL[strings.TrimSuffix(url, "/")])
}

// verifyAll checks every request r received, and fails t for each that
// either library rejects.
func (r *receiver) verifyAll(t *testing.T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, got := range r.requests {
		if err := verifyIndependently(secretsFor(got.url), got.header, got.body); err != nil {
			t.Errorf("delivery %d to %s (%s): %v", i+1, got.url, got.header.Get("Webhook-Id"), err)
		}
	}
}

// verifyIndependently verifies both signature headers with the libraries:
// each must match one of the secrets. Timestamps are not checked against
// the wall clock (the tests run on a fake one, days away): stripe-go's
// tolerance is left out and t= must equal webhook-timestamp, which the
// engine takes from the fake clock.
func verifyIndependently(secrets []string, h http.Header, body []byte) error {
	if len(secrets) == 0 {
		return errors.New("no secret known for this URL: create webhooks through env.webhook or env.call")
	}
	var std, stripe error = errors.New("no secret"), errors.New("no secret")
	for _, s := range secrets {
		ref, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			return err
		}
		if std != nil {
			std = ref.VerifyIgnoringTimestamp(body, h)
		}
		if stripe != nil {
			stripe = stripewebhook.ValidatePayloadIgnoringTolerance(body, h.Get("Hookd-Signature"), s)
		}
	}
	if ts := h.Get("Webhook-Timestamp"); !strings.HasPrefix(h.Get("Hookd-Signature"), "t="+ts+",") {
		stripe = errors.Join(stripe, fmt.Errorf("Hookd-Signature %q does not carry t=%s", h.Get("Hookd-Signature"), ts))
	}
	var errs []error
	if std != nil {
		errs = append(errs, fmt.Errorf("standard webhooks library: %w", std))
	}
	if stripe != nil {
		errs = append(errs, fmt.Errorf("stripe-go: %w", stripe))
	}
	return errors.Join(errs...)
}
