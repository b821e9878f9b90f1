package rules

import "fmt"

// Signature schemes of a webhook (the Standard Webhooks signature versions
// hookd signs with).
const (
	// SchemeV1 is HMAC-SHA256 with the shared "whsec_" secret: the
	// webhook-signature "v1," entries and the Stripe-style Hookd-Signature.
	SchemeV1 = "v1"
	// SchemeV1a is Ed25519: webhook-signature "v1a," entries that receivers
	// verify with the webhook's public key ("whpk_"), no shared secret.
	SchemeV1a = "v1a"
	// DefaultScheme is the scheme of a webhook created without one.
	DefaultScheme = SchemeV1
)

// SignatureSchemes lists the valid schemes, in the order documentation
// names them.
func SignatureSchemes() []string { return []string{SchemeV1, SchemeV1a} }

// SchemeProblem returns why s is not a signature scheme, or "" when it is.
func SchemeProblem(s string) string {
	switch s {
	case SchemeV1, SchemeV1a:
		return ""
	}
	return fmt.Sprintf("must be %q (HMAC-SHA256 with the shared secret) or %q (Ed25519, verified with the public key), got %q", SchemeV1, SchemeV1a, s)
}
