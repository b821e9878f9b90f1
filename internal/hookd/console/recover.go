package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// recoverJob replays the dead-lettered deliveries of a webhook created
// from since until it started, one API replay each, in the background;
// its page shows the progress. It first lists them all, page by page with
// no limit, then replays them oldest first. It keeps their ids meanwhile
// (tens of bytes each), as hookd_webhook_recover does: deliveries are kept
// for --retention only, and the API lists newest first, so the oldest is
// known only once the list is read to its end.
type recoverJob struct {
	id, keyHash, webhookID string
	since                  string
	// once is the form's one-time token (formKey): the form sent again
	// finds this job instead of starting a second, and it is the
	// Idempotency-Key of every replay, so that even two jobs of one form
	// (the first forgotten, maxJobs) replay each delivery once.
	once  string
	until time.Time // when it started: later deliveries are not its own

	mu       sync.Mutex
	listed   bool // total is every delivery to replay, not those found so far
	total    int
	replayed int
	failed   []string
	finished bool
}

type recoverView struct {
	WebhookID string
	Since     string // datetime-local, UTC
	Count     int
	Counted   bool
	// progress
	JobID              string
	Total, Replayed    int
	Failed             []string
	Listed             bool
	Finished, Progress bool
	Resume             string // the page refreshing again, when asked not to
}

// maxJobs bounds the finished recoveries kept for their pages.
const maxJobs = 100

// recoveryQuery is the API query of the dead-lettered deliveries of a
// recovery from since (datetime-local, UTC) until until (nil: now).
// Which deliveries a recovery replays is deliveries.Recovery, the rule of
// the provider's hookd_webhook_recover too (test deliveries left out).
func recoveryQuery(since string, until *time.Time) url.Values {
	t, ok := parseLocal(since)
	q := deliveries.Recovery(store.DeliveryDeadLettered, t, until).Query()
	if !ok {
		// Not a time: sent as it is, for the API to refuse in its words.
		q.Set("created_after", since)
	}
	return q
}

func deliveriesPath(webhookID string) string {
	return "/v1/webhooks/" + url.PathEscape(webhookID) + "/deliveries"
}

// recoverConfirm asks for the time and says how many deliveries that is,
// as the API counts them (include_total): one count, however many there
// are (reading their pages took 0.5 s at 20,000).
func (c *Console) recoverConfirm(w http.ResponseWriter, r *http.Request, sess *session) {
	v := recoverView{WebhookID: r.PathValue("webhook_id"), Since: r.URL.Query().Get("since")}
	if v.Since == "" {
		v.Since = c.clock.Now().UTC().Add(-24 * time.Hour).Format(timeLayout)
	} else {
		q := recoveryQuery(v.Since, nil)
		q.Set("limit", "1")
		q.Set("include_total", "true")
		var page list[delivery]
		if err := c.get(r.Context(), sess, deliveriesPath(v.WebhookID)+"?"+q.Encode(), &page); err != nil {
			c.fail(w, r, sess, err)
			return
		}
		v.Count, v.Counted = page.Total, true
	}
	c.render(w, http.StatusOK, "recover", sess, pageData{Title: "Recover", Data: v})
}

// recoverStart starts a recovery in the background: it lists the
// deliveries again (some may have changed since the confirmation, and the
// confirmation may have stopped counting) and replays them. A query the API
// refuses is shown on the form, from one delivery's worth of the list.
func (c *Console) recoverStart(w http.ResponseWriter, r *http.Request, sess *session) {
	webhookID, since := r.PathValue("webhook_id"), r.PostFormValue("since")
	check := recoveryQuery(since, nil)
	check.Set("limit", "1")
	if err := c.get(r.Context(), sess, deliveriesPath(webhookID)+"?"+check.Encode(), nil); err != nil {
		c.done(w, r, sess, "/console/webhooks/"+url.PathEscape(webhookID)+"/recover", err, "")
		return
	}
	job := &recoverJob{id: randomToken()[:16], keyHash: sess.keyHash, webhookID: webhookID, since: since, until: c.clock.Now(), once: formKey(r)}
	if job.once == "" {
		job.once = job.id
	}
	c.jobsMu.Lock()
	for _, j := range c.jobs {
		if j.once == job.once && j.keyHash == job.keyHash {
			c.jobsMu.Unlock()
			http.Redirect(w, r, "/console/recoveries/"+j.id, http.StatusSeeOther)
			return
		}
	}
	if len(c.jobs) >= maxJobs {
		for id, j := range c.jobs {
			j.mu.Lock()
			fin := j.finished
			j.mu.Unlock()
			if fin {
				delete(c.jobs, id)
			}
		}
	}
	c.jobs[job.id] = job
	c.jobsMu.Unlock()
	c.log.Info("console: recover started", "webhook_id", webhookID, "since", since)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.runRecover(job, &session{keyHash: sess.keyHash})
	}()
	http.Redirect(w, r, "/console/recoveries/"+job.id, http.StatusSeeOther)
}

