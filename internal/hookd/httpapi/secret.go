package httpapi

import (
	"net/http"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

type secretRotateRequest struct {
	Secret           *string `json:"secret"`
	GracePeriodHours *int    `json:"grace_period_hours"`
}

type secretRotationJSON struct {
	Secret                    string     `json:"secret"`
	SecretVersion             int        `json:"secret_version"`
	SecretRotatedAt           time.Time  `json:"secret_rotated_at"`
	PreviousSecretExpiresAt   *time.Time `json:"previous_secret_expires_at"`
	SecretFingerprint         string     `json:"secret_fingerprint"`
	PreviousSecretFingerprint *string    `json:"previous_secret_fingerprint"`
	PublicKey                 *string    `json:"public_key"`
	PreviousPublicKey         *string    `json:"previous_public_key"`
}

func (a *API) rotateSecret(w http.ResponseWriter, r *http.Request) {
	var req secretRotateRequest
	if p := decodeBody(w, r, &req, false, true); p != nil {
		writeProblem(w, r, p)
		return
	}
	var errs fieldErrors
	secret := errs.signingSecret("/secret", req.Secret)
	grace := rules.DefaultGracePeriodHours
	if req.GracePeriodHours != nil {
		grace = *req.GracePeriodHours
		if problem := rules.GracePeriodProblem(int64(grace)); problem != "" {
			errs.add("/grace_period_hours", "%s", problem)
		}
	}
	if p := errs.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	now := a.now()
	ctx, answer := withObject(r, http.StatusOK, func(wh *store.Webhook) any {
		out := secretRotationJSON{
			Secret: wh.Secret, SecretVersion: wh.SecretVersion, SecretRotatedAt: now, SecretFingerprint: rules.Fingerprint(wh.Secret),
		}
		out.PreviousSecretExpiresAt, out.PreviousSecretFingerprint = previousSecret(wh, now)
		_, out.PublicKey, out.PreviousPublicKey = publicKeys(wh, now)
		return out
	})
	wh, err := a.cfg.Store.UpdateWebhook(ctx, r.PathValue("webhook_id"), func(wh *store.Webhook) error {
		rotate(wh, secret, time.Duration(grace)*time.Hour, now)
		return nil
	})
	if a.claimLost(w, r, err) {
		return
	}
	if err != nil {
		a.webhookError(w, r, "rotate the secret", err)
		return
	}
	answer(w, wh)
}

// previousSecret returns until when the previous secret verifies and its
// fingerprint, or two nils when it no longer does (or there is none).
func previousSecret(wh *store.Webhook, now time.Time) (*time.Time, *string) {
	if wh.PreviousSecret == "" || wh.PreviousSecretExpiresAt == nil || !wh.PreviousSecretExpiresAt.After(now) {
		return nil, nil
	}
	fp := rules.Fingerprint(wh.PreviousSecret)
	return wh.PreviousSecretExpiresAt, &fp
}

// rotate replaces the secret, and the key pair of a v1a webhook. The
// outgoing ones stay valid for grace; older ones still in their window are
// dropped, so at most two ever verify.
func rotate(wh *store.Webhook, secret string, grace time.Duration, now time.Time) {
	rotateSigningKey(wh, grace)
	wh.PreviousSecret, wh.PreviousSecretExpiresAt = "", nil
	if grace > 0 {
		expires := now.Add(grace)
		wh.PreviousSecret, wh.PreviousSecretExpiresAt = wh.Secret, &expires
	}
	wh.Secret = secret
	wh.SecretVersion++
	wh.SecretRotatedAt = &now
	wh.UpdatedAt = now
}
