package signing_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
)

// The test vector of the Standard Webhooks specification; the README
// publishes it (and the Hookd-Signature of the same message, checked with
// printf '%s' '1614265330.{"test": 2432232314}' |
// openssl dgst -sha256 -mac HMAC -macopt key:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw)
// for receivers.
const (
	vecSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTimestamp = 1614265330
	vecBody      = `{"test": 2432232314}`
	vecStandard  = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	vecStripe    = "t=1614265330,v1=2e37df5d4a028c51a7f3133d64ae1e300d2c2c900f1b1d49d4369ad2530f8964"
)

func headers(t *testing.T, id string, ts time.Time, body []byte, secrets ...string) http.Header {
	t.Helper()
	h, err := signing.Headers(id, ts, body, secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// verifyWithStripe checks Hookd-Signature with Stripe's own library, given
// the secret exactly as hookd returned it (what a receiver using
// stripe-go's webhook.ConstructEvent does). The vectors are old, so the
// tolerance is not enforced here; parseUnix tests it.
func verifyWithStripe(h http.Header, body []byte, secret string) error {
	return stripewebhook.ValidatePayloadIgnoringTolerance(body, h.Get(signing.HeaderStripeStyle), secret)
}

func TestVectors(t *testing.T) {
	ts := time.Unix(vecTimestamp, 0)
	h := headers(t, vecID, ts, []byte(vecBody), vecSecret)
	if got := h.Get(signing.HeaderSignature); got != vecStandard {
		t.Errorf("webhook-signature = %q, want %q", got, vecStandard)
	}
	if got := h.Get(signing.HeaderStripeStyle); got != vecStripe {
		t.Errorf("Hookd-Signature = %q, want %q", got, vecStripe)
	}
	if h.Get(signing.HeaderID) != vecID || h.Get(signing.HeaderTimestamp) != "1614265330" {
		t.Errorf("headers %v", h)
	}
	// The reference library agrees, independently of this package.
	ref, err := standardwebhooks.NewWebhook(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.VerifyIgnoringTimestamp([]byte(vecBody), h); err != nil {
		t.Fatalf("reference library: %v", err)
	}
	if err := signing.VerifyStandard(vecSecret, h, []byte(vecBody), ts, time.Minute); err != nil {
		t.Fatalf("VerifyStandard: %v", err)
	}
	if err := signing.VerifyStripe(vecSecret, h, []byte(vecBody), ts, time.Minute); err != nil {
		t.Fatalf("VerifyStripe: %v", err)
	}
	if err := verifyWithStripe(h, []byte(vecBody), vecSecret); err != nil {
		t.Fatalf("stripe-go: %v", err)
	}
}

// Stripe's libraries key the HMAC with the secret text as given. A header
// keyed with the base64-decoded bytes (as hookd once keyed it) is rejected by
// them, and so must be by VerifyStripe: no receiver can be left relying on
// the old keying by accident.
func TestStripeKeyIsTheSecretText(t *testing.T) {
	ts := time.Unix(vecTimestamp, 0)
	body := []byte(vecBody)
	mac := hmac.New(sha256.New, key(t, vecSecret))
	fmt.Fprintf(mac, "%d.", ts.Unix())
	mac.Write(body)
	old := http.Header{signing.HeaderStripeStyle: {fmt.Sprintf("t=%d,v1=%x", ts.Unix(), mac.Sum(nil))}}
	if err := verifyWithStripe(old, body, vecSecret); !errors.Is(err, stripewebhook.ErrNoValidSignature) {
		t.Fatalf("stripe-go accepts a header keyed with the decoded secret: %v", err)
	}
	if err := signing.VerifyStripe(vecSecret, old, body, ts, time.Minute); !errors.Is(err, signing.ErrNoMatch) {
		t.Fatalf("VerifyStripe accepts a header keyed with the decoded secret: %v", err)
	}
	if got := signing.StripeStyle(vecSecret, ts, body); got != hex.EncodeToString(stripewebhook.ComputeSignature(ts, body, vecSecret)) {
		t.Fatalf("StripeStyle = %s, stripe-go computes another", got)
	}
	// And Stripe's test-payload generator's header verifies with ours.
	signed := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: vecSecret, Timestamp: ts})
	if err := signing.VerifyStripe(vecSecret, http.Header{signing.HeaderStripeStyle: {signed.Header}}, body, ts, time.Minute); err != nil {
		t.Fatalf("VerifyStripe rejects stripe-go's header %q: %v", signed.Header, err)
	}
}

func key(t *testing.T, s string) []byte {
	t.Helper()
	k, err := secrets.ParseSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// During a grace window both secrets sign; a receiver holding either one
// verifies.
func TestTwoKeys(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	current, previous := secrets.NewSecret(), secrets.NewSecret()
	body := []byte(`{"id":"evt_1"}`)
	h := headers(t, "evt_1", ts, body, current, previous)
	if n := len(strings.Fields(h.Get(signing.HeaderSignature))); n != 2 {
		t.Fatalf("%d standard signatures", n)
	}
	if n := strings.Count(h.Get(signing.HeaderStripeStyle), "v1="); n != 2 {
		t.Fatalf("%d stripe-style signatures", n)
	}
	for _, s := range []string{current, previous} {
		ref, _ := standardwebhooks.NewWebhook(s)
		if err := ref.VerifyIgnoringTimestamp(body, h); err != nil {
			t.Errorf("reference library with one of the secrets: %v", err)
		}
		if err := signing.VerifyStripe(s, h, body, ts, time.Minute); err != nil {
			t.Errorf("VerifyStripe: %v", err)
		}
		if err := verifyWithStripe(h, body, s); err != nil {
			t.Errorf("stripe-go with one of the secrets: %v", err)
		}
	}
	third := secrets.NewSecret()
	if err := signing.VerifyStripe(third, h, body, ts, time.Minute); !errors.Is(err, signing.ErrNoMatch) {
		t.Errorf("a third secret: %v", err)
	}
	if err := verifyWithStripe(h, body, third); err == nil {
		t.Error("stripe-go verifies with a third secret")
	}
}

func TestHeadersRefuseAMalformedSecret(t *testing.T) {
	if _, err := signing.Headers("evt_1", time.Unix(1, 0), nil, vecSecret, "whsec_!!"); !errors.Is(err, secrets.ErrMalformedSecret) {
		t.Fatalf("Headers with a malformed secret: %v", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	ts := time.Unix(vecTimestamp, 0)
	good := headers(t, vecID, ts, []byte(vecBody), vecSecret)
	cases := []struct {
		name   string
		header http.Header
		body   string
		now    time.Time
		want   error
	}{
		{"tampered body", good, `{"test": 1}`, ts, signing.ErrNoMatch},
		{"too old", good, vecBody, ts.Add(6 * time.Minute), signing.ErrTimestampTooOld},
		{"from the future", good, vecBody, ts.Add(-6 * time.Minute), signing.ErrTimestampTooOld},
		{"no headers", http.Header{}, vecBody, ts, signing.ErrMissingHeader},
		{"garbage", http.Header{"Hookd-Signature": {"nonsense"}, "Webhook-Id": {"x"}, "Webhook-Timestamp": {"abc"}, "Webhook-Signature": {"v1,x"}}, vecBody, ts, signing.ErrMalformedHeader},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := signing.VerifyStripe(vecSecret, c.header, []byte(c.body), c.now, 5*time.Minute); !errors.Is(err, c.want) {
				t.Errorf("VerifyStripe = %v, want %v", err, c.want)
			}
			if err := signing.VerifyStandard(vecSecret, c.header, []byte(c.body), c.now, 5*time.Minute); !errors.Is(err, c.want) {
				t.Errorf("VerifyStandard = %v, want %v", err, c.want)
			}
		})
	}
}

// The README publishes the vectors and the rule for the key bytes; they
// must stay the ones tested here.
func TestReadmePublishesTheVectors(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		vecSecret, vecID, "1614265330", vecBody, vecStandard, vecStripe,
		"the base64 decoding of the part of the secret after `whsec_`",
		"the secret exactly as given",
	} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not contain %q", want)
		}
	}
}
