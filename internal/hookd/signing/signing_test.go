package signing_test

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
)

// The test vector of the Standard Webhooks specification; the README
// publishes it (and the Hookd-Signature of the same message, checked with
// openssl dgst -sha256 -mac HMAC) for receivers.
const (
	vecSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTimestamp = 1614265330
	vecBody      = `{"test": 2432232314}`
	vecStandard  = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	vecStripe    = "t=1614265330,v1=e96203c6de850e7dc1fde7489ef6140b402d3a5a64fe250cd2eef9830fac1cef"
)

func key(t *testing.T, s string) []byte {
	t.Helper()
	k, err := secrets.ParseSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVectors(t *testing.T) {
	ts := time.Unix(vecTimestamp, 0)
	h := signing.Headers(vecID, ts, []byte(vecBody), key(t, vecSecret))
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
}

// During a grace window both secrets sign; a receiver holding either one
// verifies.
func TestTwoKeys(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	current, previous := secrets.NewSecret(), secrets.NewSecret()
	body := []byte(`{"id":"evt_1"}`)
	h := signing.Headers("evt_1", ts, body, key(t, current), key(t, previous))
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
	}
	if err := signing.VerifyStripe(secrets.NewSecret(), h, body, ts, time.Minute); !errors.Is(err, signing.ErrNoMatch) {
		t.Errorf("a third secret: %v", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	ts := time.Unix(vecTimestamp, 0)
	good := signing.Headers(vecID, ts, []byte(vecBody), key(t, vecSecret))
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
	} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not contain %q", want)
		}
	}
}
