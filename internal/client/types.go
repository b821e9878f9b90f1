package client

import (
	"encoding/json"
	"time"
)

// Scope of a webhook.
type Scope string

const (
	ScopeAccount Scope = "account"
	ScopeGroup   Scope = "group"
)

// Group is a set of group-scope webhooks.
type Group struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CreateGroupRequest creates a group.
type CreateGroupRequest struct {
	Name        string  `json:"name"`
	Description *string `json:"description,omitempty"`
}

// UpdateGroupRequest is a merge patch: nil members are left alone; set
// Description to Null[string]() to clear it.
type UpdateGroupRequest struct {
	Name        *string           `json:"name,omitempty"`
	Description *Nullable[string] `json:"description,omitempty"`
}

// Nullable is a merge-patch member that can also be null.
type Nullable[T any] struct {
	Value T
	Null  bool
}

// Set returns a member with a value; Null returns a null member.
func Set[T any](v T) *Nullable[T] { return &Nullable[T]{Value: v} }

// Null returns a member that clears the field.
func Null[T any]() *Nullable[T] { return &Nullable[T]{Null: true} }

// MarshalJSON writes null or the value.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if n.Null {
		return []byte("null"), nil
	}
	return json.Marshal(n.Value)
}

// Webhook is a subscription as the API returns it. The secret is never part
// of it (see WebhookWithSecret), nor is the auth token; the fingerprints
// (rules.Fingerprint of each value) tell whether they are the ones a caller
// supplied.
type Webhook struct {
	ID             string            `json:"id"`
	Scope          Scope             `json:"scope"`
	GroupID        *string           `json:"group_id"`
	Name           *string           `json:"name"`
	Description    *string           `json:"description"`
	URL            string            `json:"url"`
	Events         []string          `json:"events"`
	Active         bool              `json:"active"`
	Status         string            `json:"status"`
	DisabledReason *string           `json:"disabled_reason"`
	Headers        map[string]string `json:"headers"`
	AuthTokenSet   bool              `json:"auth_token_set"`
	// AuthTokenFingerprint is nil when no token is set.
	AuthTokenFingerprint    *string    `json:"auth_token_fingerprint"`
	SecretVersion           int64      `json:"secret_version"`
	SecretRotatedAt         *time.Time `json:"secret_rotated_at"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
	SecretFingerprint       string     `json:"secret_fingerprint"`
	// PreviousSecretFingerprint is nil exactly when PreviousSecretExpiresAt
	// is: when no previous secret verifies any more.
	PreviousSecretFingerprint *string `json:"previous_secret_fingerprint"`
	// SignatureScheme is SchemeV1 (HMAC) or SchemeV1a (Ed25519).
	SignatureScheme string `json:"signature_scheme"`
	// PublicKey ("whpk_...") verifies a v1a webhook's signatures; nil for v1.
	PublicKey *string `json:"public_key"`
	// PreviousPublicKey is the key a rotation replaced, while it still
	// signs; nil otherwise.
	PreviousPublicKey *string   `json:"previous_public_key"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Signature schemes of a webhook, as the API spells them (package rules
// holds the same names for validation).
const (
	SchemeV1  = "v1"
	SchemeV1a = "v1a"
)

// WebhookWithSecret is the create response: the only read of the secret.
type WebhookWithSecret struct {
	Webhook
	Secret string `json:"secret"`
}

// CreateWebhookRequest creates a webhook at either scope.
type CreateWebhookRequest struct {
	Name        *string           `json:"name,omitempty"`
	Description *string           `json:"description,omitempty"`
	URL         string            `json:"url"`
	Events      []string          `json:"events"`
	Active      *bool             `json:"active,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	AuthToken   *string           `json:"auth_token,omitempty"`
	Secret      *string           `json:"secret,omitempty"`
	// SignatureScheme is left to the server's default (v1) when nil.
	SignatureScheme *string `json:"signature_scheme,omitempty"`
}

// UpdateWebhookRequest is a merge patch; nil members are left alone.
// Headers is merged by name (case-insensitive); a nil value removes a name.
type UpdateWebhookRequest struct {
	Name        *Nullable[string]             `json:"name,omitempty"`
	Description *Nullable[string]             `json:"description,omitempty"`
	URL         *string                       `json:"url,omitempty"`
	Events      []string                      `json:"events,omitempty"`
	Active      *bool                         `json:"active,omitempty"`
	Headers     *Nullable[map[string]*string] `json:"headers,omitempty"`
	AuthToken   *Nullable[string]             `json:"auth_token,omitempty"`
	// Status "active" re-enables an auto-disabled webhook.
	Status *string `json:"status,omitempty"`
	// SignatureScheme switches the scheme; to v1a makes a new key pair.
	SignatureScheme *string `json:"signature_scheme,omitempty"`
}

// RotateSecretRequest rotates a webhook's signing secret.
type RotateSecretRequest struct {
	Secret           *string `json:"secret,omitempty"`
	GracePeriodHours *int    `json:"grace_period_hours,omitempty"`
}

// SecretRotation is the rotate response.
type SecretRotation struct {
	Secret                    string     `json:"secret"`
	SecretVersion             int64      `json:"secret_version"`
	SecretRotatedAt           time.Time  `json:"secret_rotated_at"`
	PreviousSecretExpiresAt   *time.Time `json:"previous_secret_expires_at"`
	SecretFingerprint         string     `json:"secret_fingerprint"`
	PreviousSecretFingerprint *string    `json:"previous_secret_fingerprint"`
	// PublicKey is the new key of a v1a webhook; nil for v1.
	PublicKey         *string `json:"public_key"`
	PreviousPublicKey *string `json:"previous_public_key"`
}

// EventType is one entry of the event catalog.
type EventType struct {
	Type        string          `json:"type"`
	Category    string          `json:"category"`
	Description string          `json:"description"`
	Stability   string          `json:"stability"`
	Deprecated  bool            `json:"deprecated"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
}

// PublishEventRequest publishes an event.
type PublishEventRequest struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	GroupID string          `json:"group_id,omitempty"`
	Data    json.RawMessage `json:"data"`
}

// EventAccepted is the publish response.
type EventAccepted struct {
	EventID    string `json:"event_id"`
	Deliveries int    `json:"deliveries"`
}

// Event is an event as published (GET /v1/events/{id}): the body every
// delivery of it sends.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	GroupID   *string         `json:"group_id"` // nil: an event of no group
	Data      json.RawMessage `json:"data"`
}

