package rules_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

func secretOf(n int) string {
	return rules.SecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, n))
}

func TestNewSigningSecret(t *testing.T) {
	for _, n := range []int{rules.MinSecretBytes, rules.DefaultSecretBytes, rules.MaxSecretBytes} {
		a, err := rules.NewSigningSecret(n)
		if err != nil {
			t.Fatalf("NewSigningSecret(%d): %v", n, err)
		}
		b, _ := rules.NewSigningSecret(n)
		if a == b {
			t.Errorf("two new %d-byte secrets are equal", n)
		}
		key, err := rules.ParseSigningSecret(a)
		if err != nil {
			t.Fatalf("ParseSigningSecret(NewSigningSecret(%d)) = %v", n, err)
		}
		if len(key) != n {
			t.Errorf("key of %d bytes, want %d", len(key), n)
		}
	}
	for _, n := range []int{-1, 0, rules.MinSecretBytes - 1, rules.MaxSecretBytes + 1} {
		if s, err := rules.NewSigningSecret(n); err == nil || s != "" {
			t.Errorf("NewSigningSecret(%d) = %q, %v; want an error", n, s, err)
		}
	}
}

func TestParseSigningSecret(t *testing.T) {
	// 0xfb 0xff encodes to "+/" in standard base64 and "-_" in URL base64.
	odd := bytes.Repeat([]byte{0xfb, 0xff, 0xfe}, 10)
	for _, c := range []struct {
		name    string
		in      string
		wantLen int    // 0: an error
		wantErr string // with an error: the message
	}{
		{"24 bytes, the minimum", secretOf(24), 24, ""},
		{"32 bytes", secretOf(32), 32, ""},
		{"64 bytes, the maximum", secretOf(64), 64, ""},
		{"standard alphabet with + and /", rules.SecretPrefix + base64.StdEncoding.EncodeToString(odd), 30, ""},
		{"missing prefix", strings.TrimPrefix(secretOf(32), rules.SecretPrefix), 0, `malformed secret: must start with "whsec_"`},
		{"wrong prefix case", "WHSEC_" + strings.TrimPrefix(secretOf(32), rules.SecretPrefix), 0, `malformed secret: must start with "whsec_"`},
		{"empty", "", 0, `malformed secret: must start with "whsec_"`},
		{"prefix only", rules.SecretPrefix, 0, "malformed secret: must encode 24 to 64 bytes, got 0"},
		{"bad base64", rules.SecretPrefix + "not*base64!", 0, `malformed secret: the part after "whsec_" must be standard base64`},
		{"URL-safe alphabet", rules.SecretPrefix + base64.URLEncoding.EncodeToString(odd), 0, `malformed secret: the part after "whsec_" must be standard base64`},
		{"unpadded", strings.TrimRight(secretOf(32), "="), 0, `malformed secret: the part after "whsec_" must be standard base64`},
		{"23 bytes", secretOf(23), 0, "malformed secret: must encode 24 to 64 bytes, got 23"},
		{"65 bytes", secretOf(65), 0, "malformed secret: must encode 24 to 64 bytes, got 65"},
	} {
		t.Run(c.name, func(t *testing.T) {
			key, err := rules.ParseSigningSecret(c.in)
			if c.wantLen == 0 {
				if err == nil {
					t.Fatalf("accepted a malformed secret")
				}
				if !errors.Is(err, rules.ErrMalformedSecret) {
					t.Errorf("error %v does not wrap ErrMalformedSecret", err)
				}
				if err.Error() != c.wantErr {
					t.Errorf("error %q, want %q", err, c.wantErr)
				}
				if key != nil {
					t.Errorf("key %x returned with an error", key)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSigningSecret = %v", err)
			}
			if len(key) != c.wantLen {
				t.Errorf("key of %d bytes, want %d", len(key), c.wantLen)
			}
		})
	}
}

// ParseSigningSecret reads user input: it must never panic, its errors never
// quote the input, and whatever it accepts is a key within bounds that
// round-trips through the canonical form.
func FuzzParseSigningSecret(f *testing.F) {
	s, _ := rules.NewSigningSecret(rules.DefaultSecretBytes)
	for _, seed := range []string{s, secretOf(24), secretOf(64), secretOf(23), "", rules.SecretPrefix, "whsec_====", "whsec_\n\r", "whsec_\x00", "whsec_" + strings.Repeat("A", 1000)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := rules.ParseSigningSecret(s)
		if err != nil {
			if !errors.Is(err, rules.ErrMalformedSecret) {
				t.Fatalf("error %v does not wrap ErrMalformedSecret", err)
			}
			if rest := strings.TrimPrefix(s, rules.SecretPrefix); len(rest) >= 8 && strings.Contains(err.Error(), rest) {
				t.Fatalf("error %q quotes the input", err)
			}
			return
		}
		if !strings.HasPrefix(s, rules.SecretPrefix) {
			t.Fatalf("accepted %q without the prefix", s)
		}
		if len(key) < rules.MinSecretBytes || len(key) > rules.MaxSecretBytes {
			t.Fatalf("accepted a key of %d bytes", len(key))
		}
		again, err := rules.ParseSigningSecret(rules.SecretPrefix + base64.StdEncoding.EncodeToString(key))
		if err != nil || !bytes.Equal(again, key) {
			t.Fatalf("canonical form of %q does not parse to the same key: %v", s, err)
		}
	})
}
