package store

import (
	"context"
	"errors"
	"log/slog"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
)

// SetLogger sets where the store reports what it skips (an unreadable row
// in a list) and what its own goroutine fails at (the lister). Unset, it is
// slog.Default().
func (s *DB) SetLogger(l *slog.Logger) { s.log.Store(l) }

func (s *DB) logger() *slog.Logger {
	if l := s.log.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// skipUnreadableWebhook decides what a list does with a row that failed to
// scan: a webhook whose sealed values do not decrypt (another key, a damaged
// blob) is logged and left out, so that one bad row cannot make every list
// fail; any other error fails the list. The log names the webhook and the
// column, never a value.
func (s *DB) skipUnreadableWebhook(ctx context.Context, w *Webhook, err error) bool {
	if !errors.Is(err, secrets.ErrDecrypt) || w.ID == "" {
		return false
	}
	s.logger().ErrorContext(ctx, "webhook left out of a list: its sealed values do not decrypt (wrong encryption key or damaged data); GET answers 500 for it until it is deleted",
		"webhook_id", w.ID, "error", err)
	return true
}
