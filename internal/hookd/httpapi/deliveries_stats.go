package httpapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// maxStatsBuckets bounds GET /v1/webhooks/{id}/deliveries/stats: 7 days
// of hours. The count is one range of the webhook's index whatever the
// span, but an answer (and a chart) of more buckets says little more.
const maxStatsBuckets = 7 * 24

// defaultStatsSpan is the range when since is left out: the last 24 hours,
// the current one included.
const defaultStatsSpan = 24 * time.Hour

// statsIntervalHour is the one interval so far; the parameter leaves room
// for others.
const statsIntervalHour = "hour"

// DeliveryStatsJSON is the body of GET /v1/webhooks/{id}/deliveries/stats,
// as this server writes it and the console (which calls the API
// in-process) reads it.
type DeliveryStatsJSON struct {
	WebhookID string            `json:"webhook_id"`
	Interval  string            `json:"interval"`
	Since     time.Time         `json:"since"`
	Until     time.Time         `json:"until"`
	Data      []StatsBucketJSON `json:"data"`
}

// StatsBucketJSON counts the deliveries created in [start, start+interval)
// by their status now.
type StatsBucketJSON struct {
	Start        time.Time `json:"start"`
	Pending      int       `json:"pending"`
	Retrying     int       `json:"retrying"`
	Succeeded    int       `json:"succeeded"`
	DeadLettered int       `json:"dead_lettered"`
	Canceled     int       `json:"canceled"`
}

func (b *StatsBucketJSON) add(status string, n int) {
	switch status {
	case store.DeliveryPending:
		b.Pending += n
	case store.DeliveryRetrying:
		b.Retrying += n
	case store.DeliverySucceeded:
		b.Succeeded += n
	case store.DeliveryDeadLettered:
		b.DeadLettered += n
	case store.DeliveryCanceled:
		b.Canceled += n
	}
}

// deliveryStats counts a webhook's deliveries per hour of creation and
// status over [since, until): one statement over a range of the webhook's
// index, answered as one bucket per hour, empty hours included.
func (a *API) deliveryStats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var errs fieldErrors
	if v := q.Get("interval"); q.Has("interval") && v != statsIntervalHour {
		errs.add("#/interval", "must be %q (the only interval so far), got %q", statsIntervalHour, v)
	}
	until := a.clock.Now().UTC().Truncate(time.Hour).Add(time.Hour) // the end of the current hour
	since := until.Add(-defaultStatsSpan)
	sinceOK := statsTime(q, "since", &since, &errs)
	untilOK := statsTime(q, "until", &until, &errs)
	if !q.Has("since") && q.Has("until") {
		since = until.Add(-defaultStatsSpan)
	}
	if sinceOK && untilOK && len(errs) == 0 {
		switch span := until.Sub(since); {
		case span <= 0:
			errs.add("#/until", "must be after since (%s), got %s", since.Format(time.RFC3339), until.Format(time.RFC3339))
		case span > maxStatsBuckets*time.Hour:
			errs.add("#/since", "is %d hours before until; at most %d hours (7 days) are counted at once: set since to %s or later, or ask for the rest in another call",
				int(span/time.Hour), maxStatsBuckets, until.Add(-maxStatsBuckets*time.Hour).Format(time.RFC3339))
		}
	}
	if p := errs.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	webhookID := r.PathValue("webhook_id")
	if _, err := a.cfg.Store.GetWebhook(r.Context(), webhookID); err != nil {
		a.webhookError(w, r, "read the webhook", err)
		return
	}
	rows, err := a.cfg.Store.DeliveriesPerHour(r.Context(), webhookID, since, until)
	if err != nil {
		a.internalError(w, r, "count deliveries", err)
		return
	}
	out := DeliveryStatsJSON{WebhookID: webhookID, Interval: statsIntervalHour, Since: since, Until: until,
		Data: make([]StatsBucketJSON, int(until.Sub(since)/time.Hour))}
	for i := range out.Data {
		out.Data[i].Start = since.Add(time.Duration(i) * time.Hour)
	}
	for _, row := range rows {
		if i := int(row.Hour.Sub(since) / time.Hour); i >= 0 && i < len(out.Data) {
			out.Data[i].add(row.Status, row.Count)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// statsTime reads the time parameter name into dst when present: RFC 3339,
// on the hour (UTC). It reports whether the parameter was absent or good,
// adding a field error naming it and the fix otherwise.
func statsTime(q url.Values, name string, dst *time.Time, errs *fieldErrors) bool {
	vs, ok := q[name]
	if !ok {
		return true
	}
	s := ""
	if len(vs) > 0 {
		s = vs[0]
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		errs.add("#/"+name, "must be an RFC 3339 time on the hour such as 2026-01-02T15:00:00Z, got %q", s)
		return false
	}
	t = t.UTC()
	if p := timeRangeProblem(t, s); p != "" {
		errs.add("#/"+name, "%s", p)
		return false
	}
	if hour := t.Truncate(time.Hour); !hour.Equal(t) {
		errs.add("#/"+name, "must be on the hour (UTC), as the counts are per hour; got %q: use %s or %s",
			s, hour.Format(time.RFC3339), hour.Add(time.Hour).Format(time.RFC3339))
		return false
	}
	*dst = t
	return true
}
