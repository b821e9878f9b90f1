package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// bucketsMigration adds token buckets kept in the database: the rate
// limits of processes that share it (PostgreSQL), so that N processes
// behind a load balancer allow what one does, not N times as much. One
// process on SQLite keeps its buckets in memory and leaves the table empty.
var bucketsMigration = migration{
	version: 7,
	name:    "shared rate limit buckets",
	stmts: []string{
		`CREATE TABLE rate_buckets (
			key    TEXT    NOT NULL PRIMARY KEY,
			tokens REAL    NOT NULL,
			at     INTEGER NOT NULL
		) STRICT`,
		`CREATE INDEX rate_buckets_at ON rate_buckets (at)`,
	},
}

var bucketsMigrationPostgres = migration{
	version: bucketsMigration.version,
	name:    bucketsMigration.name,
	stmts: []string{
		`CREATE TABLE rate_buckets (
			key    TEXT             NOT NULL PRIMARY KEY,
			tokens DOUBLE PRECISION NOT NULL,
			at     BIGINT           NOT NULL
		)`,
		`CREATE INDEX rate_buckets_at ON rate_buckets (at)`,
	},
}

// BucketRequest asks TakeToken about one token bucket: PerSec tokens come
// back each second, up to Burst (a new bucket is full).
type BucketRequest struct {
	Key    string
	Now    time.Time
	PerSec float64
	Burst  float64
	// Take removes a token when the bucket holds one; with Debt, always,
	// so that the bucket may go below zero and its owner waits the debt
	// off (failed authentications that were in flight together all count).
	// Without Take the bucket is only looked at.
	Take, Debt bool
}

// TakeToken brings the bucket up to date at r.Now and, with r.Take, takes
// a token. It returns how long until the bucket holds a token: 0 when one
// was taken, or (without Take) when one is there. A take reads and writes
// in one transaction holding the bucket's row, so every process sharing
// the database draws on the same tokens; a look is a plain read.
func (s *DB) TakeToken(ctx context.Context, r BucketRequest) (time.Duration, error) {
	if r.PerSec <= 0 {
		return 0, errors.New("take token: PerSec must be positive")
	}
	now := toNanos(r.Now)
	if !r.Take {
		return s.peekBucket(ctx, r, now)
	}
	var (
		wait    time.Duration
		created bool
	)
	err := s.write(ctx, func(tx *sql.Tx) error {
		wait, created = 0, false
		var (
			tokens float64
			at     int64
			found  = true
		)
		err := tx.QueryRowContext(ctx, `SELECT tokens, at FROM rate_buckets WHERE key = ?`+s.dialect.forUpdate(), r.Key).Scan(&tokens, &at)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			tokens, at, found = r.Burst, now, false
		case err != nil:
			return fmt.Errorf("read rate bucket: %w", err)
		}
		tokens, at = refill(r, tokens, at, now)
		if tokens >= 1 || r.Debt {
			tokens--
		} else {
			wait = waitFor(r, tokens)
		}
		if found {
			if _, err := tx.ExecContext(ctx, `UPDATE rate_buckets SET tokens = ?, at = ? WHERE key = ?`, tokens, at, r.Key); err != nil {
				return fmt.Errorf("write rate bucket: %w", err)
			}
			return nil
		}
		// Another process may make the bucket first: then this one takes
		// from it.
		created = true
		return insertYielding(ctx, tx, "write rate bucket",
			`INSERT INTO rate_buckets (key, tokens, at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`, r.Key, tokens, at)
	})
	if err == nil && created {
		// A new key (an API key, a client address) is when the table
		// grows, so that is when buckets idle for a day go: full again
		// long since, they are what a missing bucket means. Best effort.
		_, _ = s.PruneBuckets(ctx, r.Now.Add(-bucketIdle))
	}
	return wait, err
}

// bucketIdle is how long a bucket untouched is kept: far longer than any
// limit takes to refill.
const bucketIdle = 24 * time.Hour

// peekBucket is TakeToken without Take: a plain read, no lock, no write (a
// missing bucket is a full one).
func (s *DB) peekBucket(ctx context.Context, r BucketRequest, now int64) (time.Duration, error) {
	var (
		tokens float64
		at     int64
	)
	err := s.read().QueryRowContext(ctx, `SELECT tokens, at FROM rate_buckets WHERE key = ?`, r.Key).Scan(&tokens, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("read rate bucket: %w", err)
	}
	tokens, _ = refill(r, tokens, at, now)
	return waitFor(r, tokens), nil
}

// refill brings a bucket read at at up to now.
func refill(r BucketRequest, tokens float64, at, now int64) (float64, int64) {
	if elapsed := now - at; elapsed > 0 {
		return min(r.Burst, tokens+float64(elapsed)/float64(time.Second)*r.PerSec), now
	}
	return tokens, at
}

// waitFor is how long until a bucket holding tokens holds one.
func waitFor(r BucketRequest, tokens float64) time.Duration {
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / r.PerSec * float64(time.Second))
}

// PruneBuckets deletes buckets untouched since before: they have long
// been full again, which is what a missing bucket means.
func (s *DB) PruneBuckets(ctx context.Context, before time.Time) (int, error) {
	res, err := s.execWrite(ctx, `DELETE FROM rate_buckets WHERE at < ?`, toNanos(before))
	if err != nil {
		return 0, fmt.Errorf("prune rate buckets: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
