package signing

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The asymmetric scheme of Standard Webhooks ("v1a"): hookd keeps an
// Ed25519 private key per webhook and signs
// webhook-signature: v1a,<base64 Ed25519 signature of "{id}.{timestamp}.{body}">;
// receivers verify with the public key alone. Keys are written as the
// specification's prefixed base64: "whsk_" + the 64-byte private key
// (seed then public key, as libsodium and crypto/ed25519 hold it) and
// "whpk_" + the 32-byte public key.
const (
	PrivateKeyPrefix  = "whsk_"
	PublicKeyPrefix   = "whpk_"
	asymmetricVersion = "v1a"
)

// ErrMalformedKey is wrapped by every key parsing error; the errors never
// quote the key.
var ErrMalformedKey = errors.New("malformed signing key")

// NewSigningKey returns a fresh Ed25519 private key, "whsk_...".
func NewSigningKey() string {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return PrivateKeyPrefix + base64.StdEncoding.EncodeToString(priv)
}

// ParseSigningKey reads a "whsk_" private key. Its public half must be the
// one its seed derives, so that a corrupted key cannot sign under a public
// key that receivers hold but that does not match.
func ParseSigningKey(s string) (ed25519.PrivateKey, error) {
	rest, ok := strings.CutPrefix(s, PrivateKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: must start with %q", ErrMalformedKey, PrivateKeyPrefix)
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: the part after %q must be the standard base64 of %d bytes", ErrMalformedKey, PrivateKeyPrefix, ed25519.PrivateKeySize)
	}
	priv := ed25519.PrivateKey(b)
	if !bytes.Equal(ed25519.NewKeyFromSeed(priv.Seed()), priv) {
		return nil, fmt.Errorf("%w: the public half does not match the seed", ErrMalformedKey)
	}
	return priv, nil
}

// PublicKey returns the "whpk_" public key of a "whsk_" private key.
func PublicKey(signingKey string) (string, error) {
	priv, err := ParseSigningKey(signingKey)
	if err != nil {
		return "", err
	}
	// The public half of a crypto/ed25519 private key is its last 32 bytes
	// (ParseSigningKey checked that they match the seed).
	return PublicKeyPrefix + base64.StdEncoding.EncodeToString(priv[ed25519.SeedSize:]), nil
}

// ParsePublicKey reads a "whpk_" public key.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	rest, ok := strings.CutPrefix(s, PublicKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: must start with %q", ErrMalformedKey, PublicKeyPrefix)
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: the part after %q must be the standard base64 of %d bytes", ErrMalformedKey, PublicKeyPrefix, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// Asymmetric returns the v1a signature of one message with one key:
// "v1a," + base64(Ed25519(key, id.timestamp.body)).
func Asymmetric(key ed25519.PrivateKey, id string, ts time.Time, body []byte) string {
	msg := signedContent(id, ts, body)
	return asymmetricVersion + "," + base64.StdEncoding.EncodeToString(ed25519.Sign(key, msg))
}

func signedContent(id string, ts time.Time, body []byte) []byte {
	prefix := id + "." + strconv.FormatInt(ts.Unix(), 10) + "."
	msg := make([]byte, 0, len(prefix)+len(body))
	return append(append(msg, prefix...), body...)
}

// HeadersAsymmetric are the signature headers of one attempt of a v1a
// webhook, signed with every key given (the current one first, then the
// previous one during a grace window). There is no Hookd-Signature: it is
// an HMAC, which needs the shared secret that v1a exists to do without.
func HeadersAsymmetric(id string, ts time.Time, body []byte, keys ...string) (http.Header, error) {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		priv, err := ParseSigningKey(k)
		if err != nil {
			return nil, err
		}
		sigs[i] = Asymmetric(priv, id, ts, body)
	}
	return http.Header{
		HeaderID:        {id},
		HeaderTimestamp: {strconv.FormatInt(ts.Unix(), 10)},
		HeaderSignature: {strings.Join(sigs, " ")},
	}, nil
}

// VerifyAsymmetric checks the v1a signatures of the Standard Webhooks
// headers against a "whpk_" public key: the timestamp must be within
// tolerance of now and one of the v1a signatures must verify.
func VerifyAsymmetric(publicKey string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	pub, err := ParsePublicKey(publicKey)
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
	msg := signedContent(id, ts, body)
	for _, sig := range strings.Fields(sigs) {
		v, b64, _ := strings.Cut(sig, ",")
		if v != asymmetricVersion {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && ed25519.Verify(pub, msg, raw) {
			return nil
		}
	}
	return ErrNoMatch
}
