package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrTargetNotEmpty: Copy was given a target database that already holds
// data; it copies only into an empty one, so that nothing is mixed or
// overwritten.
var ErrTargetNotEmpty = errors.New("the target database already holds data")

// copyTable is one table Copy moves: the rows where says, in order (so a
// copy is the same twice), with the columns in reset set to their values.
type copyTable struct {
	name, where, order string
	reset              map[string]any
}

// copyTables are the tables Copy moves, parents before children (the
// foreign keys). Left out: the rate limits' buckets (a few seconds of
// state), the key check record (each database has its own, sealed with
// the same key), the schema's versions (both databases are at this
// binary's) and the console's sessions, sign-in key and recoveries (whoever
// was signed in signs in again).
var copyTables = []copyTable{
	{name: "groups", order: "id"},
	{name: "webhooks", order: "id"},
	{name: "webhook_subscriptions", order: "webhook_id, pattern, group_id"},
	{name: "api_keys", order: "hash"},
	// The calls that were in flight are over: their claims stay behind, so
	// a retry runs them (as after a restart).
	{name: "idempotency", where: "in_flight = 0", order: "key"},
	{name: "events", order: "id"},
	// Leases belong to the processes of the source, which are stopped; a
	// delivery is listed by its webhook at once (on SQLite the lister's
	// batches are of the source's own writes).
	{name: "deliveries", order: "id", reset: map[string]any{"lease_until": nil, "lease_token": nil, "listed": 1}},
	{name: "attempts", order: "delivery_id, number"},
}

// CopiedTable is how many rows Copy wrote to one table, and how long it took.
type CopiedTable struct {
	Name     string
	Rows     int
	Duration time.Duration
}

// copyParams bounds the values of one INSERT: well under SQLite's 32,766
// and PostgreSQL's 65,535, and large enough that a statement carries a few
// hundred rows.
const copyParams = 8000

// Copy copies everything from holds into to, which must be empty (else
// ErrTargetNotEmpty, and nothing is written): groups, webhooks, API keys,
// events, deliveries with their attempts, and the completed idempotency
// keys, in one transaction on to, read from one snapshot of from. The two
// may be of either kind (SQLite to PostgreSQL is the move an operator who
// outgrows one machine makes) and must be opened with the same encryption
// key: sealed values (secrets, tokens, stored answers) are copied as they
// are, so they open only with it. Deliveries lose their leases, so that
// to's processes take the due ones at once. progress, if set, is called
// after each table.
func Copy(ctx context.Context, from, to *DB, progress func(CopiedTable)) ([]CopiedTable, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if from.dialect == dialectPostgres {
		opts.Isolation = sql.LevelRepeatableRead // one snapshot for every table
	}
	src, err := from.reader.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", from.path, err)
	}
	defer func() { _ = src.Rollback() }()

	var copied []CopiedTable
	err = to.runTxOnce(ctx, nil, func(dst *sql.Tx) error {
		if err := requireEmpty(ctx, dst); err != nil {
			return err
		}
		for _, t := range copyTables {
			start := time.Now()
			n, err := copyRows(ctx, src, dst, t)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t.name, err)
			}
			var stored int
			if err := dst.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&stored); err != nil {
				return fmt.Errorf("count %s: %w", t.name, err)
			}
			if stored != n {
				return fmt.Errorf("copy %s: %d rows read, %d stored", t.name, n, stored)
			}
			ct := CopiedTable{Name: t.name, Rows: n, Duration: time.Since(start)}
			copied = append(copied, ct)
			if progress != nil {
				progress(ct)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if to.dialect == dialectPostgres {
		// The planner's statistics know nothing of the rows just loaded.
		// The copy is committed: a failure here is autovacuum's to mend.
		if _, err := to.writer.ExecContext(ctx, `ANALYZE`); err != nil {
			to.logger().Warn("analyze the copied tables (autovacuum will)", "error", err)
		}
	}
	return copied, nil
}

// requireEmpty refuses a target that holds anything Copy would write.
func requireEmpty(ctx context.Context, tx *sql.Tx) error {
	var held []string
	for _, t := range copyTables {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&n); err != nil {
			return fmt.Errorf("look for data in the target: %w", err)
		}
		if n > 0 {
			held = append(held, fmt.Sprintf("%s %d", t.name, n))
		}
	}
	if len(held) > 0 {
		return fmt.Errorf("%w (%s)", ErrTargetNotEmpty, strings.Join(held, ", "))
	}
	return nil
}

// copyRows copies t's rows from src to dst in INSERTs of many rows each.
// Both are at this binary's schema version, which is the same columns on
// both backends; a column only one side has would be lost or left to its
// default without a word, so it stops the copy.
func copyRows(ctx context.Context, src, dst *sql.Tx, t copyTable) (int, error) {
	cols, err := columns(ctx, src, t.name)
	if err != nil {
		return 0, err
	}
	dstCols, err := columns(ctx, dst, t.name)
	if err != nil {
		return 0, err
	}
	if a, b := slices.Sorted(slices.Values(cols)), slices.Sorted(slices.Values(dstCols)); !slices.Equal(a, b) {
		return 0, fmt.Errorf("the two databases' columns differ (%v and %v): both should be at this hookd's schema version", a, b)
	}
	query := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + t.name
	if t.where != "" {
		query += ` WHERE ` + t.where
	}
	rows, err := src.QueryContext(ctx, query+` ORDER BY `+t.order)
	if err != nil {
		return 0, err
	}
	defer rows.Close()

	perInsert := max(1, copyParams/len(cols))
	batch := make([]any, 0, perInsert*len(cols))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n := len(batch) / len(cols)
		row := `(?` + strings.Repeat(", ?", len(cols)-1) + `)`
		stmt := `INSERT INTO ` + t.name + ` (` + strings.Join(cols, ", ") + `) VALUES ` + row + strings.Repeat(", "+row, n-1)
		_, err := dst.ExecContext(ctx, stmt, batch...)
		batch = batch[:0]
		return err
	}
	n := 0
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range cols {
			v := values[i]
			if r, ok := t.reset[c]; ok {
				v = r
			}
			batch = append(batch, v)
		}
		n++
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// columns are the names of table's columns, in the order of its definition.
func columns(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT * FROM `+table+` WHERE 1 = 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	return cols, rows.Close()
}
