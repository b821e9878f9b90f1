package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// KeySize is the AES-256 key size in bytes.
const KeySize = 32

// ErrDecrypt means a ciphertext was tampered with or made with another key.
var ErrDecrypt = errors.New("cannot decrypt: wrong encryption key or corrupted data")

// Cipher encrypts values at rest with AES-256-GCM. The output is
// nonce || ciphertext || tag, so each value carries its own random nonce.
type Cipher struct {
	aead cipher.AEAD
}

// NewCipher builds a Cipher from a 32-byte key.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Cipher{aead: aead}, nil
}

// Seal encrypts plaintext. additional binds the ciphertext to its place (for
// example the row id and column), so a value copied elsewhere fails to open.
func (c *Cipher) Seal(plaintext, additional []byte) []byte {
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(plaintext)+c.aead.Overhead())
	_, _ = rand.Read(nonce)
	return c.aead.Seal(nonce, nonce, plaintext, additional)
}

// Open decrypts what Seal produced with the same additional data.
func (c *Cipher) Open(sealed, additional []byte) ([]byte, error) {
	n := c.aead.NonceSize()
	if len(sealed) < n+c.aead.Overhead() {
		return nil, ErrDecrypt
	}
	out, err := c.aead.Open(nil, sealed[:n], sealed[n:], additional)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

// ParseKey decodes an encryption key given as standard or URL-safe base64
// (as in HOOKD_ENCRYPTION_KEY) or as 64 hex characters.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	return nil, fmt.Errorf("encryption key must be %d random bytes, base64 encoded (for example the output of `openssl rand -base64 32`)", KeySize)
}

// LoadOrCreateKeyFile reads the key at path, or creates it with a fresh key
// and mode 0600 when it does not exist.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := LoadKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return CreateKeyFile(path)
	}
	return key, err
}

// CreateKeyFile writes a fresh key to path with mode 0600; it fails when
// the file exists, so that it never replaces a key.
func CreateKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key)
	return key, WriteKeyFile(path, key)
}

// WriteKeyFile writes key to path with mode 0600; it fails when the file
// exists, so that it never replaces a key.
func WriteKeyFile(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create key file %s: %w", path, err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		_ = f.Close()
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	return nil
}

// LoadKeyFile reads the key at path; a missing file is an error that wraps
// fs.ErrNotExist. It refuses a key file that others can read, since whoever
// holds it can decrypt every secret in the database.
func LoadKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is readable by others (mode %v): run `chmod 600 %s`", path, fi.Mode().Perm(), path)
	}
	key, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return key, nil
}
