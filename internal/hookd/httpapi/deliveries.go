package httpapi

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

type deliveryJSON struct {
	ID                     string     `json:"id"`
	WebhookID              string     `json:"webhook_id"`
	EventID                string     `json:"event_id"`
	EventType              string     `json:"event_type"`
	Status                 string     `json:"status"`
	AttemptCount           int        `json:"attempt_count"`
	MaxAttempts            int        `json:"max_attempts"`
	CreatedAt              time.Time  `json:"created_at"`
	LastAttemptAt          *time.Time `json:"last_attempt_at"`
	NextAttemptAt          *time.Time `json:"next_attempt_at"`
	DeadlineAt             time.Time  `json:"deadline_at"`
	LastResponseStatusCode *int       `json:"last_response_status_code"`
	LastError              *string    `json:"last_error"`
	LastDurationMS         *int64     `json:"last_duration_ms"`
	Trigger                string     `json:"trigger"`
	ReplayOf               *string    `json:"replay_of"`
	IsTest                 bool       `json:"is_test"`
}

type attemptJSON struct {
	Number             int               `json:"number"`
	Trigger            string            `json:"trigger"`
	StartedAt          time.Time         `json:"started_at"`
	DurationMS         int64             `json:"duration_ms"`
	ResponseStatusCode *int              `json:"response_status_code"`
	Error              *string           `json:"error"`
	ResponseBody       string            `json:"response_body"`
	RequestHeaders     map[string]string `json:"request_headers"`
}

type deliveryDetailJSON struct {
	deliveryJSON
	Attempts []attemptJSON `json:"attempts"`
}

func deliveryToJSON(d *store.Delivery) deliveryJSON {
	out := deliveryJSON{
		ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType, Status: d.Status,
		AttemptCount: d.AttemptCount, MaxAttempts: d.MaxAttempts, CreatedAt: d.CreatedAt,
		LastAttemptAt: d.LastAttemptAt, DeadlineAt: d.DeadlineAt, LastResponseStatusCode: d.LastResponseStatusCode,
		LastError: d.LastError, LastDurationMS: d.LastDurationMS, Trigger: d.Trigger, ReplayOf: nullable(d.ReplayOf), IsTest: d.IsTest,
	}
	if !d.Terminal() {
		out.NextAttemptAt = d.NextAttemptAt
	}
	return out
}

