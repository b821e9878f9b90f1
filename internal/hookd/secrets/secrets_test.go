package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func secretOf(n int) string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, n))
}

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
}

func TestParseSecret(t *testing.T) {
	// 0xfb 0xff encodes to "+/" in standard base64 and "-_" in URL base64.
	urlSafe := SecretPrefix + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff, 0xfe}, 10))
	for _, c := range []struct {
		name    string
		in      string
		wantLen int // 0: an error
	}{
		{"24 bytes, the minimum", secretOf(24), 24},
		{"32 bytes", secretOf(32), 32},
		{"64 bytes, the maximum", secretOf(64), 64},
		{"standard alphabet with + and /", SecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff, 0xfe}, 10)), 30},
		{"missing prefix", strings.TrimPrefix(secretOf(32), SecretPrefix), 0},
		{"wrong prefix case", "WHSEC_" + strings.TrimPrefix(secretOf(32), SecretPrefix), 0},
		{"empty", "", 0},
		{"prefix only", SecretPrefix, 0},
		{"bad base64", SecretPrefix + "not*base64!", 0},
		{"URL-safe alphabet", urlSafe, 0},
		{"unpadded", strings.TrimRight(secretOf(32), "="), 0},
		{"23 bytes", secretOf(23), 0},
		{"65 bytes", secretOf(65), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			key, err := ParseSecret(c.in)
			if c.wantLen == 0 {
				if err == nil {
					t.Fatalf("ParseSecret(%q) accepted a malformed secret", c.in)
				}
				if !errors.Is(err, ErrMalformedSecret) {
					t.Errorf("error %v does not wrap ErrMalformedSecret", err)
				}
				if key != nil {
					t.Errorf("key %x returned with an error", key)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSecret(%q) = %v", c.in, err)
			}
			if len(key) != c.wantLen {
				t.Errorf("key of %d bytes, want %d", len(key), c.wantLen)
			}
		})
	}
}

// ParseSecret reads user input: it must never panic, and whatever it accepts
// is a key within bounds that round-trips through the canonical form.
func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{NewSecret(), secretOf(24), secretOf(64), secretOf(23), "", SecretPrefix, "whsec_====", "whsec_\n\r", "whsec_\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParseSecret(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedSecret) {
				t.Fatalf("error %v does not wrap ErrMalformedSecret", err)
			}
			return
		}
		if !strings.HasPrefix(s, SecretPrefix) {
			t.Fatalf("accepted %q without the prefix", s)
		}
		if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
			t.Fatalf("accepted a key of %d bytes", len(key))
		}
		again, err := ParseSecret(SecretPrefix + base64.StdEncoding.EncodeToString(key))
		if err != nil || !bytes.Equal(again, key) {
			t.Fatalf("canonical form of %q does not parse to the same key: %v", s, err)
		}
	})
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
