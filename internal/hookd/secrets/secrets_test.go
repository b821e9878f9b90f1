package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// NewSecret and ParseSecret are package rules' (tested there), under the
// names existing callers use.
func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Error("two new secrets are equal")
	}
	for _, s := range []string{a, b} {
		if !strings.HasPrefix(s, SecretPrefix) {
			t.Errorf("%q lacks the %q prefix", s, SecretPrefix)
		}
		key, err := ParseSecret(s)
		if err != nil {
			t.Fatalf("ParseSecret(NewSecret()) = %v", err)
		}
		if len(key) != DefaultSecretBytes {
			t.Errorf("key of %d bytes, want %d", len(key), DefaultSecretBytes)
		}
	}
	if _, err := ParseSecret("whsec_short"); !errors.Is(err, ErrMalformedSecret) {
		t.Errorf("ParseSecret of a malformed secret: %v", err)
	}
}

func TestAPIKey(t *testing.T) {
	a, b := NewAPIKey(), NewAPIKey()
	if a == b {
		t.Error("two new API keys are equal")
	}
	if !strings.HasPrefix(a, APIKeyPrefix) {
		t.Errorf("%q lacks the %q prefix", a, APIKeyPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(a, APIKeyPrefix))
	if err != nil || len(raw) != 32 {
		t.Errorf("API key body: %d bytes, %v; want 32 random bytes", len(raw), err)
	}
	h := HashAPIKey(a)
	if h != HashAPIKey(a) {
		t.Error("HashAPIKey is not deterministic")
	}
	if h == HashAPIKey(b) {
		t.Error("two keys hash alike")
	}
	if d, err := hex.DecodeString(h); err != nil || len(d) != 32 {
		t.Errorf("hash %q is not hex SHA-256", h)
	}
	if strings.Contains(h, a) {
		t.Error("the hash contains the key")
	}
	// The SHA-256 of "abc", a published test vector.
	if got := HashAPIKey("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashAPIKey(abc) = %s", got)
	}
}
