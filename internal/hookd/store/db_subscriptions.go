package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// subscriptionsMigration adds webhook_subscriptions, an index of every
// webhook's event patterns, so that a publish finds its subscribers with an
// indexed lookup instead of reading (and decrypting) every webhook. It holds
// nothing secret, and the backfill reads only the plain events column.
//
// group_id is ” at account scope (not NULL: it is part of the primary
// key), so that "account webhooks, and those of the event's group" is
// group_id IN (”, ?). Whether a webhook is deliverable (active, not
// auto-disabled) is read from webhooks itself at lookup time: one fact kept
// in one place.
var subscriptionsMigration = migration{
	version: 4,
	name:    "webhook subscriptions index",
	stmts: []string{
		`CREATE TABLE webhook_subscriptions (
			pattern    TEXT NOT NULL,
			group_id   TEXT NOT NULL,
			webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
			PRIMARY KEY (pattern, group_id, webhook_id)
		) STRICT, WITHOUT ROWID`,
		// For the cascade on delete and for replacing a webhook's rows.
		`CREATE INDEX webhook_subscriptions_webhook ON webhook_subscriptions (webhook_id)`,
		`INSERT OR IGNORE INTO webhook_subscriptions (pattern, group_id, webhook_id)
			SELECT json_each.value, COALESCE(webhooks.group_id, ''), webhooks.id
			FROM webhooks, json_each(webhooks.events)`,
	},
}

// syncSubscriptions makes webhook_subscriptions hold exactly w's patterns.
// It runs in the transaction that writes w, so a publish never sees a
// webhook without its patterns or the other way round. Deleting a webhook
// deletes its rows through the foreign key's cascade.
func syncSubscriptions(ctx context.Context, tx execQuerier, w *Webhook) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE webhook_id = ?`, w.ID); err != nil {
		return fmt.Errorf("index webhook %s: %w", w.ID, err)
	}
	for _, p := range w.Events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_subscriptions (pattern, group_id, webhook_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			p, w.GroupID, w.ID); err != nil {
			return fmt.Errorf("index webhook %s: %w", w.ID, err)
		}
	}
	return nil
}

// PublishEvent stores ev and one delivery, built by newDelivery, for each
// deliverable webhook subscribed to it: the active, not auto-disabled
// webhooks at account scope, and those of ev's group, with a pattern that
// covers ev.Type (rules.PatternsCovering, which agrees with
// rules.MatchEvent). The lookup and the inserts share one write
// transaction, so a webhook whose creation returned before PublishEvent
// began gets its delivery, and no secret is decrypted. It returns the
// number of deliveries; when an event with ev.ID exists, nothing is written
// and the stored event is returned with ErrEventExists. An idempotent
// outcome in ctx (WithIdempotentOutcome) commits with the event, made of
// its Published.
func (s *DB) PublishEvent(ctx context.Context, ev *Event, newDelivery func(webhookID string) Delivery) (int, *Event, error) {
	var (
		existing *Event
		n        int
	)
	// The caller's outcome, read here: fn's context may be another
	// writer's, whose grouped transaction this write joins.
	outcome, withOutcome := IdempotentOutcomeFrom(ctx)
	err := s.writeGrouped(ctx, func(ctx context.Context, tx execQuerier) error {
		existing, n = nil, 0
		var err error
		if existing, err = insertEvent(ctx, tx, ev); err != nil {
			return err
		}
		hooks, err := subscribers(ctx, tx, ev.Type, ev.GroupID)
		if err != nil {
			return err
		}
		for _, id := range hooks {
			d := newDelivery(id)
			if err := s.insertDelivery(ctx, tx, &d); err != nil {
				return err
			}
		}
		n = len(hooks)
		if withOutcome {
			if err := s.completeIdempotentWith(ctx, tx, outcome, Published{EventID: ev.ID, Deliveries: n}); err != nil {
				return err
			}
		}
		if n == 0 {
			return nil
		}
		return s.notifyNewWork(ctx, tx)
	})
	return n, existing, err
}

// subscribers returns the ids of the deliverable webhooks subscribed to
// events of eventType in groupID ("" for none), in creation order.
func subscribers(ctx context.Context, q querier, eventType, groupID string) ([]string, error) {
	patterns := rules.PatternsCovering(eventType)
	args := make([]any, 0, len(patterns)+2)
	for _, p := range patterns {
		args = append(args, p)
	}
	args = append(args, groupID, StatusAutoDisabled)
	rows, err := q.QueryContext(ctx, subscribersQuery(len(patterns)), args...)
	if err != nil {
		return nil, fmt.Errorf("find subscribers: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		var created int64
		if err := rows.Scan(&id, &created); err != nil {
			return nil, fmt.Errorf("find subscribers: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find subscribers: %w", err)
	}
	return ids, nil
}

// subscribersQuery selects the deliverable subscribers, given n patterns,
// then the group id and StatusAutoDisabled. DISTINCT: a webhook may hold
// several covering patterns ("*" and "transfer.*"); it gets one delivery.
func subscribersQuery(n int) string {
	return `SELECT DISTINCT w.id, w.created_at FROM webhook_subscriptions s
		JOIN webhooks w ON w.id = s.webhook_id
		WHERE s.pattern IN (?` + strings.Repeat(", ?", n-1) + `) AND s.group_id IN ('', ?)
			AND w.active = 1 AND w.status != ?
		ORDER BY w.created_at, w.id`
}
