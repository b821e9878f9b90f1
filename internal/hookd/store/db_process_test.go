package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// One process per SQLite database: a second open is refused, with a
// message that says what to do, until the first closes.
func TestSecondProcessRefused(t *testing.T) {
	sqliteOnly(t, "one process per SQLite file")
	path := filepath.Join(t.TempDir(), "hookd.db")
	first, err := OpenSQLite(path, testCipher(t, testKey))
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenSQLite(path, testCipher(t, testKey))
	if !errors.Is(err, ErrDatabaseInUse) {
		t.Fatalf("second open: %v, want ErrDatabaseInUse", err)
	}
	want := fmt.Sprintf("the database is in use by another hookd process: %s is locked through %s.lock; stop the other hookd first (to run several hookd processes, use PostgreSQL)", path, path)
	if err.Error() != want {
		t.Fatalf("message:\n got %s\nwant %s", err, want)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openAt(t, path, testKey)
}

// A second hookd given another path to the same file, through a symbolic
// link to the file or to its directory, is refused as well: it would
// deliver the same work (and release the first one's leases at start).
func TestSecondProcessRefusedThroughALink(t *testing.T) {
	sqliteOnly(t, "one process per SQLite file")
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	first, err := OpenSQLite(path, testCipher(t, testKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Close() })
	other := t.TempDir()
	fileLink, dirLink := filepath.Join(other, "link.db"), filepath.Join(other, "dir")
	if err := os.Symlink(path, fileLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, dirLink); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fileLink, filepath.Join(dirLink, "hookd.db")} {
		if s, err := OpenSQLite(p, testCipher(t, testKey)); !errors.Is(err, ErrDatabaseInUse) {
			if s != nil {
				_ = s.Close()
			}
			t.Fatalf("open through %s: %v, want ErrDatabaseInUse", p, err)
		}
	}

	// A link to a file not there yet (SQLite creates it): the first hookd
	// is given the link, the second the file.
	fresh, dangling := filepath.Join(dir, "fresh.db"), filepath.Join(other, "dangling.db")
	if err := os.Symlink(fresh, dangling); err != nil {
		t.Fatal(err)
	}
	viaLink, err := OpenSQLite(dangling, testCipher(t, testKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = viaLink.Close() })
	if s, err := OpenSQLite(fresh, testCipher(t, testKey)); !errors.Is(err, ErrDatabaseInUse) {
		if s != nil {
			_ = s.Close()
		}
		t.Fatalf("open of the file a dangling link named: %v, want ErrDatabaseInUse", err)
	}
}

// Opening the database releases the leases of due work a previous process
// left (its lock says it is gone), reading the due index: schema step 9
// dropped the index on lease_until. The lease of a manual retry of a
// dead-lettered delivery is not due work: it runs out on its own.
func TestOpenReleasesLeasesOfDueWork(t *testing.T) {
	sqliteOnly(t, "a new process releases the leases of the one before it (its lock says that one is gone); on PostgreSQL they expire")
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := openAt(t, path, testKey)
	ctx := t.Context()
	due := addDeliveries(t, s, "evt_a", t0, "wh_1", "wh_2")
	dead := addDeliveries(t, s, "evt_b", t0, "wh_3")[0]
	// wh_3's delivery is dead-lettered, then a manual retry takes it.
	claimed := claimDue(t, s, ClaimRequest{Now: t0, Lease: lease("old", t0.Add(time.Hour)), Limit: 3})
	if len(claimed) != 3 {
		t.Fatalf("claimed %d, want 3", len(claimed))
	}
	for _, d := range claimed {
		if d.ID == dead {
			d.Status, d.NextAttemptAt = DeliveryDeadLettered, nil
			if err := s.FinishAttempt(ctx, "old", nil, &d); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.ClaimDelivery(ctx, dead, []string{DeliveryDeadLettered}, t0, lease("manual", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, testKey)
	var leasedIndexes int
	if err := s.writer.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'deliveries_leased'`).Scan(&leasedIndexes); err != nil || leasedIndexes != 0 {
		t.Fatalf("deliveries_leased after step 9: %d, %v", leasedIndexes, err)
	}
	// Within the old leases' hour, the due work is claimable at once...
	again := claimDue(t, s, ClaimRequest{Now: t0.Add(time.Minute), Lease: lease("new", t0.Add(2*time.Minute)), Limit: 10})
	diff(t, "claimed after reopen", deliveryIDs(again), due)
	// ...and the manual retry's lease holds until it runs out.
	if _, err := s.ClaimDelivery(ctx, dead, []string{DeliveryDeadLettered}, t0.Add(time.Minute), lease("manual2", t0.Add(2*time.Hour))); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("manual retry's delivery after reopen: %v, want ErrLeaseHeld until its lease runs out", err)
	}
	if _, err := s.ClaimDelivery(ctx, dead, []string{DeliveryDeadLettered}, t0.Add(time.Hour), lease("manual2", t0.Add(2*time.Hour))); err != nil {
		t.Fatalf("manual retry's delivery once its lease ran out: %v", err)
	}
}
