// Package secrets holds hookd's key material rules: webhook signing secrets
// (Standard Webhooks "whsec_" format), API keys (stored as hashes only), and
// the AES-GCM cipher that encrypts secrets at rest.
package secrets

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// Bounds of a signing secret's key, in bytes (after base64 decoding).
const (
	MinSecretBytes     = 24
	MaxSecretBytes     = 64
	DefaultSecretBytes = 32
)

// ErrMalformedSecret is wrapped by every ParseSecret error.
var ErrMalformedSecret = errors.New("malformed secret")

// NewSecret returns a fresh signing secret of DefaultSecretBytes random bytes.
func NewSecret() string {
	b := make([]byte, DefaultSecretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go >= 1.24)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ParseSecret validates s and returns its key bytes, the HMAC key that
// Standard Webhooks signatures use.
func ParseSecret(s string) ([]byte, error) {
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

// APIKeyPrefix starts every generated API key, so that leaked keys are easy to scan for.
const APIKeyPrefix = "hookd_"

// NewAPIKey returns a fresh API key.
func NewAPIKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashAPIKey is what is stored and compared instead of the key. API keys are
// long random strings, so a plain SHA-256 (no salt, no stretching) is enough.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
