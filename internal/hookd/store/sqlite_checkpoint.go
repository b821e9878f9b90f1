package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Checkpoints. In WAL mode SQLite appends every commit to the log, and a
// checkpoint copies the log's pages back into the database file and syncs
// it. By default the connection whose commit takes the log past 1,000
// pages runs the checkpoint itself, at the end of that commit: on hookd's
// one writer, every write queued behind it (claims, recorded attempts,
// publishes) waited for the copy and two fsyncs, a few times a second
// under load, which made the tail of the publish-to-first-attempt latency.
// A connection of its own checkpoints instead, a while after commits, in
// PASSIVE mode: it copies what is committed without taking the write lock,
// while the writer goes on.
//
// The writer keeps a checkpoint of its own past writerCheckpointPages, for
// two cases: the checkpointer failing, and a log that never restarts. The
// log starts again from its beginning only when a write finds it wholly
// copied, which a checkpointer that runs beside the writer may never leave
// it under a steady load; the writer's checkpoint, made under the write
// lock, copies the little that is left and lets the next write restart it.

const (
	// checkpointEvery is how long the checkpointer gathers commits.
	checkpointEvery = 250 * time.Millisecond
	// writerCheckpointPages is the writer's own checkpoint threshold
	// (wal_autocheckpoint): 16 MiB of log with 4 KiB pages.
	writerCheckpointPages = 4000
)

// openCheckpointer opens the checkpointer's connection and starts it,
// checkpointing every (0: checkpointEvery; negative: never, for tests).
func (s *DB) openCheckpointer(abs string, common []string, every time.Duration) error {
	if every == 0 {
		every = checkpointEvery
	}
	db, err := sql.Open("sqlite", dsn(abs, common, ""))
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(context.Background()); err != nil {
		_ = db.Close()
		return fmt.Errorf("open database: %w", err)
	}
	s.checkpointDB = db
	s.checkpoints = startGatherer(every, func() (bool, error) {
		more, err := s.checkpoint(context.Background())
		if err != nil {
			s.logger().Error("checkpoint the write-ahead log", "error", err)
		}
		return more, err
	})
	return nil
}

// checkpoint copies the committed log into the database file, as much as
// readers allow, and reports whether pages are left to copy.
func (s *DB) checkpoint(ctx context.Context) (bool, error) {
	var busy, logged, copied int
	if err := s.checkpointDB.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &copied); err != nil {
		return false, err
	}
	return copied < logged, nil
}

// committed tells the checkpointer that the log grew.
func (s *DB) committed() { s.checkpoints.poke() }

// closeCheckpointer stops the checkpointer and closes its connection.
func (s *DB) closeCheckpointer() error {
	if s.checkpointDB == nil {
		return nil
	}
	s.checkpoints.close()
	return s.checkpointDB.Close()
}
