package store

import (
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"
)

// withoutCheckpointer leaves checkpoints to the writer's backstop and to
// the test.
func withoutCheckpointer() OpenOption {
	return func(o *openOptions) { o.checkpointEvery = -1 }
}

// fileSize is the size of the database file, without its log: what
// checkpoints have copied into it.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// writePages commits about n pages of new data to the log in one
// transaction, through the store's own write path.
func writePages(t *testing.T, s *DB, n int) {
	t.Helper()
	blob := strings.Repeat("x", 3000) // one 4 KiB page a row
	if err := s.write(t.Context(), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(t.Context(), `CREATE TABLE IF NOT EXISTS filler (v TEXT)`); err != nil {
			return err
		}
		for range n {
			if _, err := tx.ExecContext(t.Context(), `INSERT INTO filler (v) VALUES (?)`, blob); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// The writer's commits leave the log to the checkpointer below
// writerCheckpointPages (SQLite's default made the 1,000th page's commit
// copy the log itself), and the checkpointer copies it.
func TestWriterLeavesCheckpointsToTheCheckpointer(t *testing.T) {
	sqliteOnly(t, "SQLite's write-ahead log")
	path := newLocation(t)
	s := openWith(t, path, testKey, withoutCheckpointer())
	before := fileSize(t, path)
	writePages(t, s, 1500)
	if got := fileSize(t, path); got != before {
		t.Fatalf("a commit of 1,500 pages checkpointed on the writer: the file went from %d to %d bytes", before, got)
	}
	more, err := s.checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if more {
		t.Error("the checkpoint left pages to copy, with no reader or writer running")
	}
	if got := fileSize(t, path); got < before+1500*3000 {
		t.Errorf("after the checkpoint the file has %d bytes, want the 1,500 pages in it (%d before)", got, before)
	}
}

// Past writerCheckpointPages the writer checkpoints itself: a log that the
// checkpointer cannot keep up with, or restart, stays bounded.
func TestWriterCheckpointsPastItsBackstop(t *testing.T) {
	sqliteOnly(t, "SQLite's write-ahead log")
	path := newLocation(t)
	s := openWith(t, path, testKey, withoutCheckpointer())
	before := fileSize(t, path)
	writePages(t, s, writerCheckpointPages+500)
	if got := fileSize(t, path); got <= before {
		t.Fatalf("a commit past %d pages did not checkpoint: the file stayed at %d bytes", writerCheckpointPages, got)
	}
}

// The checkpointer runs by itself a while after commits: a commit wakes
// it (the run it makes at start is over before this one commits).
func TestCheckpointerRunsInTheBackground(t *testing.T) {
	sqliteOnly(t, "SQLite's write-ahead log")
	path := newLocation(t)
	s := openAt(t, path, testKey)
	time.Sleep(3 * checkpointEvery) // the run at start
	before := fileSize(t, path)
	writePages(t, s, 500)
	for deadline := time.Now().Add(10 * time.Second); fileSize(t, path) < before+500*3000; {
		if time.Now().After(deadline) {
			t.Fatalf("the log was not checkpointed within 10 s (the checkpointer runs %s after a commit)", checkpointEvery)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
