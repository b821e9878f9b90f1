package httpapi

import (
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// Signature schemes. A v1 webhook signs with its shared secret (HMAC); a
// v1a webhook with an Ed25519 private key that hookd generates and keeps,
// and whose public key the API shows. Both keep their secret, so that
// switching back to v1 needs nothing new from the receiver.

func (e *fieldErrors) checkScheme(pointer, scheme string) {
	if detail := rules.SchemeProblem(scheme); detail != "" {
		e.add(pointer, "%s", detail)
	}
}

// setScheme switches wh to scheme. Switching to v1a makes a new key pair;
// switching to v1 drops the keys, so that a later v1a gets a fresh pair
// rather than one that receivers may have stopped trusting. Setting the
// scheme a webhook already has changes nothing.
func setScheme(wh *store.Webhook, scheme string) {
	if wh.SignatureScheme == scheme {
		return
	}
	wh.SignatureScheme, wh.SigningKey, wh.PreviousSigningKey = scheme, "", ""
	if scheme == rules.SchemeV1a {
		wh.SigningKey = signing.NewSigningKey()
	}
}

// rotateSigningKey replaces a v1a webhook's key pair alongside its secret;
// the outgoing key signs too while the previous secret is valid (the same
// grace window), and an older one is dropped.
func rotateSigningKey(wh *store.Webhook, grace time.Duration) {
	if wh.SignatureScheme != rules.SchemeV1a {
		return
	}
	wh.PreviousSigningKey = ""
	if grace > 0 {
		wh.PreviousSigningKey = wh.SigningKey
	}
	wh.SigningKey = signing.NewSigningKey()
}

// publicKeys returns the scheme of wh, its public key (nil for v1) and the
// previous public key while it still verifies (nil otherwise), so that
// receivers can fetch both during a rotation's grace window.
func publicKeys(wh *store.Webhook, now time.Time) (string, *string, *string) {
	scheme := wh.SignatureScheme
	if scheme == "" {
		scheme = rules.DefaultScheme
	}
	if scheme != rules.SchemeV1a {
		return scheme, nil, nil
	}
	current := publicKeyOf(wh.SigningKey)
	if wh.PreviousSecretExpiresAt == nil || !wh.PreviousSecretExpiresAt.After(now) {
		return scheme, current, nil
	}
	return scheme, current, publicKeyOf(wh.PreviousSigningKey)
}

// publicKeyOf derives a "whpk_" key, nil for no key. hookd made the keys it
// stores, so a key that does not parse reads as none rather than failing
// the whole read.
func publicKeyOf(signingKey string) *string {
	if signingKey == "" {
		return nil
	}
	pub, err := signing.PublicKey(signingKey)
	if err != nil {
		return nil
	}
	return &pub
}
