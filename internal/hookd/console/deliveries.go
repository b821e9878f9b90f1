package console

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

const deliveriesPageSize = 50

type deliveriesView struct {
	Webhook    webhook
	Deliveries []delivery
	Chart      chart
	Filter     deliveryFilter
	Statuses   []string
	EventTypes []string
	Next       string // the next page, "" on the last
	First      string // the first page, "" on the first
}

// deliveryFilter is the page's query, passed to the API as it is: the API
// validates it and its errors are shown.
type deliveryFilter struct {
	Status, EventType, IsTest, From, To, Cursor string
}

// timeLayout is what <input type="datetime-local" step="1"> sends (without
// the seconds when they are zero); the console reads it as UTC, the time
// zone every page shows.
const timeLayout = "2006-01-02T15:04:05"

// apiQuery is the API's query of the filter, built by the API's own
// client (deliveries.Filter.Query). A value that does not parse as what
// the form sends goes to the API unchanged, to be refused there with its
// message.
func (f deliveryFilter) apiQuery() url.Values {
	df := deliveries.Filter{Status: f.Status, EventType: f.EventType}
	raw := url.Values{}
	if f.IsTest != "" {
		if b, err := strconv.ParseBool(f.IsTest); err == nil {
			df.IsTest = &b
		} else {
			raw.Set("is_test", f.IsTest)
		}
	}
	for name, field := range map[string]struct {
		value string
		dst   **time.Time
	}{"created_after": {f.From, &df.CreatedAfter}, "created_before": {f.To, &df.CreatedBefore}} {
		if field.value == "" {
			continue
		}
		if t, ok := parseLocal(field.value); ok {
			*field.dst = &t
		} else {
			raw.Set(name, field.value)
		}
	}
	q := df.Query()
	for k, v := range raw {
		q[k] = v
	}
	return q
}

// parseLocal reads a datetime-local value (with or without its seconds)
// as UTC, the time zone every page shows.
func parseLocal(s string) (time.Time, bool) {
	for _, layout := range []string{timeLayout, "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func (f deliveryFilter) pageQuery(cursor string) string {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "event_type": f.EventType, "is_test": f.IsTest, "from": f.From, "to": f.To, "cursor": cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

func (c *Console) deliveriesPage(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("webhook_id")
	q := r.URL.Query()
	v := deliveriesView{
		Filter:   deliveryFilter{Status: q.Get("status"), EventType: q.Get("event_type"), IsTest: q.Get("is_test"), From: q.Get("from"), To: q.Get("to"), Cursor: q.Get("cursor")},
		Statuses: store.DeliveryStatuses,
	}
	base := "/v1/webhooks/" + url.PathEscape(id)
	if err := c.get(r.Context(), sess, base, &v.Webhook); err != nil {
		c.fail(w, r, sess, err)
		return
	}
	var types list[eventType]
	if err := c.get(r.Context(), sess, "/v1/webhooks/events", &types); err != nil {
		c.fail(w, r, sess, err)
		return
	}
	for _, et := range types.Data {
		v.EventTypes = append(v.EventTypes, et.Type)
	}
	aq := v.Filter.apiQuery()
	aq.Set("limit", strconv.Itoa(deliveriesPageSize))
	if v.Filter.Cursor != "" {
		aq.Set("cursor", v.Filter.Cursor)
		v.First = "/console/webhooks/" + url.PathEscape(id) + "?" + v.Filter.pageQuery("")
	}
	var page list[delivery]
	if err := c.get(r.Context(), sess, base+"/deliveries?"+aq.Encode(), &page); err != nil {
		c.fail(w, r, sess, err)
		return
	}
	v.Deliveries = page.Data
	if page.NextCursor != nil {
		v.Next = "/console/webhooks/" + url.PathEscape(id) + "?" + v.Filter.pageQuery(*page.NextCursor)
	}
	chart, err := c.last24h(r.Context(), sess, v.Webhook.ID)
	if err != nil {
		c.fail(w, r, sess, err)
		return
	}
	v.Chart = chart
	title := v.Webhook.ID
	if v.Webhook.Name != nil {
		title = *v.Webhook.Name
	}
	c.render(w, http.StatusOK, "deliveries", sess, pageData{Title: title, Data: v})
}
