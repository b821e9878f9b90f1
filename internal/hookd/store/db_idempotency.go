package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CountAPIKeys returns how many API keys exist.
func (s *DB) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count api keys: %w", err)
	}
	return n, nil
}

// AddAPIKey stores the hash of an API key. Adding a hash twice is not an
// error: the key is accepted either way, and the first creation time stays.
func (s *DB) AddAPIKey(ctx context.Context, hash string, createdAt time.Time) error {
	if _, err := s.execWrite(ctx,
		`INSERT INTO api_keys (hash, created_at) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING`,
		hash, toNanos(createdAt)); err != nil {
		return fmt.Errorf("add api key: %w", err)
	}
	return nil
}

// firstKeyLock is the key of the transaction's advisory lock under which
// a PostgreSQL process adds the first API key: without it two processes
// could each find no key and each add their own (SQLite's one writer
// serializes the statement).
const firstKeyLock = 0x686f6f6b6b // "hookk"

func (s *DB) AddFirstAPIKey(ctx context.Context, hash string, createdAt time.Time) (bool, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		if s.Postgres() {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(firstKeyLock)); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (hash, created_at) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM api_keys)`,
			hash, toNanos(createdAt))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("add the first api key: %w", err)
	}
	return n == 1, nil
}

// HasAPIKey reports whether hash is a stored API key hash.
func (s *DB) HasAPIKey(ctx context.Context, hash string) (bool, error) {
	var ok bool
	if err := s.reader.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM api_keys WHERE hash = ?)`, hash).Scan(&ok); err != nil {
		return false, fmt.Errorf("check api key: %w", err)
	}
	return ok, nil
}

// idempotencyAD binds a sealed response body to its key: the body of a
// create holds the new webhook's secret.
func idempotencyAD(key string) string { return "idempotency/" + key + "/body" }

