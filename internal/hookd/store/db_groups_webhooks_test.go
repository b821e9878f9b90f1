package store

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

func TestGroupRoundTrip(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	with := &Group{ID: "grp_1", Name: "payments", Description: ptr("payment team"), CreatedAt: t0, UpdatedAt: t0.Add(1)}
	without := &Group{ID: "grp_2", Name: "ops", CreatedAt: t0.Add(5), UpdatedAt: t0.Add(5)}
	for _, g := range []*Group{with, without} {
		if err := s.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetGroup(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "group "+g.ID, got, g)
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt location = %v, want UTC", got.CreatedAt.Location())
		}
	}

	// Update: rename, clear the description; ID and CreatedAt are not the
	// caller's to change.
	later := t0.Add(time.Minute + 1)
	got, err := s.UpdateGroup(ctx, "grp_1", func(g *Group) error {
		g.Name, g.Description, g.UpdatedAt = "billing", nil, later
		g.ID, g.CreatedAt = "grp_hijack", t0.Add(-time.Hour)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &Group{ID: "grp_1", Name: "billing", CreatedAt: t0, UpdatedAt: later}
	diff(t, "UpdateGroup result", got, want)
	reread, err := s.GetGroup(ctx, "grp_1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "group after update", reread, want)
	if _, err := s.GetGroup(ctx, "grp_hijack"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetGroup(grp_hijack) = %v, want ErrNotFound", err)
	}

	// The old name is free again.
	mustCreateGroup(t, s, "grp_3", "payments", t0)

	if err := s.DeleteGroup(ctx, "grp_2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetGroup(ctx, "grp_2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetGroup after delete = %v, want ErrNotFound", err)
	}
}

func TestGroupErrors(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	mustCreateGroup(t, s, "grp_a", "alpha", t0)
	mustCreateGroup(t, s, "grp_b", "beta", t0)

	if err := s.CreateGroup(ctx, &Group{ID: "grp_c", Name: "alpha", CreatedAt: t0, UpdatedAt: t0}); !errors.Is(err, ErrNameTaken) {
		t.Errorf("CreateGroup with a taken name = %v, want ErrNameTaken", err)
	}
	if _, err := s.GetGroup(ctx, "grp_c"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused group was stored: %v", err)
	}
	if _, err := s.UpdateGroup(ctx, "grp_b", func(g *Group) error { g.Name = "alpha"; return nil }); !errors.Is(err, ErrNameTaken) {
		t.Errorf("rename onto a taken name = %v, want ErrNameTaken", err)
	}
	// Renaming a group to its own name is not a conflict.
	if _, err := s.UpdateGroup(ctx, "grp_b", func(g *Group) error { return nil }); err != nil {
		t.Errorf("no-op update: %v", err)
	}

	// fn's error aborts the update and comes back unchanged.
	errBad := errors.New("validation failed")
	_, err := s.UpdateGroup(ctx, "grp_b", func(g *Group) error {
		g.Name, g.Description = "changed", ptr("changed")
		return errBad
	})
	if err != errBad {
		t.Errorf("UpdateGroup with failing fn = %v, want the fn's error as is", err)
	}
	if g, _ := s.GetGroup(ctx, "grp_b"); g.Name != "beta" || g.Description != nil {
		t.Errorf("a failed update changed the group: %+v", g)
	}

	for name, err := range map[string]error{
		"get": func() error { _, err := s.GetGroup(ctx, "grp_missing"); return err }(),
		"update": func() error {
			_, err := s.UpdateGroup(ctx, "grp_missing", func(*Group) error { return nil })
			return err
		}(),
		"delete": s.DeleteGroup(ctx, "grp_missing"),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a missing group = %v, want ErrNotFound", name, err)
		}
	}

	// A group with webhooks cannot be deleted; once empty it can.
	mustCreateWebhook(t, s, fullWebhook("wh_1", "grp_a", t0))
	if err := s.DeleteGroup(ctx, "grp_a"); !errors.Is(err, ErrGroupNotEmpty) {
		t.Errorf("DeleteGroup of a used group = %v, want ErrGroupNotEmpty", err)
	}
	if err := s.DeleteWebhook(ctx, "wh_1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGroup(ctx, "grp_a"); err != nil {
		t.Errorf("DeleteGroup of an emptied group: %v", err)
	}
}

func TestWebhookRoundTrip(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	mustCreateGroup(t, s, "grp_1", "g1", t0)

	full := fullWebhook("wh_full", "grp_1", t0)
	mustCreateWebhook(t, s, full)
	diff(t, "full webhook", mustGetWebhook(t, s, full.ID), full)

	minimal := minimalWebhook("wh_min", t0.Add(1))
	mustCreateWebhook(t, s, minimal)
	got := mustGetWebhook(t, s, minimal.ID)
	if got.Headers == nil {
		t.Error("Headers is nil after a read")
	}
	want := *minimal
	want.Headers = map[string]string{}
	diff(t, "minimal webhook", got, &want)

	// Events nil on the way in still read back as an empty list.
	nilEvents := minimalWebhook("wh_nil", t0.Add(2))
	nilEvents.Events = nil
	mustCreateWebhook(t, s, nilEvents)
	if got := mustGetWebhook(t, s, "wh_nil"); got.Events == nil || len(got.Events) != 0 {
		t.Errorf("Events = %#v, want empty", got.Events)
	}

	// Update the full one to unset every nullable field, and try to move it.
	later := t0.Add(time.Hour + 11)
	newSecret := secrets.NewSecret()
	updated, err := s.UpdateWebhook(ctx, full.ID, func(w *Webhook) error {
		w.Name, w.Description, w.DisabledReason = nil, nil, nil
		w.Headers, w.AuthToken, w.PreviousSecret = nil, "", ""
		w.SecretRotatedAt, w.PreviousSecretExpiresAt = nil, nil
		w.Secret, w.SecretVersion = newSecret, 3
		w.SignatureScheme, w.SigningKey, w.PreviousSigningKey = rules.SchemeV1, "", ""
		w.URL, w.Events, w.Active, w.Status = "https://new.example.com", []string{"x.y"}, false, StatusAutoDisabled
		w.DeadLetterStreak = 3
		w.UpdatedAt = later
		w.ID, w.Scope, w.GroupID, w.CreatedAt = "wh_other", ScopeAccount, "", later
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantUp := &Webhook{
		ID: full.ID, Scope: ScopeGroup, GroupID: "grp_1", URL: "https://new.example.com",
		Events: []string{"x.y"}, Status: StatusAutoDisabled, Headers: map[string]string{},
		Secret: newSecret, SecretVersion: 3, DeadLetterStreak: 3, CreatedAt: t0, UpdatedAt: later,
		SignatureScheme: rules.SchemeV1,
	}
	diff(t, "UpdateWebhook result", updated, wantUp)
	diff(t, "webhook after update", mustGetWebhook(t, s, full.ID), wantUp)

	// And set them all again on the minimal one.
	setAll := fullWebhook(minimal.ID, "", minimal.CreatedAt)
	setAll.Scope = ScopeAccount
	if _, err := s.UpdateWebhook(ctx, minimal.ID, func(w *Webhook) error { *w = *setAll; return nil }); err != nil {
		t.Fatal(err)
	}
	diff(t, "webhook with every field set by update", mustGetWebhook(t, s, minimal.ID), setAll)

	if err := s.DeleteWebhook(ctx, full.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetWebhook(ctx, full.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetWebhook after delete = %v, want ErrNotFound", err)
	}
}

func TestWebhookErrors(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()

	if err := s.CreateWebhook(ctx, fullWebhook("wh_orphan", "grp_missing", t0)); !errors.Is(err, ErrNotFound) {
		t.Errorf("CreateWebhook in a missing group = %v, want ErrNotFound", err)
	}
	if _, err := s.GetWebhook(ctx, "wh_orphan"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused webhook was stored: %v", err)
	}
	for name, err := range map[string]error{
		"get": func() error { _, err := s.GetWebhook(ctx, "wh_missing"); return err }(),
		"update": func() error {
			_, err := s.UpdateWebhook(ctx, "wh_missing", func(*Webhook) error { return nil })
			return err
		}(),
		"delete": s.DeleteWebhook(ctx, "wh_missing"),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a missing webhook = %v, want ErrNotFound", name, err)
		}
	}

	w := minimalWebhook("wh_1", t0)
	mustCreateWebhook(t, s, w)
	errBad := errors.New("url is not https")
	_, err := s.UpdateWebhook(ctx, w.ID, func(w *Webhook) error {
		w.URL, w.Secret, w.Headers["X"] = "http://evil", "whsec_changed", "y"
		return errBad
	})
	if err != errBad {
		t.Errorf("UpdateWebhook with failing fn = %v, want the fn's error as is", err)
	}
	want := *w
	want.Headers = map[string]string{}
	diff(t, "webhook after a failed update", mustGetWebhook(t, s, w.ID), &want)
}

// Read-modify-write updates run under the write lock: concurrent increments
// are all kept.
func TestUpdateWebhookNoLostUpdates(t *testing.T) {
	s := newStore(t)
	mustCreateWebhook(t, s, minimalWebhook("wh_1", t0))
	const n = 30
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := s.UpdateWebhook(t.Context(), "wh_1", func(w *Webhook) error {
				w.DeadLetterStreak++
				return nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := mustGetWebhook(t, s, "wh_1").DeadLetterStreak; got != n {
		t.Errorf("DeadLetterStreak = %d, want %d", got, n)
	}
}
