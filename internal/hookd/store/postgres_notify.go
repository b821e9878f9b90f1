package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// notifier listens on notifyWork on a connection of its own (a LISTEN
// holds its connection, so it cannot come from the pool) and turns each
// notification into a wake-up of this process's delivery engine.
type notifier struct {
	ch     chan struct{} // capacity 1: wake-ups coalesce
	cancel context.CancelFunc
	done   chan struct{}
}

// reconnectDelay is how long the listener waits before it connects again
// after losing its connection; meanwhile the engine's poll still finds work.
const reconnectDelay = time.Second

func startNotifier(cfg *pgx.ConnConfig, log func() *slog.Logger) *notifier {
	ctx, cancel := context.WithCancel(context.Background())
	n := &notifier{ch: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go n.run(ctx, cfg, log)
	return n
}

func (n *notifier) signal() {
	select {
	case n.ch <- struct{}{}:
	default:
	}
}

func (n *notifier) run(ctx context.Context, cfg *pgx.ConnConfig, log func() *slog.Logger) {
	defer close(n.done)
	for {
		err := n.listen(ctx, cfg)
		if ctx.Err() != nil {
			return
		}
		log().Warn("listening for other processes' work failed; retrying (their deliveries are still found by polling)", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(reconnectDelay):
		}
	}
}

// listen holds one LISTEN until its connection fails or ctx ends.
func (n *notifier) listen(ctx context.Context, cfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, `LISTEN `+notifyWork); err != nil {
		return err
	}
	// Work published while no LISTEN was in place sent no notification
	// here: look once.
	n.signal()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		n.signal()
	}
}

func (n *notifier) close() {
	n.cancel()
	<-n.done
}

// Wakeups receives when new work may have been written by any process
// sharing the database (PostgreSQL's LISTEN/NOTIFY); several notifications
// arriving together are one receive. Nil on SQLite: its one process wakes
// its engine itself.
func (s *DB) Wakeups() <-chan struct{} {
	if s.wake == nil {
		return nil
	}
	return s.wake.ch
}