func attemptToJSON(a *store.Attempt) attemptJSON {
	headers := a.RequestHeaders
	if headers == nil {
		headers = map[string]string{}
	}
	return attemptJSON{
		Number: a.Number, Trigger: a.Trigger, StartedAt: a.StartedAt, DurationMS: a.DurationMS,
		ResponseStatusCode: a.ResponseStatusCode, Error: a.Error, ResponseBody: a.ResponseBody, RequestHeaders: headers,
	}
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request) {
	page, p := pageFromQuery(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	q := r.URL.Query()
	f := store.DeliveryFilter{WebhookID: r.PathValue("webhook_id"), Status: q.Get("status"), EventType: q.Get("event_type")}
	var errs fieldErrors
	if f.Status != "" && !slices.Contains(store.DeliveryStatuses, f.Status) {
		errs.add("#/status", "must be one of %s; got %q", strings.Join(store.DeliveryStatuses, ", "), f.Status)
	}
	if s := q.Get("is_test"); s != "" {
		v, err := strconv.ParseBool(s)
		if err != nil {
			errs.add("#/is_test", "must be true or false, got %q", s)
		}
		f.IsTest = &v
	}
	withTotal := false
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"include_total", &withTotal}, {"unrecovered", &f.Unrecovered}} {
		if s := q.Get(b.name); s != "" {
			var err error
			if *b.dst, err = strconv.ParseBool(s); err != nil {
				errs.add("#/"+b.name, "must be true or false, got %q", s)
			}
		}
	}
	for name, dst := range map[string]**time.Time{"created_after": &f.CreatedAfter, "created_before": &f.CreatedBefore} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				errs.add("#/"+name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", s)
			} else if p := timeRangeProblem(t, s); p != "" {
				errs.add("#/"+name, "%s", p)
			}
			*dst = &t
		}
	}
	if p := errs.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	if _, err := a.cfg.Store.GetWebhook(r.Context(), f.WebhookID); err != nil {
		a.webhookError(w, r, "read the webhook", err)
		return
	}
	list, next, err := a.cfg.Store.ListDeliveries(r.Context(), f, page)
	if err != nil {
		a.listError(w, r, "list deliveries", err)
		return
	}
	data := make([]deliveryJSON, len(list))
	for i := range list {
		data[i] = deliveryToJSON(&list[i])
	}
	out := listJSON[deliveryJSON]{Data: data, NextCursor: nullable(next)}
	if withTotal {
		// Counted after the page was read: a delivery stored in between is
		// in the total and not on the page, as it would be on a page read
		// next.
		n, err := a.cfg.Store.CountDeliveries(r.Context(), f)
		if err != nil {
			a.listError(w, r, "count deliveries", err)
			return
		}
		out.Total = &n
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getDelivery(w http.ResponseWriter, r *http.Request) {
	// One snapshot: a delivery's state beside the attempts that led to it
	// (two reads apart, the console showed a replay's attempt, HTTP 200,
	// next to the status pending).
	d, attempts, err := a.cfg.Store.GetDeliveryWithAttempts(r.Context(), r.PathValue("delivery_id"))
	if err != nil {
		a.deliveryError(w, r, "read the delivery", err)
		return
	}
	out := deliveryDetailJSON{deliveryJSON: deliveryToJSON(d), Attempts: make([]attemptJSON, len(attempts))}
	for i := range attempts {
		out.Attempts[i] = attemptToJSON(&attempts[i])
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) retryDelivery(w http.ResponseWriter, r *http.Request) {
	// The answer (the delivery as claimed) commits with the claim: a retry
	// of the call after a crash replays it instead of starting a second
	// attempt.
	ctx, answer := withObject(r, http.StatusAccepted, func(d *store.Delivery) any { return deliveryToJSON(d) })
	d, err := a.cfg.Engine.Retry(ctx, r.PathValue("delivery_id"))
	if a.claimLost(w, r, err) {
		return
	}
	if err != nil {
		a.deliveryError(w, r, "retry the delivery", err)
		return
	}
	answer(w, d)
}

func (a *API) replayDelivery(w http.ResponseWriter, r *http.Request) {
	ctx, answer := withObject(r, http.StatusAccepted, func(d *store.Delivery) any { return deliveryToJSON(d) })
	d, err := a.cfg.Engine.Replay(ctx, r.PathValue("delivery_id"))
	if a.claimLost(w, r, err) {
		return
	}
	if err != nil {
		a.deliveryError(w, r, "replay the delivery", err)
		return
	}
	answer(w, d)
}

type webhookTestRequest struct {
	EventType *string `json:"event_type"`
}

type webhookTestResultJSON struct {
	DeliveryID         string  `json:"delivery_id"`
	Succeeded          bool    `json:"succeeded"`
	ResponseStatusCode *int    `json:"response_status_code"`
	DurationMS         int64   `json:"duration_ms"`
	Error              *string `json:"error"`
}

func (a *API) testWebhook(w http.ResponseWriter, r *http.Request) {
	var req webhookTestRequest
	if p := decodeBody(w, r, &req, false, true); p != nil {
		writeProblem(w, r, p)
		return
	}
	wh, err := a.cfg.Store.GetWebhook(r.Context(), r.PathValue("webhook_id"))
	if err != nil {
		a.webhookError(w, r, "read the webhook", err)
		return
	}
	eventType := a.cfg.Engine.DefaultTestEventType(wh)
	if req.EventType != nil {
		eventType = *req.EventType
		if _, ok := a.cfg.Catalog.Lookup(eventType); !ok {
			detail := "is not an event type of the catalog"
			if s := a.cfg.Catalog.Suggest(eventType); s != "" {
				detail += " (did you mean \"" + s + "\"?)"
			}
			writeProblem(w, r, invalidField("/event_type", "%q %s", eventType, detail))
			return
		}
	}
	if eventType == "" {
		writeProblem(w, r, invalidField("/event_type", "is required: the webhook subscribes to no event type of the catalog"))
		return
	}
	out, err := a.cfg.Engine.Test(r.Context(), wh.ID, eventType)
	if err != nil {
		a.webhookError(w, r, "test the webhook", err)
		return
	}
	writeJSON(w, http.StatusOK, webhookTestResultJSON{
		DeliveryID: out.DeliveryID, Succeeded: out.Succeeded, ResponseStatusCode: out.ResponseStatusCode,
		DurationMS: out.DurationMS, Error: out.Error,
	})
}

func (a *API) deliveryError(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, r, notFound("delivery %q not found", r.PathValue("delivery_id")))
	case errors.Is(err, delivery.ErrNotRetryable), errors.Is(err, delivery.ErrBusy):
		writeProblem(w, r, newProblem(http.StatusConflict, codeConflict, "%v", err))
	default:
		a.internalError(w, r, what, err)
	}
}
