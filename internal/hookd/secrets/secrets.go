// Package secrets holds hookd's key material: API keys (stored as hashes
// only), the AES-GCM cipher that encrypts secrets at rest, and the names of
// the signing-secret rules of package rules (Standard Webhooks "whsec_"
// format), kept for existing callers.
package secrets

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// The signing-secret rules live in package rules, which the provider
// shares; these names are kept for the tools that use them.

// SecretPrefix starts every signing secret (rules.SecretPrefix).
const SecretPrefix = rules.SecretPrefix

// Bounds of a signing secret's key, in bytes (see package rules).
const (
	MinSecretBytes     = rules.MinSecretBytes
	MaxSecretBytes     = rules.MaxSecretBytes
	DefaultSecretBytes = rules.DefaultSecretBytes
)

// ErrMalformedSecret is wrapped by every ParseSecret error (rules.ErrMalformedSecret).
var ErrMalformedSecret = rules.ErrMalformedSecret

// NewSecret returns a fresh signing secret of DefaultSecretBytes random bytes.
func NewSecret() string {
	s, err := rules.NewSigningSecret(DefaultSecretBytes)
	if err != nil {
		panic(err) // DefaultSecretBytes is within bounds
	}
	return s
}

// ParseSecret is rules.ParseSigningSecret.
func ParseSecret(s string) ([]byte, error) { return rules.ParseSigningSecret(s) }

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
