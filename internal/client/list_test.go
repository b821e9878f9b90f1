package client

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
)

// The list filters reach the server as the contract's query parameters,
// and the iterators ask for a page only when the loop needs one.
func TestListFilters(t *testing.T) {
	var requests atomic.Int32
	c, _ := newTestClient(t, func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodGet {
				requests.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	ctx := t.Context()
	for _, name := range []string{"team-a", "ops", "team-b", "Team-c", "team-d"} {
		if _, err := c.CreateGroup(ctx, CreateGroupRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		events := []string{"transfer.*"}
		if i%2 == 1 {
			events = []string{"workspace.created"}
		}
		if _, err := c.CreateAccountWebhook(ctx, CreateWebhookRequest{
			Name: ptr(fmt.Sprint(i)), URL: fmt.Sprintf("https://example.com/%d", i), Events: events, Active: ptr(i < 4),
		}); err != nil {
			t.Fatal(err)
		}
	}

	names := func(o GroupListOptions, stopAfter int) (out []string) {
		for g, err := range c.AllGroups(ctx, o) {
			if err != nil {
				t.Fatal(err)
			}
			if out = append(out, g.Name); len(out) == stopAfter {
				break
			}
		}
		return out
	}
	requests.Store(0)
	if got := names(GroupListOptions{NamePrefix: "team-", ListOptions: ListOptions{Limit: 1}}, 0); !slices.Equal(got, []string{"team-a", "team-b", "team-d"}) {
		t.Errorf("AllGroups(name_prefix team-) = %v", got)
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("AllGroups with pages of 1 made %d requests for 3 groups, want 3 (the last page has no next_cursor)", n)
	}
	requests.Store(0)
	if got := names(GroupListOptions{NamePrefix: "team-", ListOptions: ListOptions{Limit: 1}}, 2); !slices.Equal(got, []string{"team-a", "team-b"}) {
		t.Errorf("AllGroups stopped after 2 = %v", got)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("a loop that stops after 2 groups made %d requests, want 2", n)
	}

	hooks := func(o WebhookListOptions) (out []string) {
		for wh, err := range c.AllWebhooks(ctx, o) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, *wh.Name)
		}
		return out
	}
	for _, tc := range []struct {
		o    WebhookListOptions
		want []string
	}{
		{WebhookListOptions{Active: ptr(true)}, []string{"0", "1", "2", "3"}},
		{WebhookListOptions{Active: ptr(false)}, []string{"4", "5"}},
		{WebhookListOptions{Event: "transfer.created"}, []string{"0", "2", "4"}},
		{WebhookListOptions{Event: "workspace.created", Active: ptr(true), ListOptions: ListOptions{Limit: 1}}, []string{"1", "3"}},
		{WebhookListOptions{Event: "workspace.created", Scope: ScopeGroup}, nil},
	} {
		if got := hooks(tc.o); !slices.Equal(got, tc.want) {
			t.Errorf("AllWebhooks(%+v) = %v, want %v", tc.o, got, tc.want)
		}
	}

	_, err := c.ListWebhooks(ctx, WebhookListOptions{Event: "transfer.craeted"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnprocessableEntity || len(apiErr.Errors) != 1 ||
		apiErr.Errors[0].Pointer != "#/event" || apiErr.Errors[0].Detail != `unknown event type "transfer.craeted" (did you mean "transfer.created"?)` {
		t.Errorf("ListWebhooks(event transfer.craeted) = %v, want 422 at #/event", err)
	}
}
