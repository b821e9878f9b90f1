// Package signing makes and checks the signatures hookd puts on every
// delivery:
//
//   - Standard Webhooks (https://www.standardwebhooks.com):
//     webhook-signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>,
//     keyed with the base64-decoded part of the "whsec_" secret. During a
//     rotation grace window one space-separated signature per valid secret.
//   - A Stripe-compatible header, so that Stripe's own libraries
//     (stripe-go webhook.ValidatePayload, stripe-node constructEvent) verify
//     deliveries: Hookd-Signature: t=<timestamp>,v1=<hex HMAC-SHA256("{timestamp}.{body}")>,
//     keyed the way Stripe keys it, with the secret text exactly as given
//     ("whsec_..." included, not decoded); one v1= entry per valid secret.
//   - For webhooks of the asymmetric scheme (v1a, ed25519.go) the Standard
//     Webhooks Ed25519 signatures instead, and no Hookd-Signature.
package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// Header names, in canonical form.
const (
	HeaderID           = "Webhook-Id"
	HeaderTimestamp    = "Webhook-Timestamp"
	HeaderSignature    = "Webhook-Signature"
	HeaderStripeStyle  = "Hookd-Signature"
	standardSigVersion = "v1"
)

// Typed verification failures.
var (
	ErrMissingHeader   = errors.New("signature header missing")
	ErrMalformedHeader = errors.New("signature header malformed")
	ErrTimestampTooOld = errors.New("timestamp outside the tolerance")
	ErrNoMatch         = errors.New("no signature matches")
)

// Standard returns the Standard Webhooks signature of one message with one
// key: "v1," + base64(HMAC-SHA256(key, id.timestamp.body)).
func Standard(key []byte, id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, ts.Unix())
	mac.Write(body)
	return standardSigVersion + "," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// StripeStyle returns the hex HMAC-SHA256 of "{timestamp}.{body}" keyed
// with the bytes of the secret text itself, as Stripe's libraries key it.
func StripeStyle(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.", ts.Unix())
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Headers are the signature headers of one attempt, signed with every
// secret given (the current one first, then the previous one during a grace
// window). A malformed secret is an error: nothing is signed with it.
func Headers(id string, ts time.Time, body []byte, secrets ...string) (http.Header, error) {
	std := make([]string, len(secrets))
	stripe := []string{"t=" + strconv.FormatInt(ts.Unix(), 10)}
	for i, s := range secrets {
		// The two headers take different key bytes from the same secret:
		// the Standard Webhooks spec decodes it, Stripe uses the text.
		key, err := rules.ParseSigningSecret(s)
		if err != nil {
			return nil, err
		}
		std[i] = Standard(key, id, ts, body)
		stripe = append(stripe, "v1="+StripeStyle(s, ts, body))
	}
	return http.Header{
		HeaderID:          {id},
		HeaderTimestamp:   {strconv.FormatInt(ts.Unix(), 10)},
		HeaderSignature:   {strings.Join(std, " ")},
		HeaderStripeStyle: {strings.Join(stripe, ",")},
	}, nil
}

// VerifyStandard checks the Standard Webhooks headers against secret: the
// timestamp must be within tolerance of now and one of the signatures must
// match.
func VerifyStandard(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := rules.ParseSigningSecret(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return fmt.Errorf("%w: need %s, %s and %s", ErrMissingHeader, HeaderID, HeaderTimestamp, HeaderSignature)
	}
	ts, err := parseUnix(tsText, now, tolerance)
	if err != nil {
		return err
	}
	want := Standard(key, id, ts, body)
	for _, sig := range strings.Fields(sigs) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return ErrNoMatch
}

// VerifyStripe checks the Hookd-Signature header against secret, the way a
// Stripe-style verifier does: parse t= and every v1=, check the timestamp
// tolerance, compare each v1 with the expected HMAC (keyed with the secret
// text) in constant time. The secret must still be a well-formed "whsec_"
// secret, so that a typo is an error rather than a silent mismatch.
func VerifyStripe(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if _, err := rules.ParseSigningSecret(secret); err != nil {
		return err
	}
	v := h.Get(HeaderStripeStyle)
	if v == "" {
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderStripeStyle)
	}
	var tsText string
	var sigs []string
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: %q is not key=value", ErrMalformedHeader, part)
		}
		switch k {
		case "t":
			tsText = val
		case "v1":
			sigs = append(sigs, val)
		}
	}
	if tsText == "" || len(sigs) == 0 {
		return fmt.Errorf("%w: need t= and at least one v1=", ErrMalformedHeader)
	}
	ts, err := parseUnix(tsText, now, tolerance)
	if err != nil {
		return err
	}
	want := StripeStyle(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return ErrNoMatch
}

func parseUnix(s string, now time.Time, tolerance time.Duration) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamp %q is not unix seconds", ErrMalformedHeader, s)
	}
	ts := time.Unix(n, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return time.Time{}, fmt.Errorf("%w: %s from now", ErrTimestampTooOld, d.Round(time.Second))
	}
	return ts, nil
}
