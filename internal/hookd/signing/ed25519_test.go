package signing_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	circl "github.com/cloudflare/circl/sign/ed25519"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
)

// verifyWithCircl checks the v1a signatures with an Ed25519 implementation
// other than the crypto/ed25519 that hookd signs with, from the "whpk_"
// key and the specification's rule alone.
func verifyWithCircl(t *testing.T, publicKey string, h http.Header, body []byte) int {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(publicKey, "whpk_"))
	if err != nil || len(raw) != circl.PublicKeySize {
		t.Fatalf("public key %q: %v", publicKey, err)
	}
	msg := []byte(h.Get("Webhook-Id") + "." + h.Get("Webhook-Timestamp") + ".")
	msg = append(msg, body...)
	n := 0
	for _, sig := range strings.Fields(h.Get("Webhook-Signature")) {
		b64, ok := strings.CutPrefix(sig, "v1a,")
		if !ok {
			t.Errorf("signature %q is not v1a", sig)
			continue
		}
		s, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && circl.Verify(circl.PublicKey(raw), msg, s) {
			n++
		}
	}
	return n
}

// The README's v1a vector: the key pair of the seed 0x00..0x1f and the
// Standard Webhooks vector's message. Ed25519 is deterministic, so the
// signature is fixed.
const (
	vecSigningKey = "whsk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8DoQe/884Qvh1w3RjnS8CZZ+TWMJulDV8d3IZkElUxuA=="
	vecPublicKey  = "whpk_A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
	vecV1a        = "v1a,yoUrgEkc12aGqm0n4Sydmdz55xJfTz4AsAgieHFjmkR7LJtqVCZOQYzvvHjI5kAey+r4iaBGxTFRrl2iBQxtDQ=="
)

func TestAsymmetricVector(t *testing.T) {
	seed := make([]byte, circl.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	if got := "whsk_" + base64.StdEncoding.EncodeToString(circl.NewKeyFromSeed(seed)); got != vecSigningKey {
		t.Fatalf("circl's key of the seed is %s", got)
	}
	if pub, err := signing.PublicKey(vecSigningKey); err != nil || pub != vecPublicKey {
		t.Fatalf("PublicKey = %q, %v", pub, err)
	}
	ts := time.Unix(vecTimestamp, 0)
	h, err := signing.HeadersAsymmetric(vecID, ts, []byte(vecBody), vecSigningKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get(signing.HeaderSignature); got != vecV1a {
		t.Errorf("webhook-signature = %q, want %q", got, vecV1a)
	}
	if n := verifyWithCircl(t, vecPublicKey, h, []byte(vecBody)); n != 1 {
		t.Errorf("circl verifies %d signatures", n)
	}
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{vecSigningKey, vecPublicKey, vecV1a, "### Verifying v1a (Ed25519) signatures"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not contain %q", want)
		}
	}
}

func TestAsymmetricHeaders(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	body := []byte(`{"id":"evt_1"}`)
	current, previous := signing.NewSigningKey(), signing.NewSigningKey()
	if !strings.HasPrefix(current, "whsk_") || current == previous {
		t.Fatalf("keys %q %q", current[:5], previous[:5])
	}
	pubCurrent, err := signing.PublicKey(current)
	if err != nil {
		t.Fatal(err)
	}
	pubPrevious, _ := signing.PublicKey(previous)
	if !strings.HasPrefix(pubCurrent, "whpk_") || len(pubCurrent) != len("whpk_")+44 {
		t.Fatalf("public key %q", pubCurrent)
	}
	h, err := signing.HeadersAsymmetric("evt_1", ts, body, current, previous)
	if err != nil {
		t.Fatal(err)
	}
	if h.Get(signing.HeaderStripeStyle) != "" {
		t.Error("a v1a delivery carries Hookd-Signature, which needs the shared secret")
	}
	if n := len(strings.Fields(h.Get(signing.HeaderSignature))); n != 2 {
		t.Fatalf("%d signatures: %q", n, h.Get(signing.HeaderSignature))
	}
	for _, pub := range []string{pubCurrent, pubPrevious} {
		if n := verifyWithCircl(t, pub, h, body); n != 1 {
			t.Errorf("circl verifies %d signatures with one key, want 1", n)
		}
		if err := signing.VerifyAsymmetric(pub, h, body, ts, time.Minute); err != nil {
			t.Errorf("VerifyAsymmetric: %v", err)
		}
	}
	other, _ := signing.PublicKey(signing.NewSigningKey())
	if n := verifyWithCircl(t, other, h, body); n != 0 {
		t.Errorf("circl verifies with a third key")
	}
	if err := signing.VerifyAsymmetric(other, h, body, ts, time.Minute); !errors.Is(err, signing.ErrNoMatch) {
		t.Errorf("VerifyAsymmetric with a third key: %v", err)
	}
	if err := signing.VerifyAsymmetric(pubCurrent, h, []byte(`{"id":"evt_2"}`), ts, time.Minute); !errors.Is(err, signing.ErrNoMatch) {
		t.Errorf("VerifyAsymmetric of a tampered body: %v", err)
	}
	if err := signing.VerifyAsymmetric(pubCurrent, h, body, ts.Add(time.Hour), time.Minute); !errors.Is(err, signing.ErrTimestampTooOld) {
		t.Errorf("VerifyAsymmetric an hour later: %v", err)
	}
}

// A key made by circl signs what hookd's parser accepts, and the other way
// round: the "whsk_" encoding is the usual 64-byte seed-then-public form.
func TestSigningKeyFormat(t *testing.T) {
	pub, priv, err := circl.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sk := "whsk_" + base64.StdEncoding.EncodeToString(priv)
	got, err := signing.PublicKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	if want := "whpk_" + base64.StdEncoding.EncodeToString(pub); got != want {
		t.Errorf("PublicKey = %q, want %q", got, want)
	}
	tampered := append([]byte(nil), priv...)
	tampered[40] ^= 1 // the public half no longer matches the seed
	for _, bad := range []string{
		"", "whpk_" + base64.StdEncoding.EncodeToString(priv), "whsk_!!",
		"whsk_" + base64.StdEncoding.EncodeToString(priv[:32]),
		"whsk_" + base64.StdEncoding.EncodeToString(tampered),
	} {
		if _, err := signing.ParseSigningKey(bad); !errors.Is(err, signing.ErrMalformedKey) {
			t.Errorf("ParseSigningKey(%.10q) = %v", bad, err)
		}
	}
	for _, bad := range []string{"", sk, "whpk_" + base64.StdEncoding.EncodeToString(priv)} {
		if _, err := signing.ParsePublicKey(bad); !errors.Is(err, signing.ErrMalformedKey) {
			t.Errorf("ParsePublicKey(%.10q) = %v", bad, err)
		}
	}
}
