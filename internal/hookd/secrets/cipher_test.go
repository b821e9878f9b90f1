package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// GCM's nonce and tag sizes, which Seal's output format carries.
const (
	nonceSize = 12
	tagSize   = 16
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustCipher(t *testing.T, k []byte) *Cipher {
	t.Helper()
	c, err := NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewCipherKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := NewCipher(make([]byte, n)); err == nil {
			t.Errorf("NewCipher accepted a %d-byte key", n)
		}
	}
	if _, err := NewCipher(make([]byte, KeySize)); err != nil {
		t.Errorf("NewCipher(32 bytes) = %v", err)
	}
}

func TestCipherRoundTrip(t *testing.T) {
	c := mustCipher(t, key(1))
	ad := []byte("webhooks/wh_1/secret")
	for _, plain := range [][]byte{nil, {}, []byte("x"), []byte(NewSecret()), bytes.Repeat([]byte("0123456789"), 100_000)} {
		sealed := c.Seal(plain, ad)
		if len(sealed) != nonceSize+len(plain)+tagSize {
			t.Errorf("sealed %d bytes into %d, want nonce+plaintext+tag", len(plain), len(sealed))
		}
		// Short plaintexts turn up in random bytes by chance; only a
		// longer one showing would mean it was not encrypted.
		if len(plain) >= 8 && bytes.Contains(sealed, plain) {
			t.Error("the plaintext shows in the sealed value")
		}
		got, err := c.Open(sealed, ad)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("round trip of %d bytes gave %d different bytes", len(plain), len(got))
		}
	}
	// A fresh nonce per call: equal plaintexts do not give equal ciphertexts.
	if bytes.Equal(c.Seal([]byte("same"), ad), c.Seal([]byte("same"), ad)) {
		t.Error("two seals of one plaintext are equal")
	}
}

func TestCipherRejects(t *testing.T) {
	c := mustCipher(t, key(1))
	ad := []byte("webhooks/wh_1/secret")
	plain := []byte(NewSecret())
	sealed := c.Seal(plain, ad)

	check := func(name string, got []byte, err error) {
		t.Helper()
		if !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: err = %v, want ErrDecrypt", name, err)
		}
		if got != nil {
			t.Errorf("%s: returned %q with the error", name, got)
		}
	}
	got, err := c.Open(sealed, []byte("webhooks/wh_2/secret"))
	check("other additional data", got, err)
	got, err = c.Open(sealed, nil)
	check("no additional data", got, err)
	got, err = mustCipher(t, key(2)).Open(sealed, ad)
	check("other key", got, err)

	// Any flipped bit, in the nonce, the ciphertext or the tag, is caught.
	for _, i := range []int{0, nonceSize - 1, nonceSize, len(sealed) - tagSize - 1, len(sealed) - 1} {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 0x01
		got, err := c.Open(tampered, ad)
		check(fmt.Sprintf("byte %d flipped", i), got, err)
	}
	for _, short := range [][]byte{nil, {}, sealed[:nonceSize], sealed[:nonceSize+tagSize-1], sealed[:len(sealed)-1]} {
		got, err := c.Open(short, ad)
		check("truncated", got, err)
	}
	extended := append(bytes.Clone(sealed), 0)
	got, err = c.Open(extended, ad)
	check("extended", got, err)
}

func TestParseKey(t *testing.T) {
	// 0xfb 0xff bytes make '+' and '/' in standard base64, '-' and '_' in
	// URL-safe base64, so each alphabet is really exercised.
	k := bytes.Repeat([]byte{0xfb, 0xff, 0xfe, 0x01}, KeySize/4)
	for name, in := range map[string]string{
		"standard base64":       base64.StdEncoding.EncodeToString(k),
		"URL-safe base64":       base64.URLEncoding.EncodeToString(k),
		"unpadded standard":     base64.RawStdEncoding.EncodeToString(k),
		"unpadded URL-safe":     base64.RawURLEncoding.EncodeToString(k),
		"hex":                   hex.EncodeToString(k),
		"upper-case hex":        strings.ToUpper(hex.EncodeToString(k)),
		"surrounding spaces":    "  " + base64.StdEncoding.EncodeToString(k) + "\n",
		"openssl-style newline": base64.StdEncoding.EncodeToString(k) + "\n",
	} {
		got, err := ParseKey(in)
		if err != nil {
			t.Errorf("%s: ParseKey(%q) = %v", name, in, err)
			continue
		}
		if !bytes.Equal(got, k) {
			t.Errorf("%s: ParseKey gave %x, want %x", name, got, k)
		}
	}
	for name, in := range map[string]string{
		"empty":            "",
		"31 bytes base64":  base64.StdEncoding.EncodeToString(make([]byte, 31)),
		"33 bytes base64":  base64.StdEncoding.EncodeToString(make([]byte, 33)),
		"31 bytes hex":     hex.EncodeToString(make([]byte, 31)),
		"33 bytes hex":     hex.EncodeToString(make([]byte, 33)),
		"not an encoding":  strings.Repeat("*", 44),
		"a passphrase":     "correct horse battery staple",
		"64 bytes base64":  base64.StdEncoding.EncodeToString(make([]byte, 64)),
		"hex with garbage": hex.EncodeToString(k)[:62] + "zz",
	} {
		if got, err := ParseKey(in); err == nil {
			t.Errorf("%s: ParseKey(%q) accepted %x", name, in, got)
		} else if !strings.Contains(err.Error(), "32") {
			t.Errorf("%s: error %q does not say the expected length", name, err)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookd.db.key")
	k, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(k) != KeySize {
		t.Fatalf("key of %d bytes", len(k))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, k) {
		t.Error("reloading the key file gave another key")
	}
	// The file holds what ParseKey reads, so an operator can copy it into
	// HOOKD_ENCRYPTION_KEY.
	data, _ := os.ReadFile(path)
	if fromEnv, err := ParseKey(string(data)); err != nil || !bytes.Equal(fromEnv, k) {
		t.Errorf("the key file's content does not parse as the key: %v", err)
	}
	if other, _ := LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "other.key")); bytes.Equal(other, k) {
		t.Error("two new key files hold the same key")
	}
}

func TestLoadOrCreateKeyFileRefusesReadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookd.db.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key(3))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // WriteFile's mode is subject to the umask
		t.Fatal(err)
	}
	_, err := LoadOrCreateKeyFile(path)
	if err == nil {
		t.Fatal("a world-readable key file was accepted")
	}
	if !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Errorf("error %q does not tell how to fix the mode", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadOrCreateKeyFile(path); err != nil || !bytes.Equal(got, key(3)) {
		t.Errorf("after chmod 600: %x, %v", got, err)
	}
}

func TestLoadOrCreateKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKeyFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a malformed key file: %v, want an error naming the file", err)
	}
	if _, err := LoadOrCreateKeyFile(filepath.Join(dir, "missing-dir", "k")); err == nil {
		t.Error("a key file in a missing directory was created")
	}
}
