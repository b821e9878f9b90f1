package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

const webhookColumns = `id, scope, group_id, name, description, url, events, active, status,
	disabled_reason, headers, auth_token, secret, previous_secret, secret_version,
	secret_rotated_at, previous_secret_expires_at, dead_letter_streak, created_at, updated_at,
	signature_scheme, signing_key, previous_signing_key`

// signingKeysMigration adds the signature scheme of a webhook and the
// Ed25519 key pair of the v1a scheme (the private keys only; the public
// ones are derived). Existing webhooks keep HMAC signing.
var signingKeysMigration = migration{
	version: 6,
	name:    "webhook signature scheme and Ed25519 signing keys",
	stmts: []string{
		`ALTER TABLE webhooks ADD COLUMN signature_scheme TEXT NOT NULL DEFAULT 'v1'`,
		`ALTER TABLE webhooks ADD COLUMN signing_key BLOB`,          // sealed "whsk_...", NULL for v1
		`ALTER TABLE webhooks ADD COLUMN previous_signing_key BLOB`, // sealed, NULL when none
	},
}

// Additional data of the sealed webhook columns: the row id and the column,
// so that a ciphertext moved to another webhook or another column (say, an
// old previous_secret pasted over secret) no longer decrypts. Column names
// contain no '/', so the string is unambiguous whatever the id holds.
func webhookAD(id, column string) string { return "webhooks/" + id + "/" + column }

// webhookRow holds the column values of one webhook, secrets sealed.
type webhookRow struct {
	groupID                           any
	events, headers                   string
	authToken, secret, previousSecret any
	signingKey, previousSigningKey    any
}

func (s *DB) webhookRow(w *Webhook) (webhookRow, error) {
	events := w.Events
	if events == nil {
		events = []string{}
	}
	ev, err := json.Marshal(events)
	if err != nil {
		return webhookRow{}, fmt.Errorf("encode events: %w", err)
	}
	headers := w.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	h, err := json.Marshal(headers)
	if err != nil {
		return webhookRow{}, fmt.Errorf("encode headers: %w", err)
	}
	r := webhookRow{
		events:         string(ev),
		headers:        string(h),
		authToken:      s.sealOptional(w.AuthToken, webhookAD(w.ID, "auth_token")),
		secret:         s.seal(w.Secret, webhookAD(w.ID, "secret")),
		previousSecret: s.sealOptional(w.PreviousSecret, webhookAD(w.ID, "previous_secret")),

		signingKey:         s.sealOptional(w.SigningKey, webhookAD(w.ID, "signing_key")),
		previousSigningKey: s.sealOptional(w.PreviousSigningKey, webhookAD(w.ID, "previous_signing_key")),
	}
	if w.GroupID != "" {
		r.groupID = w.GroupID
	}
	return r, nil
}

// scanWebhook reads one row of webhookColumns and decrypts its secrets.
func (s *DB) scanWebhook(row interface{ Scan(...any) error }) (Webhook, error) {
	var (
		w                                   Webhook
		scope, events, headers              string
		groupID, name, desc, disabledReason sql.NullString
		authToken, secret, previousSecret   []byte
		signingKey, previousSigningKey      []byte
		rotatedAt, prevExpiresAt            sql.NullInt64
		createdAt, updatedAt                int64
	)
	err := row.Scan(&w.ID, &scope, &groupID, &name, &desc, &w.URL, &events, &w.Active, &w.Status,
		&disabledReason, &headers, &authToken, &secret, &previousSecret, &w.SecretVersion,
		&rotatedAt, &prevExpiresAt, &w.DeadLetterStreak, &createdAt, &updatedAt,
		&w.SignatureScheme, &signingKey, &previousSigningKey)
	if err != nil {
		return Webhook{}, err
	}
	w.Scope = Scope(scope)
	w.GroupID = groupID.String
	w.Name = stringPtr(name)
	w.Description = stringPtr(desc)
	w.DisabledReason = stringPtr(disabledReason)
	w.SecretRotatedAt = timePtr(rotatedAt)
	w.PreviousSecretExpiresAt = timePtr(prevExpiresAt)
	w.CreatedAt = fromNanos(createdAt)
	w.UpdatedAt = fromNanos(updatedAt)
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return Webhook{}, fmt.Errorf("webhook %s: decode events: %w", w.ID, err)
	}
	if w.Events == nil {
		w.Events = []string{}
	}
	if err := json.Unmarshal([]byte(headers), &w.Headers); err != nil {
		return Webhook{}, fmt.Errorf("webhook %s: decode headers: %w", w.ID, err)
	}
	if w.Headers == nil { // the documented contract: never nil after a read
		w.Headers = map[string]string{}
	}
	// On a decrypt error only the list key is returned, so that a list can
	// leave the row out and still know where its page ends.
	unreadable := Webhook{ID: w.ID, CreatedAt: w.CreatedAt}
	if w.AuthToken, err = s.open(authToken, webhookAD(w.ID, "auth_token")); err != nil {
		return unreadable, err
	}
	if w.Secret, err = s.open(secret, webhookAD(w.ID, "secret")); err != nil {
		return unreadable, err
	}
	if w.PreviousSecret, err = s.open(previousSecret, webhookAD(w.ID, "previous_secret")); err != nil {
		return unreadable, err
	}
	if w.SigningKey, err = s.open(signingKey, webhookAD(w.ID, "signing_key")); err != nil {
		return Webhook{}, err
	}
	if w.PreviousSigningKey, err = s.open(previousSigningKey, webhookAD(w.ID, "previous_signing_key")); err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// getWebhook reads a webhook; lock is "" or dialect.forUpdate().
