package delivery_test

import (
	"context"
	"database/sql"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Publishing decrypts no webhook: the secrets of every webhook that does
// not subscribe are corrupted in the database, and the publish still
// succeeds and reaches exactly the subscribers (account webhooks whatever
// the group, group webhooks of the event's group only, never an inactive
// or auto-disabled one, by "*", "category.*" and exact patterns), signed
// with their secrets. The list answers with the readable webhooks, and
// GET of a corrupted one answers 500. Then every secret is corrupted, and
// a publish still finds the same subscribers.
func TestPublishWithUnreadableWebhooks(t *testing.T) {
	if hookdtest.Postgres() {
		t.Skip("corrupts the SQLite file directly; on PostgreSQL the store suite's TestPublishEventMatchesWithoutDecrypting covers it")
	}
	e := newEnv(t)
	rcv := newReceiver(t, always(http.StatusNoContent))
	var ga, gb struct {
		ID string `json:"id"`
	}
	e.call("POST", "/v1/groups", map[string]any{"name": "a"}, http.StatusCreated, &ga)
	e.call("POST", "/v1/groups", map[string]any{"name": "b"}, http.StatusCreated, &gb)
	hook := func(scope string, active bool, events ...string) webhook {
		return e.webhook(scope, map[string]any{"url": rcv.URL, "events": events, "active": active})
	}
	subscribers := map[string]webhook{}
	for _, wh := range []webhook{
		hook("account", true, "*"),
		hook("account", true, "transfer.*"),
		hook("account", true, "workspace.created", "transfer.created"),
		hook("group/"+ga.ID, true, "*"),
		hook("group/"+ga.ID, true, "transfer.created"),
	} {
		subscribers[wh.ID] = wh
	}
	others := []webhook{
		hook("account", true, "workspace.*"),
		hook("account", false, "*"),
		hook("account", true, "transfer.*"), // auto-disabled below
		hook("group/"+ga.ID, true, "workspace.created"),
		hook("group/"+ga.ID, false, "transfer.*"),
		hook("group/"+gb.ID, true, "*"),
	}
	if _, err := e.s.Store.UpdateWebhook(t.Context(), others[2].ID, func(w *store.Webhook) error {
		w.Status = store.StatusAutoDisabled
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	corrupt(t, e, others)

	if n := e.publish(map[string]any{"type": "transfer.created", "group_id": ga.ID, "data": e.example("transfer.created")}); n != len(subscribers) {
		t.Fatalf("published to %d webhooks, want %d", n, len(subscribers))
	}
	eventually(t, "the deliveries", func() bool { return rcv.count() == len(subscribers) })
	// Each subscriber got one delivery, signed with its own secret.
	unsigned := maps.Clone(subscribers)
	for i := range rcv.count() {
		r := rcv.get(i)
		signer := ""
		for id, wh := range unsigned {
			if hookdtest.StripeSignedBy(wh.Secret, r.header, r.body) == nil {
				signer = id
			}
		}
		if signer == "" {
			t.Errorf("delivery %d is signed by no subscriber left", i)
		}
		delete(unsigned, signer)
	}

	// The list leaves the unreadable webhooks out, page after page.
	var listed []string
	for cursor := ""; ; {
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			NextCursor *string `json:"next_cursor"`
		}
		e.call("GET", "/v1/webhooks?limit=2&cursor="+url.QueryEscape(cursor), nil, http.StatusOK, &page)
		for _, w := range page.Data {
			listed = append(listed, w.ID)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if len(listed) != 5 || slices.ContainsFunc(others, func(w webhook) bool { return slices.Contains(listed, w.ID) }) {
		t.Errorf("listed %v, want the 5 readable webhooks", listed)
	}
	e.call("GET", "/v1/webhooks/"+others[0].ID, nil, http.StatusInternalServerError, nil)

	// With every secret unreadable, a publish still finds its subscribers:
	// it never reads a secret (the attempts, which sign, will).
	corrupt(t, e, slices.Collect(maps.Values(subscribers)))
	if n := e.publish(map[string]any{"type": "transfer.created", "group_id": ga.ID, "data": e.example("transfer.created")}); n != len(subscribers) {
		t.Fatalf("with every secret unreadable, published to %d webhooks, want %d", n, len(subscribers))
	}
}

// corrupt overwrites the sealed secrets of hooks in hookd's database, as a
// damaged disk or a wrong key would leave them.
func corrupt(t *testing.T, e *env, hooks []webhook) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.s.Dir, "hookd.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, wh := range hooks {
		if _, err := db.ExecContext(context.Background(), `UPDATE webhooks SET secret = randomblob(48) WHERE id = ?`, wh.ID); err != nil {
			t.Fatal(err)
		}
	}
}
