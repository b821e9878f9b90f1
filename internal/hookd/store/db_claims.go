package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// leasesMigration fences leases with a token: a claim writes its own token,
// and an attempt's outcome is recorded only while the token is still there.
var leasesMigration = migration{
	version: 3,
	name:    "lease tokens",
	stmts: []string{
		`ALTER TABLE deliveries ADD COLUMN lease_token TEXT`,
		// NextAttemptAt asks for the earliest lease expiry; only a handful
		// of rows (the attempts running) have one.
		`CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE lease_until IS NOT NULL`,
	},
}

// dueWebhookMigration gives the due index the webhook as its second column.
// A claim leaves out the webhooks at their cap (webhook_id NOT IN ...); with
// the webhook in the index that test is made on the index entry, and only
// the rows it keeps are read from the table. Without it, the claim that
// looks past a capped webhook read every row of that webhook's backlog:
// with one webhook and 8,000 deliveries queued, a quarter of the
// throughput (make bench-delivery, W=1).
var dueWebhookMigration = migration{
	version: 8,
	name:    "due index with the webhook",
	stmts: []string{
		`CREATE INDEX deliveries_due_webhook ON deliveries (next_attempt_at, webhook_id) WHERE status IN ('pending', 'retrying')`,
		`DROP INDEX deliveries_due`,
	},
}

// noLeaseIndexMigration drops SQLite's index on lease_until, as
// PostgreSQL never had it: every claim wrote an entry into it and every
// recorded attempt took one out, for the sake of reads that do without it
// (qNextAttempt walks the due index; releaseLeases reads the due rows).
// BenchmarkDrain: 11,397-11,764 deliveries/s without it, 10,495-11,163
// with it. PostgreSQL's step 9 has no statement: the version is recorded
// so that it means the same schema on both.
var noLeaseIndexMigration = migration{
	version: 9,
	name:    "no index on lease_until",
	stmts:   []string{`DROP INDEX deliveries_leased`},
}

var noLeaseIndexMigrationPostgres = migration{
	version: noLeaseIndexMigration.version,
	name:    noLeaseIndexMigration.name,
}

// The rules of claims, written once and used by every query: a lease is
// live while lease_until is after now; a delivery is due when it is pending
// or retrying and its next attempt is not after now. Each takes now as its
// one parameter.
const (
	leaseFree    = `(lease_until IS NULL OR lease_until <= ?)`
	leaseLive    = `(lease_until IS NOT NULL AND lease_until > ?)`
	dueNow       = `(status IN ('pending', 'retrying') AND next_attempt_at <= ?)`
	claimOverRun = 4 // candidates read per slot asked for, to fill slots around capped webhooks
	// maxClaimPage bounds one read of candidates. A webhook at its cap
	// whose backlog comes first is read through to the end of the page
	// (the rows after it are what the page is for), so a page of 4 rows
	// per free worker made every claim with one webhook at its cap (16 of
	// 128 workers) read 450 rows for the one it could take.
	maxClaimPage = 128
)

// claimPage is how many candidates one read asks for, for limit slots.
func claimPage(limit int) int { return min(limit*claimOverRun, maxClaimPage) }

// The claim's statements have fixed texts, so they are prepared once: the
// lists they take (webhooks at their cap, ids picked) are JSON arrays.
var claimSQL = [...]claimStmts{
	dialectSQLite:   claimStatements(dialectSQLite),
	dialectPostgres: claimStatements(dialectPostgres),
}

type claimStmts struct {
	candidates, update string
	// limited: candidates ends in LIMIT ?, its last parameter. Only on
	// PostgreSQL, where every row the read returns is locked until the
	// claim commits, so it asks for no more rows than it may keep. On
	// SQLite a bound LIMIT is part of the plan: each new value re-prepares
	// the statement (about 5 % of the engine's CPU while draining, since
	// the limit follows the free workers: 27 µs a read instead of 4). There the
	// read has no LIMIT; the due index yields the rows one by one in order
	// and pickOnce stops reading once it has what it needs.
	limited bool
}

func claimStatements(d dialect) claimStmts {
	limit := ``
	if d == dialectPostgres {
		limit = ` LIMIT ?`
	}
	return claimStmts{
		candidates: `SELECT id, webhook_id FROM deliveries WHERE ` + dueNow + ` AND ` + leaseFree + `
		AND webhook_id NOT IN (` + d.jsonValues("?") + `) ORDER BY next_attempt_at` + limit + d.skipLocked(),
		update: `UPDATE deliveries SET lease_until = ?, lease_token = ?
		WHERE ` + d.inJSON("id", "?") + ` AND ` + dueNow + ` AND ` + leaseFree + ` RETURNING ` + deliveryColumns,
		limited: limit != ``,
	}
}

