package httpapi

import "maps"

// The members of a resource a request cannot set, each with why: sent in a
// request they are refused saying so (strictjson.ReadOnly), not as unknown
// fields, since a client that sends one read it from a response.
const (
	computed    = "is read-only: the server computes it"
	setByPath   = "is read-only: the path a webhook is created on sets it (POST /v1/webhooks/account, or POST /v1/webhooks/group/{group_id}), and it never changes"
	setByRotate = "cannot be set by a PATCH: rotate the secret with POST /v1/webhooks/{webhook_id}/secret/rotate, which takes a secret of your own too"
)

var (
	groupReadOnly = map[string]string{"id": computed, "created_at": computed, "updated_at": computed}

	webhookCreateReadOnly = map[string]string{
		"id": computed, "scope": setByPath, "group_id": setByPath, "status": computed, "disabled_reason": computed,
		"auth_token_set": computed, "auth_token_fingerprint": computed, "secret_version": computed,
		"secret_rotated_at": computed, "previous_secret_expires_at": computed, "secret_fingerprint": computed,
		"previous_secret_fingerprint": computed, "public_key": computed, "previous_public_key": computed,
		"created_at": computed, "updated_at": computed,
	}
	// A PATCH sets status (to re-enable a webhook), not the secret.
	webhookUpdateReadOnly = func() map[string]string {
		m := maps.Clone(webhookCreateReadOnly)
		delete(m, "status")
		m["secret"] = setByRotate
		return m
	}()

	secretRotateReadOnly = map[string]string{
		"secret_version": computed, "secret_rotated_at": computed, "previous_secret_expires_at": computed,
		"secret_fingerprint": computed, "previous_secret_fingerprint": computed, "public_key": computed,
		"previous_public_key": computed,
	}

	eventReadOnly = map[string]string{"created_at": "is read-only: the server sets it when it accepts the event"}
)

func (groupCreateRequest) ReadOnlyMembers() map[string]string   { return groupReadOnly }
func (groupUpdateRequest) ReadOnlyMembers() map[string]string   { return groupReadOnly }
func (webhookCreateRequest) ReadOnlyMembers() map[string]string { return webhookCreateReadOnly }
func (webhookUpdateRequest) ReadOnlyMembers() map[string]string { return webhookUpdateReadOnly }
func (secretRotateRequest) ReadOnlyMembers() map[string]string  { return secretRotateReadOnly }
func (eventCreateRequest) ReadOnlyMembers() map[string]string   { return eventReadOnly }