func (c *Console) runRecover(job *recoverJob, sess *session) {
	defer func() {
		job.mu.Lock()
		job.finished = true
		job.mu.Unlock()
		c.log.Info("console: recover finished", "webhook_id", job.webhookID, "deliveries", job.total, "replayed", job.replayed, "failed", len(job.failed))
	}()
	get := func(path string, out any) error {
		return c.paced(func() error { return c.get(c.ctx, sess, path, out) })
	}
	var ids []string
	for page, err := range pages[delivery](get, deliveriesPath(job.webhookID), recoveryQuery(job.since, &job.until)) {
		job.mu.Lock()
		if err != nil {
			job.failed = append(job.failed, fmt.Sprintf("listing the deliveries: %v", err))
			job.mu.Unlock()
			return
		}
		for _, d := range page.Data {
			ids = append(ids, d.ID)
		}
		job.total = len(ids)
		job.mu.Unlock()
	}
	job.mu.Lock()
	job.listed = true
	job.mu.Unlock()
	slices.Reverse(ids) // the API lists newest first; replay in the order they happened
	for _, id := range ids {
		err := c.paced(func() error {
			return c.call(c.ctx, sess, http.MethodPost, "/v1/deliveries/"+url.PathEscape(id)+"/replay", nil, "", job.once, nil)
		})
		job.mu.Lock()
		if err != nil {
			job.failed = append(job.failed, fmt.Sprintf("%s: %v", id, err))
		} else {
			job.replayed++
		}
		job.mu.Unlock()
		if c.ctx.Err() != nil {
			break
		}
	}
}

// paced makes one API call of a recovery, again and again for as long as
// the API's rate limit asks (a recovery of thousands of deliveries runs
// into it), instead of counting the refusal as a failure.
func (c *Console) paced(call func() error) error {
	for {
		err := call()
		var p *apiProblem
		if !errors.As(err, &p) || p.Status != http.StatusTooManyRequests {
			return err
		}
		select {
		case <-c.ctx.Done():
			return err
		case <-c.clock.After(max(p.retryAfter, 100*time.Millisecond)):
		}
	}
}

func (c *Console) recoverProgress(w http.ResponseWriter, r *http.Request, sess *session) {
	c.jobsMu.Lock()
	job, ok := c.jobs[r.PathValue("job_id")]
	c.jobsMu.Unlock()
	// A recovery is shown only to sessions of the key that started it.
	if !ok || job.keyHash != sess.keyHash {
		c.render(w, http.StatusNotFound, "error", sess, pageData{Title: "Not found", Message: "No such recovery; it may be from before hookd restarted."})
		return
	}
	job.mu.Lock()
	v := recoverView{WebhookID: job.webhookID, Since: job.since, JobID: job.id, Total: job.total, Replayed: job.replayed,
		Failed: slices.Clone(job.failed), Listed: job.listed, Finished: job.finished, Progress: true}
	job.mu.Unlock()
	// Until it finishes the page reloads itself every second, unless asked
	// not to; then it offers to again.
	var reload *refresh
	if !v.Finished {
		here := "/console/recoveries/" + url.PathEscape(job.id)
		if refreshStopped(r) {
			v.Resume = here
		} else {
			reload = &refresh{Seconds: 1, Stop: withoutRefresh(here)}
		}
	}
	c.render(w, http.StatusOK, "recover", sess, pageData{Title: "Recover", Refresh: reload, Data: v})
}

// Done counts replayed and failed deliveries.
func (v recoverView) Done() int { return v.Replayed + len(v.Failed) }
