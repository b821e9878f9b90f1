package store

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"
)

// A console session is stored by the hash of its id with its CSRF secret
// sealed, found until it is deleted, touched forward only, and pruned once
// ended; its flash is shown once.
func TestConsoleSessions(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	cs := &ConsoleSession{IDHash: "h1", KeyHash: "key", CSRF: "csrf-secret", CreatedAt: t0, IdleUntil: t0.Add(time.Minute), ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateConsoleSession(ctx, cs, t0); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetConsoleSession(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "session", got, cs)
	var sealed []byte
	if err := s.writer.QueryRowContext(ctx, `SELECT csrf FROM console_sessions WHERE id_hash = 'h1'`).Scan(&sealed); err != nil || bytes.Contains(sealed, []byte("csrf-secret")) {
		t.Errorf("the CSRF secret is stored in clear (%v)", err)
	}
	if _, err := s.GetConsoleSession(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown session: %v", err)
	}

	if err := s.TouchConsoleSession(ctx, "h1", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchConsoleSession(ctx, "h1", t0.Add(90*time.Second)); err != nil { // another process's, older
		t.Fatal(err)
	}
	if got, _ := s.GetConsoleSession(ctx, "h1"); !got.IdleUntil.Equal(t0.Add(2 * time.Minute)) {
		t.Errorf("idle until %v after two touches, want the later", got.IdleUntil)
	}

	if f, err := s.TakeConsoleFlash(ctx, "h1"); err != nil || f != nil {
		t.Errorf("a flash before any: %+v, %v", f, err)
	}
	if err := s.SetConsoleFlash(ctx, "h1", ConsoleFlash{OK: true, Message: "done"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetConsoleSession(ctx, "h1"); got.Flash == nil || *got.Flash != (ConsoleFlash{OK: true, Message: "done"}) {
		t.Errorf("the session's flash: %+v", got.Flash)
	}
	if f, err := s.TakeConsoleFlash(ctx, "h1"); err != nil || f == nil || *f != (ConsoleFlash{OK: true, Message: "done"}) {
		t.Errorf("take flash: %+v, %v", f, err)
	}
	if f, err := s.TakeConsoleFlash(ctx, "h1"); err != nil || f != nil {
		t.Errorf("the flash taken twice: %+v, %v", f, err)
	}

	// Pruned once ended, idle or old: at the next sign-in, or by itself.
	idle := &ConsoleSession{IDHash: "h2", KeyHash: "key", CSRF: "c", CreatedAt: t0, IdleUntil: t0.Add(time.Minute), ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateConsoleSession(ctx, idle, t0); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(3 * time.Minute) // h1 idle since 2 min, h2 since 1
	fresh := &ConsoleSession{IDHash: "h3", KeyHash: "key", CSRF: "c", CreatedAt: later, IdleUntil: later.Add(time.Minute), ExpiresAt: later.Add(time.Hour)}
	if err := s.CreateConsoleSession(ctx, fresh, later); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"h1": false, "h2": false, "h3": true} {
		if _, err := s.GetConsoleSession(ctx, id); (err == nil) != want {
			t.Errorf("%s after a sign-in at 3 min: found %v, want %v", id, err == nil, want)
		}
	}
	if n, err := s.PruneConsoleSessions(ctx, later.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("prune at its absolute end: %d, %v", n, err)
	}
	if err := s.CreateConsoleSession(ctx, cs, later); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConsoleSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetConsoleSession(ctx, "h1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a deleted session: %v", err)
	}
	if err := s.DeleteConsoleSession(ctx, "h1"); err != nil {
		t.Errorf("deleted twice: %v", err)
	}
}

// Every process sharing the database gets the same console key: the first
// one stored, sealed; the next ones offered are not kept.
func TestConsoleKey(t *testing.T) {
	loc := newLocation(t)
	s := openAt(t, loc, testKey)
	first, err := s.ConsoleKey(t.Context(), "sign_in", []byte("first key"))
	if err != nil || string(first) != "first key" {
		t.Fatalf("first: %q, %v", first, err)
	}
	other := s
	if testPostgres() {
		other = openAt(t, loc, testKey) // another process
	}
	if got, err := other.ConsoleKey(t.Context(), "sign_in", []byte("second key")); err != nil || string(got) != "first key" {
		t.Errorf("second: %q, %v; want the first", got, err)
	}
	if got, err := other.ConsoleKey(t.Context(), "another", []byte("k2")); err != nil || string(got) != "k2" {
		t.Errorf("another name: %q, %v", got, err)
	}
	var sealed []byte
	if err := s.writer.QueryRowContext(t.Context(), `SELECT sealed FROM console_keys WHERE name = 'sign_in'`).Scan(&sealed); err != nil || bytes.Contains(sealed, []byte("first key")) {
		t.Errorf("the key is stored in clear (%v)", err)
	}
}

// A recovery is stored once per form, saved by its owner while it runs,
// and stopped by anyone once its owner stopped writing it; then its owner
// may not write it any more.
func TestConsoleRecoveries(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	r := &ConsoleRecovery{ID: "r1", KeyHash: "key", Once: "form1", WebhookID: "wh_a", Since: "2025-03-14T00:00:00", Until: t0,
		Owner: "A", State: RecoveryListing, CreatedAt: t0, UpdatedAt: t0}
	got, created, err := s.StartConsoleRecovery(ctx, r)
	if err != nil || !created || got != r {
		t.Fatalf("start: %+v, %v, %v", got, created, err)
	}
	again := *r
	again.ID, again.Owner = "r2", "B" // the same form, sent to another process
	got, created, err = s.StartConsoleRecovery(ctx, &again)
	if err != nil || created || got.ID != "r1" {
		t.Fatalf("the same form again: %+v, %v, %v; want r1", got, created, err)
	}
	diff(t, "stored", got, &ConsoleRecovery{ID: "r1", KeyHash: "key", Once: "form1", WebhookID: "wh_a", Since: "2025-03-14T00:00:00", Until: t0,
		Owner: "A", State: RecoveryListing, Failures: []string{}, CreatedAt: t0, UpdatedAt: t0})
	other := *r
	other.ID, other.KeyHash = "r3", "other key" // another key's form with the same token
	if _, created, err := s.StartConsoleRecovery(ctx, &other); err != nil || !created {
		t.Fatalf("another key: %v, %v", created, err)
	}

	r.State, r.Listed, r.Total, r.Replayed, r.Failed, r.Failures, r.UpdatedAt = RecoveryReplaying, true, 5, 3, 1, []string{"dlv_1: refused"}, t0.Add(time.Second)
	if err := s.SaveConsoleRecovery(ctx, r); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.StopStaleConsoleRecovery(ctx, "r1", t0, t0.Add(time.Minute), "gone"); err != nil || ok {
		t.Errorf("stopped while written since: %v, %v", ok, err)
	}
	got, err = s.GetConsoleRecovery(ctx, "r1")
	if err != nil || got.State != RecoveryReplaying || !got.Listed || got.Total != 5 || got.Replayed != 3 || got.Failed != 1 || !slices.Equal(got.Failures, []string{"dlv_1: refused"}) {
		t.Fatalf("after a save: %+v, %v", got, err)
	}
	if ok, err := s.StopStaleConsoleRecovery(ctx, "r1", t0.Add(time.Minute), t0.Add(2*time.Minute), "its process is gone"); err != nil || !ok {
		t.Fatalf("stop a stale recovery: %v, %v", ok, err)
	}
	r.Replayed, r.UpdatedAt = 4, t0.Add(3*time.Minute)
	if err := s.SaveConsoleRecovery(ctx, r); !errors.Is(err, ErrNotFound) {
		t.Errorf("its owner saves a stopped recovery: %v, want ErrNotFound", err)
	}
	if got, _ := s.GetConsoleRecovery(ctx, "r1"); got.State != RecoveryStopped || got.Error != "its process is gone" || got.Replayed != 3 {
		t.Errorf("stopped: %+v", got)
	}
	if _, err := s.GetConsoleRecovery(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	// Kept a week after their last write.
	late := &ConsoleRecovery{ID: "r4", KeyHash: "key", Once: "form4", WebhookID: "wh_a", Owner: "A", State: RecoveryListing,
		CreatedAt: t0.Add(ConsoleRecoveryKept + 90*time.Second), UpdatedAt: t0.Add(ConsoleRecoveryKept + 90*time.Second)}
	if _, _, err := s.StartConsoleRecovery(ctx, late); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"r1": true, "r3": false, "r4": true} { // r1 written at 2 min, r3 at 0
		if _, err := s.GetConsoleRecovery(ctx, id); (err == nil) != want {
			t.Errorf("%s a week later: found %v, want %v", id, err == nil, want)
		}
	}
}
