package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// probe reads hookd's database directly. It is the one place that knows
// the store's schema (tables deliveries and attempts): when the schema
// changes, change the queries here.
type probe struct{ conn *pgx.Conn }

func openProbe(ctx context.Context, dsn string) (*probe, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	return &probe{conn: conn}, nil
}

func (p *probe) close() { _ = p.conn.Close(context.Background()) }

// statuses counts the deliveries by status.
func (p *probe) statuses(ctx context.Context) (map[string]int, error) {
	rows, err := p.conn.Query(ctx, `SELECT status, count(*) FROM deliveries GROUP BY status`)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// waitTerminal polls until no delivery is pending or retrying, up to
// timeout; on timeout it says what is left.
func (p *probe) waitTerminal(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st, err := p.statuses(ctx)
		if err != nil {
			return err
		}
		if st["pending"]+st["retrying"] == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("deliveries not terminal %s after the last publish: %v; %s", timeout, st, p.unfinished(ctx))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// unfinished describes a few deliveries still pending or retrying.
func (p *probe) unfinished(ctx context.Context) string {
	rows, err := p.conn.Query(ctx, `SELECT id, status, attempt_count, coalesce(lease_until, 0), coalesce(last_error, '')
		FROM deliveries WHERE status IN ('pending', 'retrying') ORDER BY created_at LIMIT 5`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	b.WriteString("first unfinished:")
	for rows.Next() {
		var id, st, lastErr string
		var n, lease int64
		if err := rows.Scan(&id, &st, &n, &lease, &lastErr); err != nil {
			return err.Error()
		}
		leased := "no lease"
		if lease > 0 {
			leased = "leased until " + time.Unix(0, lease).Format(time.RFC3339Nano)
		}
		fmt.Fprintf(&b, " %s (%s, %d attempts, %s, last error %q);", id, st, n, leased, lastErr)
	}
	return b.String()
}

// delivery is one delivery row.
type delivery struct {
	ID, EventID, Status string
	Attempts            int
}

// deliveries lists the deliveries of the events whose id starts with
// prefix (compared as a string: LIKE would read its underscores as
// wildcards).
func (p *probe) deliveries(ctx context.Context, prefix string) ([]delivery, error) {
	rows, err := p.conn.Query(ctx, `SELECT id, event_id, status, attempt_count FROM deliveries WHERE left(event_id, length($1)) = $1 ORDER BY id`, prefix)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (delivery, error) {
		var d delivery
		err := r.Scan(&d.ID, &d.EventID, &d.Status, &d.Attempts)
		return d, err
	})
}

// attemptKey names one attempt: a delivery and its attempt number.
type attemptKey struct {
	DeliveryID string
	Number     int
}

func (k attemptKey) String() string { return fmt.Sprintf("%s#%d", k.DeliveryID, k.Number) }

// attempts lists every recorded attempt.
func (p *probe) attempts(ctx context.Context) ([]attemptKey, error) {
	rows, err := p.conn.Query(ctx, `SELECT delivery_id, number FROM attempts`)
	if err != nil {
		return nil, err
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (attemptKey, error) {
		var k attemptKey
		err := r.Scan(&k.DeliveryID, &k.Number)
		return k, err
	})
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	return keys, err
}

// failures counts the recorded attempts that did not succeed, by status
// code and error (the first 100 characters), most frequent first: what a
// report shows when the receiver got more requests than the kill explains.
func (p *probe) failures(ctx context.Context) ([]failure, error) {
	rows, err := p.conn.Query(ctx, `SELECT coalesce(response_status_code, 0), left(coalesce(error, ''), 100), count(*)
		FROM attempts WHERE error IS NOT NULL OR response_status_code NOT BETWEEN 200 AND 299
		GROUP BY 1, 2 ORDER BY 3 DESC, 2 LIMIT 5`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (failure, error) {
		var f failure
		err := r.Scan(&f.status, &f.err, &f.count)
		return f, err
	})
}

// failure is one kind of failed attempt and how many there were.
type failure struct {
	status int64
	err    string
	count  int64
}

func (f failure) String() string {
	return fmt.Sprintf("%d x (status %d, error %q)", f.count, f.status, f.err)
}

// leases are the deliveries leased at one moment, with the end of each
// lease (unix nanoseconds, as hookd stores it).
type leases map[string]int64

// leasedAt reads the leases live at now.
func (p *probe) leasedAt(ctx context.Context, now time.Time) (leases, error) {
	rows, err := p.conn.Query(ctx, `SELECT id, lease_until FROM deliveries WHERE lease_until > $1`, now.UnixNano())
	if err != nil {
		return nil, err
	}
	out := leases{}
	for rows.Next() {
		var id string
		var until int64
		if err := rows.Scan(&id, &until); err != nil {
			return nil, err
		}
		out[id] = until
	}
	return out, rows.Err()
}

// resumed lists the deliveries of ls that have an attempt started once
// their lease had run out: the ones whose holder died before recording.
// (A live process records its attempt within the lease, and a succeeded
// delivery is not attempted again.)
func (p *probe) resumed(ctx context.Context, ls leases) ([]string, error) {
	ids := make([]string, 0, len(ls))
	untils := make([]int64, 0, len(ls))
	for id, until := range ls {
		ids = append(ids, id)
		untils = append(untils, until)
	}
	rows, err := p.conn.Query(ctx, `SELECT DISTINCT a.delivery_id FROM attempts a
		JOIN unnest($1::text[], $2::bigint[]) AS l(id, until) ON a.delivery_id = l.id
		WHERE a.started_at >= l.until ORDER BY 1`, ids, untils)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
