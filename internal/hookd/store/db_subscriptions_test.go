package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// corruptSecrets overwrites the sealed secret of the webhooks matched by
// where, so that any attempt to decrypt them fails.
func corruptSecrets(t testing.TB, s *DB, where string, args ...any) {
	t.Helper()
	// 48 bytes that are no sealed value, in both SQL dialects.
	if _, err := s.writer.ExecContext(t.Context(), `UPDATE webhooks SET secret = ? WHERE `+where,
		append([]any{bytes.Repeat([]byte{0xA5}, 48)}, args...)...); err != nil {
		t.Fatal(err)
	}
}

// testDelivery is what PublishEvent's callers build: a pending delivery.
func testDelivery(ev *Event) func(string) Delivery {
	return func(webhookID string) Delivery {
		next := ev.CreatedAt
		return Delivery{
			ID: "dlv_" + ev.ID + "_" + webhookID, WebhookID: webhookID, EventID: ev.ID, EventType: ev.Type,
			Status: DeliveryPending, MaxAttempts: 5, CreatedAt: ev.CreatedAt, NextAttemptAt: &next,
			DeadlineAt: ev.CreatedAt.Add(time.Hour), Trigger: TriggerEvent,
		}
	}
}

// publishTo publishes an event and returns the webhooks it was delivered
// to, sorted, as stored.
func publishTo(t testing.TB, s *DB, id, eventType, groupID string) []string {
	t.Helper()
	ev := &Event{ID: id, Type: eventType, GroupID: groupID, Body: []byte(`{}`), Fingerprint: "fp", CreatedAt: t0}
	n, existing, err := s.PublishEvent(context.Background(), ev, testDelivery(ev))
	if err != nil || existing != nil {
		t.Fatalf("PublishEvent %s: %d, %v, %v", id, n, existing, err)
	}
	got := deliveredTo(t, s, id)
	if n != len(got) {
		t.Errorf("PublishEvent %s returned %d, stored %d deliveries", id, n, len(got))
	}
	return got
}

