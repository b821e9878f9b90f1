// Package store is hookd's persistence: groups, webhooks, API keys and
// idempotency records, behind the Store interface, with a SQLite
// implementation (pure Go, WAL) in sqlite.go.
//
// Values in this package are plain: secrets and tokens are held in clear text
// in memory and encrypted by the implementation before they reach the disk.
// Timestamps are supplied by the caller (from an injected clock), never read
// from the wall clock here, so tests control time.
package store

import (
	"context"
	"errors"
	"time"
)

// Typed errors; callers test them with errors.Is.
var (
	// ErrNotFound: the object (or the group a webhook is created in) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNameTaken: another group already has this name.
	ErrNameTaken = errors.New("name already taken")
	// ErrGroupNotEmpty: the group still has webhooks.
	ErrGroupNotEmpty = errors.New("group still has webhooks")
	// ErrInvalidCursor: a pagination cursor this store did not issue.
	ErrInvalidCursor = errors.New("invalid cursor")
	// ErrClaimLost: the call's in-flight claim on its idempotency key
	// outlived its lease and another call took the key over; what the first
	// call would have written is not.
	ErrClaimLost = errors.New("idempotency claim lost")
)

// Scope of a webhook.
type Scope string

const (
	ScopeAccount Scope = "account"
	ScopeGroup   Scope = "group"
)

// Webhook status values (owned by the server).
const (
	StatusActive       = "active"
	StatusInactive     = "inactive"
	StatusAutoDisabled = "auto_disabled"
)

// WebhookStatuses is every webhook status: the API's filter accepts them,
// the console offers them.
var WebhookStatuses = []string{StatusActive, StatusInactive, StatusAutoDisabled}