// BeginIdempotent claims key until claimUntil, or returns the record that
// holds it. The read and the claim happen in one write transaction (see
// write), so of any number of concurrent calls with one key, in any number
// of processes, exactly one gets (nil, nil).
func (s *DB) BeginIdempotent(ctx context.Context, key, fingerprint string, now, expireBefore, claimUntil time.Time) (*IdempotencyRecord, error) {
	var out *IdempotencyRecord
	err := s.write(ctx, func(tx *sql.Tx) error {
		out = nil
		var (
			rec       IdempotencyRecord
			body      []byte
			createdAt int64
			until     sql.NullInt64
		)
		err := tx.QueryRowContext(ctx, `SELECT fingerprint, in_flight, status_code, location, body, created_at, claim_until
			FROM idempotency WHERE key = ?`+s.dialect.forUpdate(), key).
			Scan(&rec.Fingerprint, &rec.InFlight, &rec.StatusCode, &rec.Location, &body, &createdAt, &until)
		if !until.Valid {
			// Claimed by a hookd that did not renew claims (before schema
			// step 10; during a rolling upgrade on PostgreSQL it may still be
			// running the call): it holds as long as that hookd's lease did.
			until = sql.NullInt64{Int64: createdAt + int64(legacyIdempotencyLease), Valid: true}
		}
		// An in-flight claim whose lease ran out belongs to a call that
		// died without completing or aborting (a running call renews it).
		abandoned := rec.InFlight && until.Int64 < toNanos(now)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read idempotency key: %w", err)
		case createdAt >= toNanos(expireBefore) && !abandoned:
			if rec.Body, err = s.openBytes(body, idempotencyAD(key)); err != nil {
				return err
			}
			rec.CreatedAt = fromNanos(createdAt)
			if rec.InFlight {
				rec.ClaimUntil = fromNanos(until.Int64)
			}
			out = &rec
			return nil
		default:
			// Expired, or abandoned: the key is free again.
			if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency WHERE key = ?`, key); err != nil {
				return fmt.Errorf("expire idempotency key: %w", err)
			}
		}
		// Another process may claim the key first (PostgreSQL): then its
		// claim is read afresh.
		return insertYielding(ctx, tx, "claim idempotency key", `INSERT INTO idempotency (key, fingerprint, in_flight, created_at, claim_until)
			VALUES (?, ?, 1, ?, ?) ON CONFLICT (key) DO NOTHING`, key, fingerprint, toNanos(now), toNanos(claimUntil))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RenewIdempotent extends the claim c, still in flight, until until.
// ErrNotFound means the claim is gone (completed, aborted, or taken over).
func (s *DB) RenewIdempotent(ctx context.Context, c IdempotencyClaim, until time.Time) error {
	res, err := s.execWrite(ctx, `UPDATE idempotency SET claim_until = ?
		WHERE key = ? AND in_flight = 1 AND created_at = ?`, toNanos(until), c.Key, toNanos(c.ClaimedAt))
	if err != nil {
		return fmt.Errorf("renew idempotency claim: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("renew idempotency claim: %w", err)
	} else if n == 0 {
		return fmt.Errorf("idempotency claim: %w", ErrNotFound)
	}
	return nil
}

// legacyIdempotencyLease is how long a claim held in hookd before schema
// step 10, when calls did not renew their claims: longer than any call
// ran (the server's write timeout is 60 s).
const legacyIdempotencyLease = 70 * time.Second

// idempotencyClaimUntilMigration lets a running call renew its claim, so
// that a claim can be short: one whose call died (with its process, on a
// database other processes share) frees its key within seconds, not a
// minute.
var idempotencyClaimUntilMigration = migration{
	version: 10,
	name:    "idempotency claims renewed by their call",
	stmts:   []string{`ALTER TABLE idempotency ADD COLUMN claim_until INTEGER`},
}

var idempotencyClaimUntilMigrationPostgres = migration{
	version: idempotencyClaimUntilMigration.version,
	name:    idempotencyClaimUntilMigration.name,
	stmts:   []string{`ALTER TABLE idempotency ADD COLUMN claim_until BIGINT`},
}

// CompleteIdempotent stores the outcome of the call that holds o.Claim, its
// body sealed. ErrNotFound means the claim is gone (aborted, pruned or
// taken over).
func (s *DB) CompleteIdempotent(ctx context.Context, o IdempotentOutcome) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		err := s.completeIdempotent(ctx, tx, o)
		if errors.Is(err, ErrClaimLost) {
			return fmt.Errorf("idempotency key: %w", ErrNotFound)
		}
		return err
	})
}

// completeIdempotentFrom stores the outcome ctx carries (WithIdempotentOutcome),
// if any, in tx: a write calls it in the transaction of its object, which
// the outcome's Encode, if set, makes the body of.
func (s *DB) completeIdempotentFrom(ctx context.Context, tx execQuerier, object any) error {
	o, ok := IdempotentOutcomeFrom(ctx)
	if !ok {
		return nil
	}
	return s.completeIdempotentWith(ctx, tx, o, object)
}

// completeIdempotentWith stores o, whose body Encode, if set, makes of
// object, in tx.
func (s *DB) completeIdempotentWith(ctx context.Context, tx execQuerier, o IdempotentOutcome, object any) error {
	if o.Encode != nil {
		body, err := o.Encode(object)
		if err != nil {
			return fmt.Errorf("encode the idempotent outcome: %w", err)
		}
		o.Body = body
	}
	return s.completeIdempotent(ctx, tx, o)
}

// completeIdempotent is fenced by the claim: only the in-flight record made
// at o.Claim.ClaimedAt takes the outcome; otherwise ErrClaimLost.
func (s *DB) completeIdempotent(ctx context.Context, tx execQuerier, o IdempotentOutcome) error {
	body := o.Body
	if body == nil {
		body = []byte{} // NULL marks "no outcome yet"; a completed call has one, maybe empty
	}
	sealed := s.cipher.Seal(body, []byte(idempotencyAD(o.Claim.Key)))
	res, err := tx.ExecContext(ctx, `UPDATE idempotency
		SET in_flight = 0, status_code = ?, location = ?, body = ?
		WHERE key = ? AND in_flight = 1 AND created_at = ?`,
		o.StatusCode, o.Location, sealed, o.Claim.Key, toNanos(o.Claim.ClaimedAt))
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	} else if n == 0 {
		return ErrClaimLost
	}
	return nil
}

// AbortIdempotent releases a claim. A completed record is kept, and so is a
// later call's claim of the same key: only the failed call's own in-flight
// claim is forgotten.
func (s *DB) AbortIdempotent(ctx context.Context, c IdempotencyClaim) error {
	if _, err := s.execWrite(ctx,
		`DELETE FROM idempotency WHERE key = ? AND in_flight = 1 AND created_at = ?`, c.Key, toNanos(c.ClaimedAt)); err != nil {
		return fmt.Errorf("abort idempotency key: %w", err)
	}
	return nil
}

// releaseIdempotencyClaims forgets the in-flight claims a previous process
// left: the database's lock (OpenSQLite) says that process is gone, so no
// call holding one of them will ever finish. A retry then runs the call
// again, or replays it if its create committed (with its outcome).
func releaseIdempotencyClaims(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM idempotency WHERE in_flight = 1`); err != nil {
		return fmt.Errorf("release idempotency claims of a previous process: %w", err)
	}
	return nil
}

// PruneIdempotent deletes records created before t and returns how many.
func (s *DB) PruneIdempotent(ctx context.Context, before time.Time) (int, error) {
	res, err := s.execWrite(ctx, `DELETE FROM idempotency WHERE created_at < ?`, toNanos(before))
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	return int(n), nil
}
