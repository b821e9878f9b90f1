package store

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

type key struct {
	t  time.Time
	id string
}

func compareKeys(a, b key) int {
	if c := a.t.Compare(b.t); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// spreadTime gives creation times where runs of items share a time, so
// that ordering by id within equal created_at is exercised.
func spreadTime(i int) time.Time { return t0.Add(time.Duration(i/7) * time.Microsecond) }

func TestListGroupsPagination(t *testing.T) {
	s := newStore(t)
	const n = 250
	r := rand.New(rand.NewPCG(1, 2))
	var want []key
	for _, i := range r.Perm(n) { // insertion order unrelated to list order
		id := fmt.Sprintf("grp_%03d", (i*37)%n) // ids not in time order either
		mustCreateGroup(t, s, id, "name "+id, spreadTime(i))
		want = append(want, key{spreadTime(i), id})
	}
	slices.SortFunc(want, compareKeys)

	var got []key
	var sizes []int
	cursor := ""
	for {
		page, next, err := s.ListGroups(t.Context(), GroupFilter{}, Page{Cursor: cursor, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page))
		for _, g := range page {
			got = append(got, key{g.CreatedAt, g.ID})
		}
		if next == "" {
			break
		}
		cursor = next
		if len(sizes) > 10 {
			t.Fatal("pagination does not end")
		}
	}
	diff(t, "page sizes", sizes, []int{100, 100, 50})
	diff(t, "items in (created_at, id) order", got, want)
}

func TestListWebhooksPaginationWithInserts(t *testing.T) {
	s := newStore(t)
	const n = 250
	original := map[string]bool{}
	for i := range n {
		id := fmt.Sprintf("wh_%03d", (i*101)%n)
		mustCreateWebhook(t, s, minimalWebhook(id, spreadTime(i)))
		original[id] = true
	}

	seen := map[string]int{}
	var order []key
	cursor, pages := "", 0
	for {
		page, next, err := s.ListWebhooks(t.Context(), WebhookFilter{}, Page{Cursor: cursor, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, w := range page {
			seen[w.ID]++
			order = append(order, key{w.CreatedAt, w.ID})
		}
		if next == "" {
			break
		}
		cursor = next
		// Between pages, add webhooks before, at, and after the cursor's
		// position, with ids on both sides of the last id at the same time.
		last := page[len(page)-1]
		for j, at := range []time.Time{t0.Add(-time.Hour), last.CreatedAt, last.CreatedAt, spreadTime(n), spreadTime(2 * n)} {
			id := fmt.Sprintf("wh_new_p%d_%d", pages, j) // after the last id at that time
			if j == 1 {
				id = fmt.Sprintf("wh_ %d", pages) // ' ' sorts before the digits: before the last id
			}
			mustCreateWebhook(t, s, minimalWebhook(id, at))
		}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	for id := range original {
		if seen[id] != 1 {
			t.Errorf("webhook %s listed %d times, want once", id, seen[id])
		}
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("webhook %s listed %d times", id, c)
		}
	}
	if !slices.IsSortedFunc(order, compareKeys) {
		t.Error("webhooks are not in (created_at, id) order")
	}
}

func TestListDefaultLimit(t *testing.T) {
	s := newStore(t)
	for i := range 105 {
		mustCreateGroup(t, s, fmt.Sprintf("grp_%03d", i), fmt.Sprint(i), t0)
	}
	page, next, err := s.ListGroups(t.Context(), GroupFilter{}, Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 100 || next == "" {
		t.Errorf("Limit 0 gave %d items, next %q; want 100 and a cursor", len(page), next)
	}
	page, next, err = s.ListGroups(t.Context(), GroupFilter{}, Page{Cursor: next, Limit: -1})
	if err != nil || len(page) != 5 || next != "" {
		t.Errorf("second page: %d items, next %q, %v; want 5, \"\", nil", len(page), next, err)
	}
}

func TestListExactMultipleHasNoEmptyPage(t *testing.T) {
	s := newStore(t)
	for i := range 4 {
		mustCreateGroup(t, s, fmt.Sprintf("grp_%d", i), fmt.Sprint(i), t0)
	}
	page, next, err := s.ListGroups(t.Context(), GroupFilter{}, Page{Limit: 4})
	if err != nil || len(page) != 4 || next != "" {
		t.Errorf("got %d items, next %q, %v; want 4 items and no cursor", len(page), next, err)
	}
}

func TestListInvalidCursor(t *testing.T) {
	s := newStore(t)
	for i := range 3 {
		mustCreateGroup(t, s, fmt.Sprintf("grp_%d", i), fmt.Sprint(i), t0)
		mustCreateWebhook(t, s, minimalWebhook(fmt.Sprintf("wh_%d", i), t0))
	}
	_, groupCursor, err := s.ListGroups(t.Context(), GroupFilter{}, Page{Limit: 1})
	if err != nil || groupCursor == "" {
		t.Fatal(err)
	}
	bad := []string{
		"!!!not base64",
		base64.RawURLEncoding.EncodeToString([]byte("not json")),
		base64.RawURLEncoding.EncodeToString([]byte(`{"k":"webhooks","t":1}`)), // no id
		groupCursor[:len(groupCursor)-3],
	}
	for _, c := range bad {
		if _, _, err := s.ListGroups(t.Context(), GroupFilter{}, Page{Cursor: c}); !errors.Is(err, ErrInvalidCursor) {
			t.Errorf("ListGroups(cursor %q) = %v, want ErrInvalidCursor", c, err)
		}
		if _, _, err := s.ListWebhooks(t.Context(), WebhookFilter{}, Page{Cursor: c}); !errors.Is(err, ErrInvalidCursor) {
			t.Errorf("ListWebhooks(cursor %q) = %v, want ErrInvalidCursor", c, err)
		}
	}
	// A group cursor is not a webhook cursor.
	if _, _, err := s.ListWebhooks(t.Context(), WebhookFilter{}, Page{Cursor: groupCursor}); !errors.Is(err, ErrInvalidCursor) {
		t.Errorf("ListWebhooks(group cursor) = %v, want ErrInvalidCursor", err)
	}
}

func TestListWebhooksFilters(t *testing.T) {
	s := newStore(t)
	mustCreateGroup(t, s, "grp_a", "a", t0)
	mustCreateGroup(t, s, "grp_b", "b", t0)
	want := map[string][]string{}
	for i := range 30 {
		var w *Webhook
		switch i % 3 {
		case 0:
			w = minimalWebhook(fmt.Sprintf("wh_acc_%02d", i), t0.Add(time.Duration(i)))
			want["account"] = append(want["account"], w.ID)
		case 1:
			w = fullWebhook(fmt.Sprintf("wh_a_%02d", i), "grp_a", t0.Add(time.Duration(i)))
			want["grp_a"] = append(want["grp_a"], w.ID)
			want["group"] = append(want["group"], w.ID)
		default:
			w = fullWebhook(fmt.Sprintf("wh_b_%02d", i), "grp_b", t0.Add(time.Duration(i)))
			want["grp_b"] = append(want["grp_b"], w.ID)
			want["group"] = append(want["group"], w.ID)
		}
		want["all"] = append(want["all"], w.ID)
		mustCreateWebhook(t, s, w)
	}
	for name, f := range map[string]WebhookFilter{
		"all":     {},
		"account": {Scope: ScopeAccount},
		"group":   {Scope: ScopeGroup},
		"grp_a":   {Scope: ScopeGroup, GroupID: "grp_a"},
		"grp_b":   {GroupID: "grp_b"},
	} {
		var got []string
		cursor := ""
		for {
			page, next, err := s.ListWebhooks(t.Context(), f, Page{Cursor: cursor, Limit: 4})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range page {
				got = append(got, w.ID)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		diff(t, "filter "+name, got, want[name])
	}
	if page, _, err := s.ListWebhooks(t.Context(), WebhookFilter{Scope: ScopeAccount, GroupID: "grp_a"}, Page{}); err != nil || len(page) != 0 {
		t.Errorf("account scope in a group: %d items, %v; want none", len(page), err)
	}
}

// The active and event filters keep what the same test in Go keeps (event
// by rules.MatchEvent), page after page, combined with the others.
func TestListWebhooksActiveAndEvent(t *testing.T) {
	s := newStore(t)
	mustCreateGroup(t, s, "grp_a", "a", t0)
	subscriptions := [][]string{
		{"*"}, {"transfer.*"}, {"transfer.created"}, {"transfer.deleted", "workspace.*"},
		{"workspace.created"}, {"transfers.created"}, {"api_key.*", "transfer.created"}, {},
	}
	var all []*Webhook
	for i := range 48 {
		w := minimalWebhook(fmt.Sprintf("wh_%02d", i), t0.Add(time.Duration(i)))
		if i%2 == 1 {
			w = fullWebhook(w.ID, "grp_a", w.CreatedAt)
		}
		w.Events = subscriptions[i%len(subscriptions)]
		w.Active = i%3 != 0
		mustCreateWebhook(t, s, w)
		all = append(all, w)
	}
	yes, no := true, false
	for name, f := range map[string]WebhookFilter{
		"active":                       {Active: &yes},
		"inactive":                     {Active: &no},
		"transfer.created":             {Event: "transfer.created"},
		"workspace.created":            {Event: "workspace.created"},
		"api_key.created":              {Event: "api_key.created"},
		"unsubscribed":                 {Event: "saml.login_failed"},
		"active transfer.created":      {Active: &yes, Event: "transfer.created"},
		"group inactive workspace.any": {GroupID: "grp_a", Active: &no, Event: "workspace.deleted"},
		"account transfer.deleted":     {Scope: ScopeAccount, Event: "transfer.deleted"},
	} {
		var want []string
		for _, w := range all {
			if (f.Scope == "" || w.Scope == f.Scope) && (f.GroupID == "" || w.GroupID == f.GroupID) &&
				(f.Active == nil || w.Active == *f.Active) &&
				(f.Event == "" || slices.ContainsFunc(w.Events, func(p string) bool { return rules.MatchEvent(p, f.Event) })) {
				want = append(want, w.ID)
			}
		}
		var got []string
		cursor := ""
		for {
			page, next, err := s.ListWebhooks(t.Context(), f, Page{Cursor: cursor, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range page {
				got = append(got, w.ID)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		diff(t, "filter "+name, got, want)
	}
}

// name_prefix compares characters exactly: case matters, and the LIKE
// wildcards % and _ are plain characters.
func TestListGroupsNamePrefix(t *testing.T) {
	s := newStore(t)
	names := []string{"team-a", "team-b", "Team-c", "teams", "tea", "100%", "100_x", "1000", "équipe", "équipe-2", "equipo"}
	for i, n := range names {
		mustCreateGroup(t, s, fmt.Sprintf("grp_%02d", i), n, t0.Add(time.Duration(i)))
	}
	for prefix, want := range map[string][]string{
		"team":    {"team-a", "team-b", "teams"},
		"team-":   {"team-a", "team-b"},
		"Team":    {"Team-c"},
		"100%":    {"100%"},
		"100_":    {"100_x"},
		"100":     {"100%", "100_x", "1000"},
		"équipe":  {"équipe", "équipe-2"},
		"é":       {"équipe", "équipe-2"},
		"x":       nil,
		"team-a":  {"team-a"},
		"team-ab": nil,
	} {
		var got []string
		cursor := ""
		for {
			page, next, err := s.ListGroups(t.Context(), GroupFilter{NamePrefix: prefix}, Page{Cursor: cursor, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range page {
				got = append(got, g.Name)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		diff(t, "name_prefix "+prefix, got, want)
	}
}