func (s *DB) ClaimDue(ctx context.Context, r ClaimRequest) ([]Delivery, error) {
	if r.Limit <= 0 {
		return nil, nil
	}
	now := toNanos(r.Now)
	if s.dialect == dialectPostgres {
		r.FirstPageOnly = false // see ClaimRequest
	}
	capped := []string{}
	if r.PerWebhook > 0 && !r.FirstPageOnly {
		for wh, n := range r.Busy {
			if n >= r.PerWebhook {
				capped = append(capped, wh)
			}
		}
	}
	var out []Delivery
	err := s.writeGrouped(ctx, func(ctx context.Context, ptx execQuerier) error {
		// Candidates first, soonest due first, leaving out the webhooks
		// already at their cap; then the conditional update claims the ones
		// picked. In SQLite the write transaction makes the two one step;
		// the update repeats the conditions so that it stays authoritative
		// on a database where it is not (SELECT ... FOR UPDATE SKIP LOCKED).
		out = nil
		ids, err := pickCandidates(ctx, ptx, claimSQL[s.dialect], r, now, slices.Clone(capped))
		if err != nil || len(ids) == 0 {
			return err
		}
		idsJSON, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		out, err = scanDeliveries(ptx.QueryContext(ctx, claimSQL[s.dialect].update, toNanos(r.Lease.Until), r.Lease.Token, string(idsJSON), now, now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	return out, nil
}

// pickCandidates reads the candidate rows and keeps, in order, up to
// r.Limit of them within each webhook's remaining capacity. When a page of
// candidates makes webhooks reach their cap, the read is made again
// without them, as many times as it takes, so that a short pick means that
// nothing else is due, not that capped backlogs hid the others' (unless
// r.FirstPageOnly: one read, and capped is empty). Each read after the
// first has capped at least one more webhook, which took at least one
// slot, so there are at most r.Limit + 1 reads; one claim for 128 workers
// behind eight capped backlogs of 150 rows reads nine pages
// (TestClaimDueFillsFromManyCappedBacklogs; with a fixed four it took 64).
func pickCandidates(ctx context.Context, q querier, stmts claimStmts, r ClaimRequest, now int64, capped []string) ([]string, error) {
	taken := map[string]int{}
	seen := map[string]bool{}
	var ids []string
	for {
		cappedJSON, err := json.Marshal(capped)
		if err != nil {
			return nil, err
		}
		read, newlyCapped, err := pickOnce(ctx, q, stmts, r, now, string(cappedJSON), taken, seen, &ids)
		if err != nil || r.FirstPageOnly || len(ids) >= r.Limit || read < claimPage(r.Limit) || len(newlyCapped) == 0 {
			return ids, err
		}
		capped = append(capped, newlyCapped...)
	}
}

// pickOnce reads one page of candidates (claimPage(r.Limit) rows not
// picked by an earlier read) into ids; it returns how many such rows it
// read and the webhooks that reached their cap. The rows an earlier read
// picked come again (those of webhooks not at their cap), and are passed
// over without counting, so that every read after the first still reads a
// page of new rows. It stops reading once ids holds r.Limit: the rows
// after those would all be passed over.
func pickOnce(ctx context.Context, q querier, stmts claimStmts, r ClaimRequest, now int64, cappedJSON string, taken map[string]int, seen map[string]bool, ids *[]string) (int, []string, error) {
	page := claimPage(r.Limit)
	args := []any{now, now, cappedJSON}
	if stmts.limited {
		args = append(args, page+len(*ids))
	}
	rows, err := q.QueryContext(ctx, stmts.candidates, args...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	read := 0
	var newlyCapped []string
	for read < page && len(*ids) < r.Limit && rows.Next() {
		var id, wh string
		if err := rows.Scan(&id, &wh); err != nil {
			return read, nil, err
		}
		if seen[id] {
			continue
		}
		read++
		if r.PerWebhook > 0 && r.Busy[wh]+taken[wh] >= r.PerWebhook {
			continue
		}
		seen[id] = true
		taken[wh]++
		*ids = append(*ids, id)
		if r.PerWebhook > 0 && r.Busy[wh]+taken[wh] == r.PerWebhook {
			newlyCapped = append(newlyCapped, wh)
		}
	}
	return read, newlyCapped, rows.Err()
}

// claimDeliveryTries bounds ClaimDelivery's reads of a row it could not
// claim although the row looks claimable: on PostgreSQL, at READ
// COMMITTED, each statement sees the rows as they are when it starts, so
// the UPDATE may skip a row that an attempt finishing meanwhile frees
// before the SELECT that explains the skip reads it. The claim is then
// simply tried again.
const claimDeliveryTries = 3

func (s *DB) ClaimDelivery(ctx context.Context, id string, statuses []string, now time.Time, lease Lease) (*Delivery, error) {
	var out *Delivery
	// A manual retry's answer is the delivery as claimed: it commits with
	// the claim (read here: fn's context may be another writer's).
	outcome, withOutcome := IdempotentOutcomeFrom(ctx)
	err := s.writeGrouped(ctx, func(ctx context.Context, tx execQuerier) error {
		out = nil
		args := []any{toNanos(lease.Until), lease.Token, id, toNanos(now)}
		for _, st := range statuses {
			args = append(args, st)
		}
		for try := 1; ; try++ {
			ds, err := scanDeliveries(tx.QueryContext(ctx, `UPDATE deliveries SET lease_until = ?, lease_token = ?
				WHERE id = ? AND `+leaseFree+` AND status IN (`+placeholders(len(statuses))+`) RETURNING `+deliveryColumns, args...))
			if err != nil {
				return err
			}
			if len(ds) == 1 {
				out = &ds[0]
				if withOutcome {
					return s.completeIdempotentWith(ctx, tx, outcome, out)
				}
				return nil
			}
			// Not claimed: say why, from the row as it is now.
			d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return ErrNotFound
			case err != nil:
				return err
			case d.Leased(now):
				return ErrLeaseHeld
			case !slices.Contains(statuses, d.Status):
				return ErrNotClaimable
			case try < claimDeliveryTries:
				continue
			}
			// Seen once on SQLite (where one transaction sees one state), in
			// a stress test of manual retries racing the scheduler, and not
			// since: say everything the two checks compared, so that the
			// next one tells why.
			return fmt.Errorf("claim delivery %s: not claimed for no known reason after %d tries (status %s, asked %v, lease until %s, now %d, next attempt %s)",
				id, try, d.Status, statuses, nanosOrNone(d.LeasedUntil), toNanos(now), nanosOrNone(d.NextAttemptAt))
		}
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrLeaseHeld) || errors.Is(err, ErrNotClaimable) || errors.Is(err, ErrClaimLost) {
			return nil, err
		}
		return nil, fmt.Errorf("claim delivery: %w", err)
	}
	return out, nil
}

// qNextAttempt reads the first due time among free deliveries, walking the
// due index in order to the first free row, then the first expiry of a
// live lease among the rows before that one in the same order. That is
// every lease that matters: a delivery is claimed only once due, so when
// no free delivery is due yet (the only case where an expiry can come
// first), every leased one is due, and so before the first free one. Both
// reads cost what the leased rows ahead cost (the attempts running), with
// no index on lease_until (noLeaseIndexMigration; on PostgreSQL, updating
// an indexed column makes every claim write a new entry into every index
// of deliveries: no HOT update). "Before the first free one" is a range
// of the due index only when written as one comparison (COALESCE, the
// largest integer when no free delivery is due): with an OR, SQLite read
// every due row (TestNextAttemptAtReadsARange). A leased row with no next
// attempt (a test delivery) is left out: nothing falls due when its lease
// ends.
const qNextAttempt = `SELECT d.due, (SELECT MIN(lease_until) FROM deliveries
		WHERE status IN ('pending', 'retrying') AND ` + leaseLive + ` AND next_attempt_at < COALESCE(d.due, 9223372036854775807))
	FROM (SELECT (SELECT next_attempt_at FROM deliveries WHERE status IN ('pending', 'retrying') AND ` + leaseFree + `
		ORDER BY next_attempt_at LIMIT 1) AS due) AS d`

func (s *DB) NextAttemptAt(ctx context.Context, now time.Time) (*time.Time, error) {
	n := toNanos(now)
	var due, expiry sql.NullInt64
	err := s.read().QueryRowContext(ctx, qNextAttempt, n, n).Scan(&due, &expiry)
	if err != nil {
		return nil, fmt.Errorf("read next attempt: %w", err)
	}
	switch {
	case due.Valid && expiry.Valid:
		return timePtr(sql.NullInt64{Int64: min(due.Int64, expiry.Int64), Valid: true}), nil
	case due.Valid:
		return timePtr(due), nil
	}
	return timePtr(expiry), nil
}

// releaseLeases drops the leases of due work. Only OpenSQLite calls it
// (never OpenPostgres: other processes' leases are live), holding the
// database's process lock: no other process can be running an attempt, so
// every lease left is a dead process's, and its work is resumed at once
// instead of when the lease expires. It reads the rows of the due index
// (the backlog), not the whole table: a lease on another row is a manual
// retry of a dead-lettered delivery that was running when the process
// died, and it expires on its own (ClaimDelivery refuses the delivery
// until then, as on PostgreSQL).
func releaseLeases(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `UPDATE deliveries SET lease_until = NULL, lease_token = NULL
		WHERE status IN ('pending', 'retrying') AND lease_until IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("release leases of a previous process: %w", err)
	}
	return nil
}

func scanDeliveries(rows *sql.Rows, err error) ([]Delivery, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// nanosOrNone prints a time as the nanoseconds the store compares, or none.
func nanosOrNone(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return strconv.FormatInt(toNanos(*t), 10)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
