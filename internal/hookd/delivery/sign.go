package delivery

import (
	"net/http"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// signatureHeaders signs one attempt by the webhook's scheme: with its
// secret (HMAC, v1) or its Ed25519 key (v1a), and with the previous one too
// while the rotation's grace window lasts.
func signatureHeaders(wh *store.Webhook, ev *store.Event, ts time.Time) (http.Header, error) {
	inGrace := wh.PreviousSecretExpiresAt != nil && wh.PreviousSecretExpiresAt.After(ts)
	if wh.SignatureScheme == rules.SchemeV1a {
		keys := []string{wh.SigningKey}
		if inGrace && wh.PreviousSigningKey != "" {
			// A malformed previous key is left out rather than failing the
			// delivery: the current one still signs.
			if _, err := signing.ParseSigningKey(wh.PreviousSigningKey); err == nil {
				keys = append(keys, wh.PreviousSigningKey)
			}
		}
		return signing.HeadersAsymmetric(ev.ID, ts, ev.Body, keys...)
	}
	secrets := []string{wh.Secret}
	if inGrace && wh.PreviousSecret != "" {
		if _, err := rules.ParseSigningSecret(wh.PreviousSecret); err == nil {
			secrets = append(secrets, wh.PreviousSecret)
		}
	}
	return signing.Headers(ev.ID, ts, ev.Body, secrets...)
}