func deliveredTo(t testing.TB, s *DB, eventID string) []string {
	t.Helper()
	rows, err := s.reader.QueryContext(context.Background(), `SELECT webhook_id FROM deliveries WHERE event_id = ? ORDER BY webhook_id`, eventID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

// subscribed is the rule PublishEvent must follow, written with
// rules.MatchEvent over the webhooks as created.
func subscribed(hooks []*Webhook, eventType, groupID string) []string {
	out := []string{}
	for _, w := range hooks {
		deliverable := w.Active && w.Status != StatusAutoDisabled
		inScope := w.Scope == ScopeAccount || (groupID != "" && w.GroupID == groupID)
		if deliverable && inScope && slices.ContainsFunc(w.Events, func(p string) bool { return rules.MatchEvent(p, eventType) }) {
			out = append(out, w.ID)
		}
	}
	slices.Sort(out)
	return out
}

func subscriptionFixture(t *testing.T, s *DB) []*Webhook {
	t.Helper()
	mustCreateGroup(t, s, "grp_a", "a", t0)
	mustCreateGroup(t, s, "grp_b", "b", t0)
	var hooks []*Webhook
	add := func(id, groupID string, active bool, status string, events ...string) {
		w := minimalWebhook(id, t0.Add(time.Duration(len(hooks))))
		if groupID != "" {
			w.Scope, w.GroupID = ScopeGroup, groupID
		}
		w.Active, w.Status, w.Events = active, status, events
		if events == nil {
			w.Events = []string{}
		}
		mustCreateWebhook(t, s, w)
		hooks = append(hooks, w)
	}
	add("wh_acc_all", "", true, StatusActive, "*")
	add("wh_acc_cat", "", true, StatusActive, "transfer.*")
	add("wh_acc_exact", "", true, StatusActive, "transfer.created")
	add("wh_acc_other", "", true, StatusActive, "transfer.deleted", "workspace.*")
	add("wh_acc_near", "", true, StatusActive, "transfers.created", "transfer")
	add("wh_acc_multi", "", true, StatusActive, "*", "transfer.*", "transfer.created")
	add("wh_acc_inactive", "", false, StatusInactive, "*")
	add("wh_acc_disabled", "", true, StatusAutoDisabled, "*")
	add("wh_acc_none", "", true, StatusActive)
	add("wh_a_all", "grp_a", true, StatusActive, "*")
	add("wh_a_exact", "grp_a", true, StatusActive, "transfer.created")
	add("wh_a_other", "grp_a", true, StatusActive, "workspace.created")
	add("wh_a_inactive", "grp_a", false, StatusInactive, "transfer.*")
	add("wh_b_all", "grp_b", true, StatusActive, "*")
	add("wh_b_cat", "grp_b", true, StatusActive, "transfer.*")
	return hooks
}

// Publishing matches exactly the right webhooks (patterns "*", "category.*"
// and exact types; account webhooks for every event, group webhooks for
// their group's events only; inactive and auto-disabled ones never), and
// decrypts nothing: every webhook's secret is corrupted first.
func TestPublishEventMatchesWithoutDecrypting(t *testing.T) {
	s := newStore(t)
	hooks := subscriptionFixture(t, s)
	corruptSecrets(t, s, "TRUE")
	if _, err := s.GetWebhook(t.Context(), "wh_acc_all"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("the secrets are not corrupted: GetWebhook = %v", err)
	}
	for i, c := range []struct{ eventType, groupID string }{
		{"transfer.created", ""}, {"transfer.created", "grp_a"}, {"transfer.created", "grp_b"},
		{"transfer.deleted", "grp_a"}, {"workspace.created", "grp_a"}, {"workspace.created", "grp_b"},
		{"saml.login_failed", ""}, {"transfer.created", "grp_unknown"}, {"transfer", ""},
	} {
		got := publishTo(t, s, fmt.Sprintf("evt_%d", i), c.eventType, c.groupID)
		diff(t, c.eventType+" in "+c.groupID, got, subscribed(hooks, c.eventType, c.groupID))
	}

	// The delivery stored is the one the builder made.
	ev := &Event{ID: "evt_built", Type: "transfer.created", Body: []byte(`{}`), CreatedAt: t0}
	if _, _, err := s.PublishEvent(t.Context(), ev, testDelivery(ev)); err != nil {
		t.Fatal(err)
	}
	want := testDelivery(ev)("wh_acc_all")
	if got, err := s.GetDelivery(t.Context(), want.ID); err != nil {
		t.Fatal(err)
	} else {
		diff(t, "stored delivery", *got, want)
	}

	// A replay writes nothing and returns the stored event.
	again := &Event{ID: "evt_built", Type: "workspace.created", Body: []byte(`{"x":1}`), CreatedAt: t0.Add(time.Hour)}
	n, existing, err := s.PublishEvent(t.Context(), again, func(string) Delivery { t.Fatal("a replay built a delivery"); return Delivery{} })
	if !errors.Is(err, ErrEventExists) || n != 0 || existing == nil || existing.Type != "transfer.created" {
		t.Errorf("PublishEvent of an existing id = %d, %+v, %v; want ErrEventExists and the stored event", n, existing, err)
	}
}

// indexRows is the content of webhook_subscriptions, as "pattern group id".
func indexRows(t testing.TB, s *DB) []string {
	t.Helper()
	rows, err := s.reader.QueryContext(t.Context(), `SELECT pattern, group_id, webhook_id FROM webhook_subscriptions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var p, g, id string
		if err := rows.Scan(&p, &g, &id); err != nil {
			t.Fatal(err)
		}
		out = append(out, p+" "+g+" "+id)
	}
	slices.Sort(out)
	return out
}

func wantIndex(hooks []*Webhook) []string {
	out := []string{}
	for _, w := range hooks {
		for _, p := range w.Events {
			out = append(out, p+" "+w.GroupID+" "+w.ID)
		}
	}
	slices.Sort(out)
	return out
}

// The index follows every write of a webhook: its patterns, its switch,
// its status and its deletion.
func TestSubscriptionsFollowWebhookChanges(t *testing.T) {
	s := newStore(t)
	mustCreateGroup(t, s, "grp_a", "a", t0)
	w := fullWebhook("wh_1", "grp_a", t0)
	w.Events = []string{"workspace.*"}
	mustCreateWebhook(t, s, w)
	diff(t, "index after create", indexRows(t, s), []string{"workspace.* grp_a wh_1"})
	step := 0
	expect := func(what string, want ...string) {
		t.Helper()
		step++
		if want == nil {
			want = []string{}
		}
		diff(t, what, publishTo(t, s, fmt.Sprintf("evt_%d", step), "transfer.created", "grp_a"), want)
	}
	update := func(fn func(*Webhook)) {
		t.Helper()
		if _, err := s.UpdateWebhook(t.Context(), "wh_1", func(w *Webhook) error { fn(w); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	expect("not subscribed")
	update(func(w *Webhook) { w.Events = []string{"transfer.*", "workspace.created"} })
	diff(t, "index after update", indexRows(t, s), []string{"transfer.* grp_a wh_1", "workspace.created grp_a wh_1"})
	expect("subscribed", "wh_1")
	update(func(w *Webhook) { w.Active, w.Status = false, StatusInactive })
	expect("switched off")
	update(func(w *Webhook) { w.Active, w.Status = true, StatusAutoDisabled })
	expect("auto-disabled")
	update(func(w *Webhook) { w.Status = StatusActive })
	expect("re-enabled", "wh_1")
	if _, err := s.UpdateWebhook(t.Context(), "wh_1", func(w *Webhook) error {
		w.Events = []string{"saml.*"}
		return errors.New("refused")
	}); err == nil {
		t.Fatal("the update was not refused")
	}
	expect("after a refused update", "wh_1")
	if err := s.DeleteWebhook(t.Context(), "wh_1"); err != nil {
		t.Fatal(err)
	}
	expect("deleted")
	diff(t, "index after delete", indexRows(t, s), []string{})
}

// Migration 4 fills the index from the events column alone: here it runs
// on a database whose every sealed value is damaged.
func TestSubscriptionsMigrationBackfills(t *testing.T) {
	sqliteOnly(t, "migration 4 backfills a SQLite database of an older hookd")
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := openAt(t, path, testKey)
	hooks := subscriptionFixture(t, s)
	// As a database of the version before: no index, step 4 not recorded.
	for _, q := range []string{`DROP TABLE webhook_subscriptions`, `DELETE FROM schema_migrations WHERE version = 4`,
		`UPDATE webhooks SET secret = zeroblob(48), previous_secret = NULL, auth_token = NULL`} {
		if _, err := s.writer.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, testKey)
	diff(t, "backfilled index", indexRows(t, s), wantIndex(hooks))
	diff(t, "deliveries after backfill", publishTo(t, s, "evt_1", "transfer.created", "grp_a"),
		subscribed(hooks, "transfer.created", "grp_a"))
}

// A list leaves out a webhook whose sealed secret does not decrypt, logs it
// without any secret, and still pages through every other webhook exactly
// once, whatever the page size and wherever the bad rows fall.
func TestListWebhooksSkipsUnreadable(t *testing.T) {
	s := newStore(t)
	var logs bytes.Buffer
	s.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	var want []string
	var secretValues []string
	for i := range 10 {
		w := fullWebhook(fmt.Sprintf("wh_%02d", i), "", t0.Add(time.Duration(i/2))) // pairs share created_at
		w.Scope, w.GroupID = ScopeAccount, ""
		mustCreateWebhook(t, s, w)
		secretValues = append(secretValues, w.Secret, w.PreviousSecret, w.AuthToken)
		if i != 3 && i != 4 && i != 9 {
			want = append(want, w.ID)
		}
	}
	corruptSecrets(t, s, "id IN ('wh_03', 'wh_04', 'wh_09')")

	for limit := 1; limit <= 11; limit++ {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatalf("limit %d: the pages do not end", limit)
			}
			page, next, err := s.ListWebhooks(t.Context(), WebhookFilter{}, Page{Cursor: cursor, Limit: limit})
			if err != nil {
				t.Fatalf("limit %d: %v", limit, err)
			}
			for _, w := range page {
				got = append(got, w.ID)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		diff(t, fmt.Sprintf("limit %d", limit), got, want)
	}
	if !strings.Contains(logs.String(), "webhook_id=wh_03") || !strings.Contains(logs.String(), "webhook_id=wh_09") {
		t.Errorf("the skipped webhooks are not logged:\n%s", logs.String())
	}
	for _, v := range secretValues {
		if v != "" && strings.Contains(logs.String(), v) {
			t.Fatal("a secret is in the log")
		}
	}
	// A read of the one webhook still says what is wrong.
	if _, err := s.GetWebhook(t.Context(), "wh_03"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Errorf("GetWebhook of an unreadable webhook = %v, want ErrDecrypt", err)
	}
}

// Webhooks created while events are published. Events are stored one
// write transaction at a time, so their rowids give their order. Around
// each creation the test reads the highest rowid: an event stored before
// the creation began has no delivery for the webhook, and one stored after
// it returned (in particular every event published after that) has one.
// Looking the subscribers up before the event's own transaction breaks the
// second rule.
func TestPublishEventConcurrentCreates(t *testing.T) {
	sqliteOnly(t, "orders events by SQLite's rowid; on PostgreSQL the lookup runs in the event's READ COMMITTED transaction after its insert, as here")
	s := newStore(t)
	const hooks = 40
	maxRowid := func() int64 {
		var n sql.NullInt64
		if err := s.reader.QueryRowContext(context.Background(), `SELECT MAX(rowid) FROM events`).Scan(&n); err != nil {
			t.Error(err)
		}
		return n.Int64
	}
	type window struct{ before, after int64 }
	windows := map[string]window{}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := range hooks {
			w := minimalWebhook(fmt.Sprintf("wh_%03d", i), t0.Add(time.Duration(i)))
			w.Active, w.Status, w.Events = true, StatusActive, []string{[]string{"*", "transfer.*", "transfer.created"}[i%3]}
			before := maxRowid()
			if err := s.CreateWebhook(context.Background(), w); err != nil {
				t.Error(err)
				return
			}
			windows[w.ID] = window{before, maxRowid()}
		}
	}()
	for p := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				finished := false
				select {
				case <-done:
					finished = true // one more, published after every creation returned
				default:
				}
				ev := &Event{ID: fmt.Sprintf("evt_%d_%04d", p, i), Type: "transfer.created", Body: []byte(`{}`), CreatedAt: t0}
				if _, _, err := s.PublishEvent(context.Background(), ev, testDelivery(ev)); err != nil {
					t.Error(err)
					return
				}
				if finished {
					return
				}
			}
		}()
	}
	wg.Wait()
	rows, err := s.reader.QueryContext(t.Context(), `SELECT e.rowid, e.id, d.webhook_id FROM events e LEFT JOIN deliveries d ON d.event_id = e.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	rowids := map[string]int64{}
	got := map[[2]string]bool{}
	for rows.Next() {
		var rowid int64
		var ev string
		var wh sql.NullString
		if err := rows.Scan(&rowid, &ev, &wh); err != nil {
			t.Fatal(err)
		}
		rowids[ev] = rowid
		got[[2]string{ev, wh.String}] = true
	}
	if len(windows) != hooks {
		t.Fatalf("%d webhooks created, want %d", len(windows), hooks)
	}
	raced := 0
	for ev, rowid := range rowids {
		for wh, w := range windows {
			switch has := got[[2]string{ev, wh}]; {
			case rowid <= w.before && has:
				t.Errorf("event %s, stored before webhook %s was created, has a delivery for it", ev, wh)
			case rowid > w.after && !has:
				t.Errorf("event %s, stored after webhook %s was created, has no delivery for it", ev, wh)
			case rowid > w.before && rowid <= w.after:
				raced++
			}
		}
	}
	t.Logf("%d events published while %d webhooks were created; %d pairs overlapped", len(rowids), hooks, raced)
}

// The lookup uses the index: SQLite's plan searches webhook_subscriptions
// by pattern rather than scanning it or the webhooks.
func TestSubscribersQueryUsesIndex(t *testing.T) {
	sqliteOnly(t, "reads SQLite's query plan")
	s := newStore(t)
	patterns := rules.PatternsCovering("transfer.created")
	args := []any{}
	for _, p := range patterns {
		args = append(args, p)
	}
	plan := queryPlan(t, s.reader, subscribersQuery(len(patterns)), append(args, "grp_a", StatusAutoDisabled)...)
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "SEARCH s USING") || strings.Contains(text, "SCAN s") || strings.Contains(text, "SCAN w") {
		t.Errorf("the subscriber lookup does not search the index:\n%s", text)
	}
}
