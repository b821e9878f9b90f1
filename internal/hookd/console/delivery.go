package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

type deliveryView struct {
	Delivery deliveryDetail
	// Webhook is the delivery's webhook as the API has it now, nil when
	// it was deleted: whether it is switched off or auto-disabled is what
	// a refused retry or replay is about, so the page shows it up front.
	Webhook  *webhook
	Attempts []attemptView
	Event    string // the event body, indented

	// After a retry or a replay the page waits for the attempt the
	// action started (Awaited, its number): it refreshes itself (Refresh,
	// the next URL) until that attempt is recorded and then shows its
	// outcome, or gives up after maxRefreshes. Asked not to refresh
	// (refreshStopped), it shows the wait without Refresh, and Resume
	// refreshes again.
	Awaited int
	Outcome *attemptView
	Refresh string
	Resume  string
	GaveUp  bool
	done    int // the refreshes so far
}

// A page waiting for an attempt refreshes every refreshSeconds, at most
// maxRefreshes times (a minute): an attempt takes at most the attempt
// timeout, and a replay waits for a worker behind the backlog.
const (
	refreshSeconds = 2
	maxRefreshes   = 30
)

// awaiting is the delivery page's URL that waits for attempt number n.
func awaiting(deliveryID string, n, refreshes int) string {
	u := "/console/deliveries/" + url.PathEscape(deliveryID) + "?attempt=" + strconv.Itoa(n)
	if refreshes > 0 {
		u += "&r=" + strconv.Itoa(refreshes)
	}
	return u
}

type attemptView struct {
	attempt
	OK      bool
	Headers []header
}

type header struct{ Name, Value string }

func (c *Console) deliveryPage(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("delivery_id")
	var v deliveryView
	if err := c.get(r.Context(), sess, "/v1/deliveries/"+url.PathEscape(id), &v.Delivery); err != nil {
		c.fail(w, r, sess, err)
		return
	}
	var wh webhook
	var p *apiProblem
	switch err := c.get(r.Context(), sess, "/v1/webhooks/"+url.PathEscape(v.Delivery.WebhookID), &wh); {
	case err == nil:
		v.Webhook = &wh
	case errors.As(err, &p) && p.Status == http.StatusNotFound:
	default:
		c.fail(w, r, sess, err)
		return
	}
	for _, a := range v.Delivery.Attempts {
		av := attemptView{attempt: a, OK: a.ResponseStatusCode != nil && *a.ResponseStatusCode < 300 && *a.ResponseStatusCode >= 200}
		for name, value := range a.RequestHeaders {
			av.Headers = append(av.Headers, header{name, value}) // redacted by the engine before they were stored
		}
		sort.Slice(av.Headers, func(i, j int) bool { return av.Headers[i].Name < av.Headers[j].Name })
		v.Attempts = append(v.Attempts, av)
	}
	var reload *refresh
	if n, err := strconv.Atoi(r.URL.Query().Get("attempt")); err == nil && n > 0 {
		v.await(n, r.URL.Query().Get("r"))
		if v.Refresh != "" {
			// This page as asked (its count of refreshes so far), to stop or
			// resume the refreshing.
			here := awaiting(v.Delivery.ID, n, v.done)
			if refreshStopped(r) {
				v.Refresh, v.Resume = "", here
			} else {
				reload = &refresh{Seconds: refreshSeconds, URL: v.Refresh, Stop: withoutRefresh(here)}
			}
		}
	}
	// The event as published: the body every attempt sent.
	var event json.RawMessage
	switch err := c.get(r.Context(), sess, "/v1/events/"+url.PathEscape(v.Delivery.EventID), &event); {
	case errors.As(err, &p) && p.Status == http.StatusNotFound:
		v.Event = "(the event is no longer stored)"
	case err != nil:
		c.fail(w, r, sess, err)
		return
	default:
		v.Event = indent(event)
	}
	c.render(w, http.StatusOK, "delivery", sess, pageData{Title: "Delivery " + v.Delivery.ID, Refresh: reload, Data: v})
}

// await makes the page wait for attempt n: its outcome once recorded,
// else a refresh (the refreshes-th so far) until maxRefreshes. A canceled
// delivery makes no more attempts, so there is nothing to wait for.
func (v *deliveryView) await(n int, refreshes string) {
	v.Awaited = n
	for i := range v.Attempts {
		if v.Attempts[i].Number == n {
			v.Outcome = &v.Attempts[i]
			return
		}
	}
	if v.Delivery.Status == store.DeliveryCanceled {
		return
	}
	done, _ := strconv.Atoi(refreshes)
	v.done = max(done, 0)
	if v.done >= maxRefreshes {
		v.GaveUp = true
		return
	}
	v.Refresh = awaiting(v.Delivery.ID, n, v.done+1)
}

// RefreshSeconds is the interval of the page's refresh.
func (deliveryView) RefreshSeconds() int { return refreshSeconds }

// retryDelivery is the API's POST /v1/deliveries/{id}/retry: one attempt
// now, in the background; the page it returns to waits for it and shows
// its outcome.
func (c *Console) retryDelivery(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("delivery_id")
	var d delivery
	err := c.call(r.Context(), sess, http.MethodPost, "/v1/deliveries/"+url.PathEscape(id)+"/retry", nil, "", formKey(r), &d)
	if err != nil {
		c.done(w, r, sess, "/console/deliveries/"+url.PathEscape(id), err, "")
		return
	}
	// The API answers with the delivery as the attempt claimed it: the
	// attempt is the next number.
	n := d.AttemptCount + 1
	c.done(w, r, sess, awaiting(id, n, 0), nil, fmt.Sprintf("Retry started: attempt #%d is under way.", n))
}

// replayDelivery is the API's POST /v1/deliveries/{id}/replay: a new
// delivery of the same event, whose page the console opens, waiting for
// its first attempt.
func (c *Console) replayDelivery(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("delivery_id")
	var d delivery
	err := c.call(r.Context(), sess, http.MethodPost, "/v1/deliveries/"+url.PathEscape(id)+"/replay", nil, "", formKey(r), &d)
	if err != nil {
		c.done(w, r, sess, "/console/deliveries/"+url.PathEscape(id), err, "")
		return
	}
	c.done(w, r, sess, awaiting(d.ID, 1, 0), nil, "Replayed "+id+" as this new delivery "+d.ID+".")
}

// indent pretty-prints JSON, or returns it as it is when it is not JSON.
func indent(raw []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}
