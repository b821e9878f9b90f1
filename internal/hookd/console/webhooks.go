package console

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// The console reads the API's lists in pages of listPageSize (the API's
// largest); a page that shows a whole list, or a count, reads at most
// maxListPages of them. Variables, so that tests make them small.
var (
	listPageSize = 1000
	maxListPages = 20
)

// pages reads an API list with get one page at a time, as the loop asks
// for them, to its end: nothing bounds it but the loop. An error ends it.
func pages[T any](get func(path string, out any) error, path string, q url.Values) iter.Seq2[list[T], error] {
	return func(yield func(list[T], error) bool) {
		q.Set("limit", strconv.Itoa(listPageSize))
		for {
			var page list[T]
			if err := get(path+"?"+q.Encode(), &page); err != nil {
				yield(page, err)
				return
			}
			if !yield(page, nil) || page.NextCursor == nil {
				return
			}
			q.Set("cursor", *page.NextCursor)
		}
	}
}

// all reads an API list to its end or to maxListPages pages, and says
// whether it stopped there with more to read.
func all[T any](ctx context.Context, c *Console, sess *session, path string, q url.Values) ([]T, bool, error) {
	var out []T
	n := 0
	get := func(path string, out any) error { return c.get(ctx, sess, path, out) }
	for page, err := range pages[T](get, path, q) {
		if err != nil {
			return nil, false, err
		}
		out = append(out, page.Data...)
		if n++; n == maxListPages && page.NextCursor != nil {
			return out, true, nil
		}
	}
	return out, false, nil
}

type webhooksView struct {
	Webhooks  []webhook
	Groups    []group
	GroupID   string
	Status    string
	Statuses  []string
	Truncated bool
}

func (c *Console) webhooksPage(w http.ResponseWriter, r *http.Request, sess *session) {
	v := webhooksView{GroupID: r.URL.Query().Get("group_id"), Status: r.URL.Query().Get("status"),
		Statuses: store.WebhookStatuses}
	groups, _, err := all[group](r.Context(), c, sess, "/v1/groups", url.Values{})
	if err != nil {
		c.fail(w, r, sess, err)
		return
	}
	v.Groups = groups
	q := url.Values{}
	if v.GroupID != "" {
		q.Set("group_id", v.GroupID)
	}
	if v.Status != "" {
		q.Set("status", v.Status)
	}
	hooks, truncated, err := all[webhook](r.Context(), c, sess, "/v1/webhooks", q)
	if err != nil {
		c.fail(w, r, sess, err)
		return
	}
	v.Webhooks, v.Truncated = hooks, truncated
	c.render(w, http.StatusOK, "webhooks", sess, pageData{Title: "Webhooks", Data: v})
}

// enableWebhook is the API's PATCH {"status": "active"}: the way out of
// auto_disabled.
func (c *Console) enableWebhook(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("webhook_id")
	err := c.call(r.Context(), sess, http.MethodPatch, "/v1/webhooks/"+url.PathEscape(id), map[string]string{"status": store.StatusActive}, "application/merge-patch+json", "", nil)
	c.done(w, r, sess, "/console/webhooks", err, "Webhook "+id+" re-enabled.")
}
