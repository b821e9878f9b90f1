package rules

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretPrefix starts every signing secret (the Standard Webhooks format).
const SecretPrefix = "whsec_"

// Bounds of a signing secret's key, in bytes (after base64 decoding).
const (
	MinSecretBytes     = 24
	MaxSecretBytes     = 64
	DefaultSecretBytes = 32
)

// ErrMalformedSecret is wrapped by every ParseSigningSecret error.
var ErrMalformedSecret = errors.New("malformed secret")

// ParseSigningSecret validates a signing secret, "whsec_" followed by the
// standard (padded) base64 of MinSecretBytes to MaxSecretBytes bytes, and
// returns those bytes: the HMAC key of the delivery signatures. Its errors
// wrap ErrMalformedSecret and never quote the secret.
func ParseSigningSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: must start with %q", ErrMalformedSecret, SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: the part after %q must be standard base64", ErrMalformedSecret, SecretPrefix)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("%w: must encode %d to %d bytes, got %d", ErrMalformedSecret, MinSecretBytes, MaxSecretBytes, len(key))
	}
	return key, nil
}

// NewSigningSecret returns a fresh signing secret of nbytes random bytes,
// which must be from MinSecretBytes to MaxSecretBytes.
func NewSigningSecret(nbytes int) (string, error) {
	if nbytes < MinSecretBytes || nbytes > MaxSecretBytes {
		return "", fmt.Errorf("a signing secret has %d to %d bytes, not %d", MinSecretBytes, MaxSecretBytes, nbytes)
	}
	b := make([]byte, nbytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go >= 1.24)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}