func (s *DB) getWebhook(ctx context.Context, q querier, id, lock string) (*Webhook, error) {
	w, err := s.scanWebhook(q.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("webhook %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get webhook %s: %w", id, err)
	}
	return &w, nil
}

// CreateWebhook stores w, with the idempotent outcome ctx carries (see
// WithIdempotentOutcome). A GroupID naming no group gives ErrNotFound.
func (s *DB) CreateWebhook(ctx context.Context, w *Webhook) error {
	r, err := s.webhookRow(w)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		// Checked in the transaction, so the group cannot be deleted between
		// the check and the insert; the foreign key is the backstop.
		if w.GroupID != "" {
			var ok bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM groups WHERE id = ?)`, w.GroupID).Scan(&ok); err != nil {
				return fmt.Errorf("create webhook: %w", err)
			}
			if !ok {
				return fmt.Errorf("group %s: %w", w.GroupID, ErrNotFound)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, string(w.Scope), r.groupID, nullString(w.Name), nullString(w.Description), w.URL,
			r.events, boolInt(w.Active), w.Status, nullString(w.DisabledReason), r.headers,
			r.authToken, r.secret, r.previousSecret, w.SecretVersion,
			nullNanos(w.SecretRotatedAt), nullNanos(w.PreviousSecretExpiresAt), w.DeadLetterStreak,
			toNanos(w.CreatedAt), toNanos(w.UpdatedAt),
			schemeOrDefault(w.SignatureScheme), r.signingKey, r.previousSigningKey)
		if isForeignKeyViolation(err) {
			return fmt.Errorf("group %s: %w", w.GroupID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
		if err := syncSubscriptions(ctx, tx, w); err != nil {
			return err
		}
		return s.completeIdempotentFrom(ctx, tx, w)
	})
}

// GetWebhook returns the webhook, secrets decrypted, or ErrNotFound.

// ListWebhooks returns one page ordered by (CreatedAt, ID).
func (s *DB) ListWebhooks(ctx context.Context, f WebhookFilter, p Page) ([]Webhook, string, error) {
	l := listQuery[Webhook]{
		kind:   "webhooks",
		query:  `SELECT ` + webhookColumns + ` FROM webhooks`,
		scan:   func(r *sql.Rows) (Webhook, error) { return s.scanWebhook(r) },
		keyOf:  func(w *Webhook) (time.Time, string) { return w.CreatedAt, w.ID },
		skip:   s.skipUnreadableWebhook,
		source: s.reader,
	}
	if f.Scope != "" {
		l.where = append(l.where, "scope = ?")
		l.args = append(l.args, string(f.Scope))
	}
	if f.GroupID != "" {
		l.where = append(l.where, "group_id = ?")
		l.args = append(l.args, f.GroupID)
	}
	if f.Active != nil {
		l.where = append(l.where, "active = ?")
		l.args = append(l.args, boolInt(*f.Active))
	}
	if f.Status != "" {
		l.where = append(l.where, "status = ?")
		l.args = append(l.args, f.Status)
	}
	if f.Event != "" {
		// A webhook is subscribed when one of its patterns (indexed in
		// webhook_subscriptions) is among those that cover the event (rules.PatternsCovering, which agrees with
		// rules.MatchEvent): the rule stays in package rules.
		patterns := rules.PatternsCovering(f.Event)
		l.where = append(l.where, "EXISTS (SELECT 1 FROM webhook_subscriptions ws WHERE ws.webhook_id = webhooks.id AND ws.pattern IN (?"+
			strings.Repeat(", ?", len(patterns)-1)+"))")
		for _, p := range patterns {
			l.args = append(l.args, p)
		}
	}
	return l.run(ctx, p)
}

// UpdateWebhook applies fn to the stored webhook and writes every column
// back under the write lock, so concurrent updates (an API PATCH and the
// delivery engine's streak counter) cannot lose each other's changes. fn
// cannot change ID, Scope, GroupID or CreatedAt: moving a webhook between
// scopes is not an update.
func (s *DB) UpdateWebhook(ctx context.Context, id string, fn func(*Webhook) error) (*Webhook, error) {
	defer s.hooks.drop(id) // after the commit: see webhookCache
	var out *Webhook
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := s.getWebhook(ctx, tx, id, s.dialect.forUpdate())
		if err != nil {
			return err
		}
		w := copyWebhook(old)
		if err := fn(w); err != nil {
			return err
		}
		w.ID, w.Scope, w.GroupID, w.CreatedAt = old.ID, old.Scope, old.GroupID, old.CreatedAt
		r, err := s.webhookRow(w)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhooks SET
			name = ?, description = ?, url = ?, events = ?, active = ?, status = ?,
			disabled_reason = ?, headers = ?, auth_token = ?, secret = ?, previous_secret = ?,
			secret_version = ?, secret_rotated_at = ?, previous_secret_expires_at = ?,
			dead_letter_streak = ?, updated_at = ?,
			signature_scheme = ?, signing_key = ?, previous_signing_key = ?
			WHERE id = ?`,
			nullString(w.Name), nullString(w.Description), w.URL, r.events, boolInt(w.Active), w.Status,
			nullString(w.DisabledReason), r.headers, r.authToken, r.secret, r.previousSecret,
			w.SecretVersion, nullNanos(w.SecretRotatedAt), nullNanos(w.PreviousSecretExpiresAt),
			w.DeadLetterStreak, toNanos(w.UpdatedAt),
			schemeOrDefault(w.SignatureScheme), r.signingKey, r.previousSigningKey, w.ID)
		if err != nil {
			return fmt.Errorf("update webhook %s: %w", id, err)
		}
		if !slices.Equal(old.Events, w.Events) {
			if err := syncSubscriptions(ctx, tx, w); err != nil {
				return err
			}
		}
		if w.Headers == nil {
			w.Headers = map[string]string{}
		}
		w.SignatureScheme = schemeOrDefault(w.SignatureScheme)
		out = w
		return s.completeIdempotentFrom(ctx, tx, w)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteWebhook deletes the webhook or returns ErrNotFound.
func (s *DB) DeleteWebhook(ctx context.Context, id string) error {
	defer s.hooks.drop(id) // after the commit: see webhookCache
	res, err := s.execWrite(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("webhook %s: %w", id, ErrNotFound)
	}
	return nil
}

// schemeOrDefault is the scheme stored for a webhook: one made without a
// scheme signs as every webhook did before schemes existed.
func schemeOrDefault(s string) string {
	if s == "" {
		return rules.DefaultScheme
	}
	return s
}

// copyWebhook is a deep copy, so that fn in UpdateWebhook cannot reach the
// loaded value through a shared slice, map or pointer.
func copyWebhook(w *Webhook) *Webhook {
	c := *w
	c.Name = clonePtr(w.Name)
	c.Description = clonePtr(w.Description)
	c.DisabledReason = clonePtr(w.DisabledReason)
	c.SecretRotatedAt = clonePtr(w.SecretRotatedAt)
	c.PreviousSecretExpiresAt = clonePtr(w.PreviousSecretExpiresAt)
	c.Events = slices.Clone(w.Events)
	c.Headers = maps.Clone(w.Headers)
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