// Delivery is one event on its way to one webhook.
type Delivery struct {
	ID                     string     `json:"id"`
	WebhookID              string     `json:"webhook_id"`
	EventID                string     `json:"event_id"`
	EventType              string     `json:"event_type"`
	Status                 string     `json:"status"`
	AttemptCount           int64      `json:"attempt_count"`
	MaxAttempts            int64      `json:"max_attempts"`
	CreatedAt              time.Time  `json:"created_at"`
	LastAttemptAt          *time.Time `json:"last_attempt_at"`
	NextAttemptAt          *time.Time `json:"next_attempt_at"`
	DeadlineAt             time.Time  `json:"deadline_at"`
	LastResponseStatusCode *int64     `json:"last_response_status_code"`
	LastError              *string    `json:"last_error"`
	LastDurationMS         *int64     `json:"last_duration_ms"`
	Trigger                string     `json:"trigger"`
	ReplayOf               *string    `json:"replay_of"`
	IsTest                 bool       `json:"is_test"`
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	Number             int64             `json:"number"`
	Trigger            string            `json:"trigger"`
	StartedAt          time.Time         `json:"started_at"`
	DurationMS         int64             `json:"duration_ms"`
	ResponseStatusCode *int64            `json:"response_status_code"`
	Error              *string           `json:"error"`
	ResponseBody       string            `json:"response_body"`
	RequestHeaders     map[string]string `json:"request_headers"`
}

// DeliveryDetail is a delivery with its attempts.
type DeliveryDetail struct {
	Delivery
	Attempts []Attempt `json:"attempts"`
}

// DeliveryStats counts a webhook's deliveries per hour of creation, by
// status now (GET /v1/webhooks/{id}/deliveries/stats): one bucket per hour
// from Since to Until (excluded), empty hours included.
type DeliveryStats struct {
	WebhookID string                `json:"webhook_id"`
	Interval  string                `json:"interval"`
	Since     time.Time             `json:"since"`
	Until     time.Time             `json:"until"`
	Data      []DeliveryStatsBucket `json:"data"`
}

// DeliveryStatsBucket is the deliveries created in one interval from
// Start, by status.
type DeliveryStatsBucket struct {
	Start        time.Time `json:"start"`
	Pending      int64     `json:"pending"`
	Retrying     int64     `json:"retrying"`
	Succeeded    int64     `json:"succeeded"`
	DeadLettered int64     `json:"dead_lettered"`
	Canceled     int64     `json:"canceled"`
}

// TestResult is the outcome of a test delivery.
type TestResult struct {
	DeliveryID         string  `json:"delivery_id"`
	Succeeded          bool    `json:"succeeded"`
	ResponseStatusCode *int64  `json:"response_status_code"`
	DurationMS         int64   `json:"duration_ms"`
	Error              *string `json:"error"`
}

// Page is one page of a list and the cursor of the next ("" at the end).
type Page[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// ListOptions pages through a list.
type ListOptions struct {
	Cursor string
	Limit  int // 1..1000; 0: the server's default (100)
}
