package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/client"
)

// recoverJob replays the dead-lettered deliveries of a webhook created
// since a time, one API replay each, in the background; its page shows
// the progress.
type recoverJob struct {
	id, keyHash, webhookID string
	since                  string

	mu       sync.Mutex
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
	Truncated bool
	// progress
	JobID              string
	Total, Replayed    int
	Failed             []string
	Finished, Progress bool
}

// maxJobs bounds the finished recoveries kept for their pages.
const maxJobs = 100

// deadLettered lists the ids of the webhook's dead-lettered deliveries
// created at or after since, through the API's list, oldest first. Which
// deliveries a recovery replays is client.RecoveryListOptions, the rule of
// the provider's hookd_webhook_recover too (test deliveries left out).
func (c *Console) deadLettered(ctx context.Context, sess *session, webhookID, since string) ([]string, bool, error) {
	t, err := time.Parse(time.RFC3339, rfc3339(since))
	q := client.RecoveryListOptions("dead_lettered", t, nil).Query()
	if err != nil {
		// Not a time: sent as it is, for the API to refuse in its words.
		q.Set("created_after", since)
	}
	list, truncated, err := all[delivery](ctx, c, sess, "/v1/webhooks/"+url.PathEscape(webhookID)+"/deliveries", q)
	if err != nil {
		return nil, false, err
	}
	ids := make([]string, len(list))
	for i, d := range list {
		ids[i] = d.ID
	}
	slices.Reverse(ids) // the API lists newest first; replay in the order they happened
	return ids, truncated, nil
}

// recoverConfirm asks for the time and says how many deliveries that is.
func (c *Console) recoverConfirm(w http.ResponseWriter, r *http.Request, sess *session) {
	v := recoverView{WebhookID: r.PathValue("webhook_id"), Since: r.URL.Query().Get("since")}
	if v.Since == "" {
		v.Since = c.clock.Now().UTC().Add(-24 * time.Hour).Format(timeLayout)
	} else {
		ids, truncated, err := c.deadLettered(r.Context(), sess, v.WebhookID, v.Since)
		if err != nil {
			c.fail(w, r, sess, err)
			return
		}
		v.Count, v.Counted, v.Truncated = len(ids), true, truncated
	}
	c.render(w, http.StatusOK, "recover", sess, pageData{Title: "Recover", Data: v})
}

// recoverStart lists the deliveries again (some may have changed since the
// confirmation) and replays them in the background.
func (c *Console) recoverStart(w http.ResponseWriter, r *http.Request, sess *session) {
	webhookID, since := r.PathValue("webhook_id"), r.PostFormValue("since")
	ids, _, err := c.deadLettered(r.Context(), sess, webhookID, since)
	if err != nil {
		c.done(w, r, sess, "/console/webhooks/"+url.PathEscape(webhookID)+"/recover", err, "")
		return
	}
	job := &recoverJob{id: randomToken()[:16], keyHash: sess.keyHash, webhookID: webhookID, since: since, total: len(ids)}
	c.jobsMu.Lock()
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
	c.log.Info("console: recover started", "webhook_id", webhookID, "since", since, "deliveries", len(ids))
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.runRecover(job, &session{keyHash: sess.keyHash}, ids)
	}()
	http.Redirect(w, r, "/console/recoveries/"+job.id, http.StatusSeeOther)
}

func (c *Console) runRecover(job *recoverJob, sess *session, ids []string) {
	for _, id := range ids {
		err := c.replayPaced(sess, id)
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
	job.mu.Lock()
	job.finished = true
	job.mu.Unlock()
	c.log.Info("console: recover finished", "webhook_id", job.webhookID, "replayed", job.replayed, "failed", len(job.failed))
}

// replayPaced replays one delivery through the API, waiting as long as
// the API's rate limit asks (a recovery of thousands of deliveries runs
// into it) instead of counting the refusal as a failure.
func (c *Console) replayPaced(sess *session, id string) error {
	for {
		err := c.call(c.ctx, sess, http.MethodPost, "/v1/deliveries/"+url.PathEscape(id)+"/replay", nil, "", nil)
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
		Failed: slices.Clone(job.failed), Finished: job.finished, Progress: true}
	job.mu.Unlock()
	c.render(w, http.StatusOK, "recover", sess, pageData{Title: "Recover", Data: v})
}

// Done counts replayed and failed deliveries.
func (v recoverView) Done() int { return v.Replayed + len(v.Failed) }
