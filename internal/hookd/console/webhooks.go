package console

import (
	"context"
	"net/http"
	"net/url"
)

// maxListPages bounds how many API pages one console page reads.
const maxListPages = 20

// all reads every page of an API list (at most maxListPages of 1000).
func all[T any](ctx context.Context, c *Console, sess *session, path string, q url.Values) ([]T, bool, error) {
	var out []T
	q.Set("limit", "1000")
	for range maxListPages {
		var page list[T]
		if err := c.get(ctx, sess, path+"?"+q.Encode(), &page); err != nil {
			return nil, false, err
		}
		out = append(out, page.Data...)
		if page.NextCursor == nil {
			return out, false, nil
		}
		q.Set("cursor", *page.NextCursor)
	}
	return out, true, nil
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
		Statuses: []string{"active", "inactive", "auto_disabled"}}
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
	hooks, truncated, err := all[webhook](r.Context(), c, sess, "/v1/webhooks", q)
	if err != nil {
		c.fail(w, r, sess, err)
		return
	}
	v.Truncated = truncated
	for _, wh := range hooks {
		// The API filters by active, not by status: the status filter is
		// the page's.
		if v.Status == "" || wh.Status == v.Status {
			v.Webhooks = append(v.Webhooks, wh)
		}
	}
	c.render(w, http.StatusOK, "webhooks", sess, pageData{Title: "Webhooks", Data: v})
}

// enableWebhook is the API's PATCH {"status": "active"}: the way out of
// auto_disabled.
func (c *Console) enableWebhook(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("webhook_id")
	err := c.call(r.Context(), sess, http.MethodPatch, "/v1/webhooks/"+url.PathEscape(id), map[string]string{"status": "active"}, "application/merge-patch+json", nil)
	c.done(w, r, sess, "/console/webhooks", err, "Webhook "+id+" re-enabled.")
}
