package console

import (
	"errors"
	"fmt"
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
	Problem    bool   // the filter is refused (the page's flash says why): no list
}

// deliveryFilter is the page's query. Its times are the form's
// (datetime-local, UTC), checked as such (problem); the rest goes to the
// API as it is, which validates it, and its errors are shown with the
// form's labels.
type deliveryFilter struct {
	Status, EventType, IsTest, From, To, Cursor string
}

// timeLayout is what <input type="datetime-local" step="1"> sends (without
// the seconds when they are zero); the console reads it as UTC, the time
// zone every page shows.
const timeLayout = "2006-01-02T15:04:05"

// problem says what is wrong with the filter's times, as the form's
// fields: "" when nothing is.
func (f deliveryFilter) problem() string {
	from, msg := localField(labelFrom, f.From)
	if msg != "" {
		return msg
	}
	to, msg := localField(labelTo, f.To)
	if msg != "" {
		return msg
	}
	if f.From != "" && f.To != "" && !from.Before(to) {
		return fmt.Sprintf("%s %s is not before %s %s: no delivery can be created between them; swap them, or clear one.",
			labelFrom, from.Format(shownTime), labelTo, to.Format(shownTime))
	}
	return ""
}

// apiQuery is the API's query of the filter (whose times problem found
// right), built by the API's own client (deliveries.Filter.Query). An
// is_test that is not a boolean goes to the API unchanged, to be refused
// there with its message.
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
	if t, ok := parseLocal(f.From); ok {
		df.CreatedAfter = &t
	}
	if t, ok := parseLocal(f.To); ok {
		df.CreatedBefore = &t
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
	status := http.StatusOK
	var problem *flash
	if msg := v.Filter.problem(); msg != "" {
		status, problem, v.Problem = http.StatusBadRequest, &flash{Message: msg}, true
	} else if err := c.listDeliveries(r, sess, id, &v); err != nil {
		var p *apiProblem
		if !errors.As(err, &p) || (p.Status != http.StatusBadRequest && p.Status != http.StatusUnprocessableEntity) {
			c.fail(w, r, sess, err)
			return
		}
		// The filter, refused: said with the form's labels, above the form.
		p.inForm(deliveriesLabels)
		status, problem, v.Problem = p.Status, &flash{Message: p.Error()}, true
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
	c.render(w, status, "deliveries", sess, pageData{Title: title, Flash: problem, Data: v})
}

// listDeliveries reads the page of deliveries the filter asks for.
func (c *Console) listDeliveries(r *http.Request, sess *session, id string, v *deliveriesView) error {
	aq := v.Filter.apiQuery()
	aq.Set("limit", strconv.Itoa(deliveriesPageSize))
	if v.Filter.Cursor != "" {
		aq.Set("cursor", v.Filter.Cursor)
		v.First = "/console/webhooks/" + url.PathEscape(id) + "?" + v.Filter.pageQuery("")
	}
	var page list[delivery]
	if err := c.get(r.Context(), sess, "/v1/webhooks/"+url.PathEscape(id)+"/deliveries?"+aq.Encode(), &page); err != nil {
		return err
	}
	v.Deliveries = page.Data
	if page.NextCursor != nil {
		v.Next = "/console/webhooks/" + url.PathEscape(id) + "?" + v.Filter.pageQuery(*page.NextCursor)
	}
	return nil
}
