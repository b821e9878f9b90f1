package rules

import (
	"crypto/sha256"
	"encoding/hex"
)

// FingerprintLength is the length of every non-empty Fingerprint.
const FingerprintLength = 16

// Fingerprint identifies a secret or token without revealing it: the first
// 8 bytes of the SHA-256 of s's UTF-8 text, in lowercase hex (16
// characters); "" for "". For a signing secret, s is the whole "whsec_..."
// text. Equal to `printf '%s' "$s" | sha256sum | cut -c1-16`.
func Fingerprint(s string) string {
	if s == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:FingerprintLength/2])
}
