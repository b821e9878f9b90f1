package store

import (
	"context"
	"fmt"
	"time"
)

// Listing a webhook's deliveries. The API, the console and recover page a
// webhook's deliveries newest first through an index on (webhook_id,
// created_at, id). Its entries go in at as many places as there are
// webhooks: one event published to 100 webhooks put an entry on 100
// different pages of it, and on SQLite every page a transaction changes is
// written whole to the log at its commit (and again when the log is
// checkpointed). At 100 events/s to 100 webhooks that was about 10,000
// pages a second, and with the checkpoints that copied them a third of
// the one writer's time (a CPU profile of that phase): the claims that wait
// behind those commits took 3 ms each, 1 ms with the index dropped (an
// experiment), and the first attempt of a delivery came 60 to 500 ms after
// its publish (p99; 9 to 17 ms without the index, 15 to 20 with the
// lister and the checkpointer: make bench-delivery's fixed rate, W=100).
//
// So on SQLite a delivery is written unlisted (listed = 0), in a small
// index of its own by creation time whose entries all go in at its end,
// and a lister moves what is unlisted into the webhook index in one
// statement a few times a second: each page of that index is then written
// once per batch instead of once per event (PostgreSQL's GIN indexes keep a
// pending list for the same reason). Reads take both parts, listed and
// unlisted, in every query (webhookDeliveries), so a delivery is listed
// from the commit that wrote it, as before; nothing a reader sees depends
// on when the lister runs. PostgreSQL logs the rows an index write changes,
// not its pages, and several processes write: its deliveries are written
// listed, and its unlisted part stays empty.

// listingMigration makes the webhook index hold the listed deliveries only
// and adds the unlisted ones' index. Every delivery already stored is
// listed (the column's default).
var listingMigration = migration{
	version: 11,
	name:    "deliveries listed by webhook in batches",
	stmts: []string{
		`ALTER TABLE deliveries ADD COLUMN listed INTEGER NOT NULL DEFAULT 1`,
		`DROP INDEX deliveries_webhook_created`,
		`CREATE INDEX deliveries_webhook_created ON deliveries (webhook_id, created_at, id) WHERE listed = 1`,
		`CREATE INDEX deliveries_unlisted ON deliveries (created_at, id, webhook_id) WHERE listed = 0`,
	},
}

// listingMigrationPostgres keeps the webhook index whole: every delivery
// on PostgreSQL is listed, so the whole index serves the listed part as
// well, and a process of the version before, still running in a rolling
// upgrade, keeps the index its queries use. The unlisted part's index
// stays empty; the queries are the same on both.
var listingMigrationPostgres = migration{
	version: listingMigration.version,
	name:    listingMigration.name,
	stmts: []string{
		`ALTER TABLE deliveries ADD COLUMN listed SMALLINT NOT NULL DEFAULT 1`,
		`CREATE INDEX deliveries_unlisted ON deliveries (created_at, id, webhook_id) WHERE listed = 0`,
	},
}

// webhookDeliveries is a query of the deliveries of one webhook: the
// listed ones through the webhook index, and the unlisted ones (a few
// hundred milliseconds of them while the lister keeps up) through theirs. tail comes after the WHERE of each part (ORDER BY ... LIMIT ?,
// or nothing); where holds the conditions, the webhook's first, and is
// matched by args, which the query takes twice (as does tail's).
func webhookDeliveries(cols, where, tail string) string {
	part := func(listed string) string {
		return `SELECT ` + cols + ` FROM deliveries WHERE listed = ` + listed + ` AND ` + where + tail
	}
	if tail == "" {
		return part("1") + ` UNION ALL ` + part("0")
	}
	// A compound select takes ORDER BY and LIMIT only at its end: each part
	// is a subquery of its own.
	return `SELECT * FROM (` + part("1") + `) AS l UNION ALL SELECT * FROM (` + part("0") + `) AS u`
}

// listedOnInsert is what a new delivery's listed column holds.
func (s *DB) listedOnInsert() int {
	if s.dialect == dialectPostgres {
		return 1
	}
	return 0
}

// listEvery is how long the lister gathers unlisted deliveries before it
// lists them. The longer, the fewer times each page of the webhook index
// is written, and the more unlisted entries a listing reads (at 10,000
// deliveries/s, about 2,000 plus what comes while the lister's statement
// waits for the writer; more only while the lister fails, when it tries
// again after a longer wait each time). A listing reads only the entries
// of the unlisted index, which hold the webhook, and the rows of its own
// webhook's.
const listEvery = 200 * time.Millisecond

// listBatch bounds the deliveries one statement lists, so that one
// transaction stays short after a long pause of the lister.
const listBatch = 10_000

const qListPending = `UPDATE deliveries SET listed = 1 WHERE id IN (SELECT id FROM deliveries WHERE listed = 0 ORDER BY created_at, id LIMIT ?)`

// startLister runs the lister until stopLister, listing every (0:
// listEvery; negative: never but when the store closes, for tests that
// need unlisted deliveries). It lists once at start: what a process that
// ended before listing left.
func (s *DB) startLister(every time.Duration) {
	if every == 0 {
		every = listEvery
	}
	s.listing = startGatherer(every, func() (bool, error) {
		_, err := s.listPending(context.Background())
		if err != nil {
			// Readers still find the deliveries, unlisted; tried again later.
			s.logger().Error("list deliveries by webhook", "error", err)
		}
		return false, err
	})
}

// unlisted tells the lister that a delivery was written unlisted.
func (s *DB) unlisted() { s.listing.poke() }

// listPending lists every unlisted delivery, in batches of listBatch, and
// returns how many it listed.
func (s *DB) listPending(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int64
		err := s.writeGrouped(ctx, func(ctx context.Context, tx execQuerier) error {
			res, err := tx.ExecContext(ctx, qListPending, listBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("list deliveries: %w", err)
		}
		total += int(n)
		if n < listBatch {
			return total, nil
		}
	}
}

// stopLister ends the lister and lists what is left, so that the file a
// closed store leaves has every delivery listed.
func (s *DB) stopLister() error {
	if s.listing == nil {
		return nil
	}
	s.listing.close()
	_, err := s.listPending(context.Background())
	return err
}