// Group is a set of group-scope webhooks.
type Group struct {
	ID          string
	Name        string
	Description *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Webhook is one subscription.
type Webhook struct {
	ID             string
	Scope          Scope
	GroupID        string // "" at account scope
	Name           *string
	Description    *string
	URL            string
	Events         []string // sorted, unique
	Active         bool
	Status         string
	DisabledReason *string
	Headers        map[string]string // names as the user wrote them; never nil after a read

	AuthToken string // "" when none; encrypted at rest

	Secret                  string // current signing secret, whsec_...; encrypted at rest
	PreviousSecret          string // "" when none; encrypted at rest
	SecretVersion           int
	SecretRotatedAt         *time.Time
	PreviousSecretExpiresAt *time.Time

	// SignatureScheme is rules.SchemeV1 (HMAC with Secret) or rules.SchemeV1a
	// (Ed25519 with SigningKey); "" is stored as rules.DefaultScheme.
	SignatureScheme string
	// SigningKey is the Ed25519 private key ("whsk_...") of a v1a webhook,
	// "" otherwise; encrypted at rest.
	SigningKey string
	// PreviousSigningKey is the key a rotation replaced, which signs too
	// until PreviousSecretExpiresAt (the same grace window as
	// PreviousSecret); "" when none. Encrypted at rest.
	PreviousSigningKey string

	// DeadLetterStreak counts dead-lettered deliveries since the last
	// success; the delivery engine auto-disables the endpoint at 3.
	DeadLetterStreak int

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Page asks for one page of a list. Cursor is "" for the first page.
type Page struct {
	Cursor string
	Limit  int
}

// WebhookFilter narrows ListWebhooks. Zero values mean "any".
type WebhookFilter struct {
	Scope   Scope
	GroupID string
	// Active, when set, keeps the webhooks whose user switch is *Active.
	Active *bool
	// Status, when set, keeps the webhooks of that status (StatusActive,
	// StatusInactive, StatusAutoDisabled).
	Status string
	// Event, when set, keeps the webhooks subscribed to that event type:
	// one of their patterns covers it (rules.MatchEvent).
	Event string
}

// GroupFilter narrows ListGroups. Zero values mean "any".
type GroupFilter struct {
	// NamePrefix keeps the groups whose name starts with it (case-sensitive).
	NamePrefix string
}

// IdempotencyClaim is one call's hold on an idempotency key. ClaimedAt (the
// now given to BeginIdempotent) tells it from a later claim of the same key
// made once this one's lease ran out: completing or releasing a claim that
// was taken over does nothing to the new one.
type IdempotencyClaim struct {
	Key       string
	ClaimedAt time.Time
}

// IdempotentOutcome is the answer of the call that holds Claim.
type IdempotentOutcome struct {
	Claim      IdempotencyClaim
	StatusCode int
	Location   string
	Body       []byte
	// Encode, when set, makes Body from the object as the store writes it
	// (a replay's new delivery, a rotated webhook): for a call whose answer
	// holds what only the write knows.
	Encode func(object any) ([]byte, error)
}

type outcomeKey struct{}

// Published is what a publish wrote (PublishEvent): the object an
// idempotent outcome committed with it is encoded from.
type Published struct {
	EventID    string
	Deliveries int
}

// WithIdempotentOutcome makes the write ctx is given to (CreateGroup,
// CreateWebhook, CreateDelivery, UpdateWebhook, PublishEvent,
// ClaimDelivery) store o in the same
// transaction as the object: the object
// and the answer that names it are committed together or not at all, so a
// retry with the same key replays that answer, whatever happens after the
// commit (a crash, a lost connection). When the claim is no longer held
// the create writes nothing and fails with ErrClaimLost.
func WithIdempotentOutcome(ctx context.Context, o IdempotentOutcome) context.Context {
	return context.WithValue(ctx, outcomeKey{}, o)
}

// WithoutIdempotentOutcome is ctx without the outcome WithIdempotentOutcome
// put in it: for work that outlives the call and writes on its own (a
// manual retry's attempt, which may disable the webhook or publish a
// dead letter's event), which must not try to store the call's answer
// again.
func WithoutIdempotentOutcome(ctx context.Context) context.Context {
	return context.WithValue(ctx, outcomeKey{}, nil)
}

// IdempotentOutcomeFrom is the outcome WithIdempotentOutcome put in ctx.
func IdempotentOutcomeFrom(ctx context.Context) (IdempotentOutcome, bool) {
	o, ok := ctx.Value(outcomeKey{}).(IdempotentOutcome)
	return o, ok
}

// IdempotencyRecord is the stored outcome of a POST made with an Idempotency-Key.
type IdempotencyRecord struct {
	Fingerprint string // hex SHA-256 of the request body
	InFlight    bool   // the first call has not finished yet
	StatusCode  int
	Location    string
	Body        []byte // encrypted at rest: a create's body holds the secret
	CreatedAt   time.Time
	ClaimUntil  time.Time // in flight: when the claim ends unless its call renews it
}

// Store is everything hookd keeps. Implementations are safe for concurrent use.
type Store interface {
	CreateGroup(ctx context.Context, g *Group) error // ErrNameTaken
	GetGroup(ctx context.Context, id string) (*Group, error)
	// ListGroups returns one page ordered by (CreatedAt, ID) and the cursor of the next, "" at the end.
	ListGroups(ctx context.Context, f GroupFilter, p Page) ([]Group, string, error)
	// UpdateGroup loads the group, applies fn, and stores the result in one transaction.
	// An error from fn aborts the update and is returned as is.
	UpdateGroup(ctx context.Context, id string, fn func(*Group) error) (*Group, error)
	DeleteGroup(ctx context.Context, id string) error // ErrNotFound, ErrGroupNotEmpty

	CreateWebhook(ctx context.Context, w *Webhook) error // ErrNotFound when w.GroupID names no group
	GetWebhook(ctx context.Context, id string) (*Webhook, error)
	ListWebhooks(ctx context.Context, f WebhookFilter, p Page) ([]Webhook, string, error)
	UpdateWebhook(ctx context.Context, id string, fn func(*Webhook) error) (*Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error

	// API keys are stored as hashes only.
	CountAPIKeys(ctx context.Context) (int, error)
	AddAPIKey(ctx context.Context, hash string, createdAt time.Time) error
	// AddFirstAPIKey stores hash only when no API key exists, and reports
	// whether it did: of processes starting together on an empty
	// database, one stores its generated key.
	AddFirstAPIKey(ctx context.Context, hash string, createdAt time.Time) (bool, error)
	HasAPIKey(ctx context.Context, hash string) (bool, error)

	// BeginIdempotent claims key for a new call. When the key is unused, its
	// record is older than expireBefore, or it is an in-flight claim whose
	// lease ended (a call that died without finishing: a running call
	// renews it), it stores an in-flight claim with fingerprint, made at now
	// and held until claimUntil, and returns (nil, nil): the caller goes
	// ahead. Otherwise it returns the existing record and the caller
	// replays, refuses or rejects it. Opening a SQLite store releases every
	// claim a previous process left.
	BeginIdempotent(ctx context.Context, key, fingerprint string, now, expireBefore, claimUntil time.Time) (*IdempotencyRecord, error)
	// RenewIdempotent holds the claim c, whose call is still running, until
	// until; ErrNotFound when the claim is gone.
	RenewIdempotent(ctx context.Context, c IdempotencyClaim, until time.Time) error
	// CompleteIdempotent stores the outcome of the call that holds o.Claim;
	// ErrNotFound when the claim is gone, released or taken over. Creates
	// store it themselves, with the object (WithIdempotentOutcome).
	CompleteIdempotent(ctx context.Context, o IdempotentOutcome) error
	// AbortIdempotent forgets a claim whose call failed, so that a retry may
	// run it; a claim taken over, or completed, is left alone.
	AbortIdempotent(ctx context.Context, c IdempotencyClaim) error
	// PruneIdempotent deletes records created before t.
	PruneIdempotent(ctx context.Context, before time.Time) (int, error)

	Close() error
}
