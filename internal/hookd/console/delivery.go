package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

type deliveryView struct {
	Delivery deliveryDetail
	Attempts []attemptView
	Event    string // the event body, indented
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
	for _, a := range v.Delivery.Attempts {
		av := attemptView{attempt: a, OK: a.ResponseStatusCode != nil && *a.ResponseStatusCode < 300 && *a.ResponseStatusCode >= 200}
		for name, value := range a.RequestHeaders {
			av.Headers = append(av.Headers, header{name, value}) // redacted by the engine before they were stored
		}
		sort.Slice(av.Headers, func(i, j int) bool { return av.Headers[i].Name < av.Headers[j].Name })
		v.Attempts = append(v.Attempts, av)
	}
	// The event body is not served by the API; it is read from the store.
	ev, err := c.cfg.Events.GetEvent(r.Context(), v.Delivery.EventID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.Event = "(the event is no longer stored)"
	case err != nil:
		c.fail(w, r, sess, err)
		return
	default:
		v.Event = indent(ev.Body)
	}
	c.render(w, http.StatusOK, "delivery", sess, pageData{Title: "Delivery " + v.Delivery.ID, Data: v})
}

// retryDelivery is the API's POST /v1/deliveries/{id}/retry: one attempt
// now, in the background; the page it returns to shows it once recorded.
func (c *Console) retryDelivery(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("delivery_id")
	err := c.call(r.Context(), sess, http.MethodPost, "/v1/deliveries/"+url.PathEscape(id)+"/retry", nil, "", nil)
	c.done(w, r, sess, "/console/deliveries/"+url.PathEscape(id), err, "Retry started: the attempt shows below once it is recorded (reload).")
}

// replayDelivery is the API's POST /v1/deliveries/{id}/replay: a new
// delivery of the same event, whose page the console opens.
func (c *Console) replayDelivery(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("delivery_id")
	var d delivery
	err := c.call(r.Context(), sess, http.MethodPost, "/v1/deliveries/"+url.PathEscape(id)+"/replay", nil, "", &d)
	if err != nil {
		c.done(w, r, sess, "/console/deliveries/"+url.PathEscape(id), err, "")
		return
	}
	c.done(w, r, sess, "/console/deliveries/"+url.PathEscape(d.ID), nil, "Replayed "+id+" as this new delivery "+d.ID+".")
}

// indent pretty-prints JSON, or returns it as it is when it is not JSON.
func indent(raw []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}
