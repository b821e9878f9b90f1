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

	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// A recovery replays the dead-lettered deliveries of a webhook created
// from since until it started, one API replay each, in the background of
// the process that started it; its progress is stored
// (store.ConsoleRecovery), so that its page shows it whichever process
// serves the page. It first lists them all, page by page with no limit,
// then replays them oldest first. It keeps their ids meanwhile (tens of
// bytes each), as hookd_webhook_recover does: deliveries are kept for
// --retention only, and the API lists newest first, so the oldest is known
// only once the list is read to its end.
//
// The form's one-time token (formKey) is stored with it: the form sent
// again, to any process, finds this recovery instead of starting a second,
// and it is the Idempotency-Key of every replay, so that even two
// recoveries of one form replay each delivery once.
type recoverJob struct {
	mu     sync.Mutex
	rec    store.ConsoleRecovery // as it stands; saved by save
	saved  bool                  // rec is stored as it stands
	cancel context.CancelFunc    // stops the job (its recovery was stopped)
}

// update changes the job's progress under its lock.
func (j *recoverJob) update(fn func(r *store.ConsoleRecovery)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	fn(&j.rec)
	j.saved = false
}

// maxFailures bounds the failures' messages a recovery keeps (and its
// page shows); it counts them all.
const maxFailures = 20

// A running recovery's progress is saved every saveEvery while it changes,
// and at least every heartbeatEvery while it does not (a recovery waiting
// on the API's rate limit): a recovery not saved for recoverStale is one
// whose process is gone. Real time, not the injected clock: they pace
// writes, and a test's fake clock would hold them back.
const (
	saveEvery      = time.Second
	heartbeatEvery = 5 * time.Second
	recoverStale   = 30 * time.Second
)

type recoverView struct {
	WebhookID string
	Since     string // datetime-local, UTC
	Count     int
	Counted   bool
	Future    bool // Since is later than now: nothing can match
	// progress
	JobID              string
	Total, Replayed    int
	Failed             int
	Failures           []string // the first maxFailures
	Listed             bool
	Finished, Progress bool
	Stopped            string // why it stopped before its end
	Resume             string // the page refreshing again, when asked not to
}

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
		c.render(w, http.StatusOK, "recover", sess, pageData{Title: "Recover", Data: v})
		return
	}
	if msg := sinceProblem(v.Since); msg != "" {
		c.render(w, http.StatusBadRequest, "recover", sess, pageData{Title: "Recover", Flash: &flash{Message: msg}, Data: v})
		return
	}
	q := recoveryQuery(v.Since, nil)
	q.Set("limit", "1")
	q.Set("include_total", "true")
	var page list[delivery]
	if err := c.get(r.Context(), sess, deliveriesPath(v.WebhookID)+"?"+q.Encode(), &page); err != nil {
		var p *apiProblem
		if !errors.As(err, &p) || (p.Status != http.StatusBadRequest && p.Status != http.StatusUnprocessableEntity) {
			c.fail(w, r, sess, err)
			return
		}
		p.inForm(recoverLabels)
		c.render(w, p.Status, "recover", sess, pageData{Title: "Recover", Flash: &flash{Message: p.Error()}, Data: v})
		return
	}
	since, _ := parseLocal(v.Since)
	v.Count, v.Counted, v.Future = page.Total, true, since.After(c.clock.Now())
	c.render(w, http.StatusOK, "recover", sess, pageData{Title: "Recover", Data: v})
}

// recoverStart starts a recovery in the background: it lists the
// deliveries again (some may have changed since the confirmation, and the
// confirmation may have stopped counting) and replays them. A query the API
// refuses is shown on the form, from one delivery's worth of the list.
func (c *Console) recoverStart(w http.ResponseWriter, r *http.Request, sess *session) {
	webhookID, since := r.PathValue("webhook_id"), r.PostFormValue("since")
	back := "/console/webhooks/" + url.PathEscape(webhookID) + "/recover"
	if msg := sinceProblem(since); msg != "" {
		c.done(w, r, sess, back, formError(msg), "")
		return
	}
	check := recoveryQuery(since, nil)
	check.Set("limit", "1")
	if err := c.get(r.Context(), sess, deliveriesPath(webhookID)+"?"+check.Encode(), nil); err != nil {
		if p := (*apiProblem)(nil); errors.As(err, &p) {
			p.inForm(recoverLabels)
		}
		c.done(w, r, sess, back, err, "")
		return
	}
	now := c.clock.Now()
	rec := store.ConsoleRecovery{ID: randomToken()[:16], KeyHash: sess.keyHash, Once: formKey(r), WebhookID: webhookID, Since: since,
		Until: now, Owner: c.instance, State: store.RecoveryListing, CreatedAt: now, UpdatedAt: now}
	if rec.Once == "" {
		rec.Once = rec.ID
	}
	// The job is registered before it is stored, so that this process,
	// which owns it from the insert on, never finds it stored and not
	// running.
	job := &recoverJob{rec: rec, saved: true}
	ctx, cancel := context.WithCancel(c.ctx)
	job.cancel = cancel
	c.jobsMu.Lock()
	c.jobs[rec.ID] = job
	c.jobsMu.Unlock()
	got, created, err := c.cfg.Store.StartConsoleRecovery(r.Context(), &rec)
	if err != nil || !created {
		c.forget(job)
		cancel()
	}
	if err != nil {
		c.log.Error("console: start recovery", "error", err)
		c.done(w, r, sess, back, errors.New("the recovery could not be started: the console could not store it; see hookd's log"), "")
		return
	}
	if !created {
		if got.WebhookID != webhookID || got.Since != since {
			// The same page's form sent again with another time (Back,
			// another choice, send): its token started a recovery of
			// other deliveries, and showing that one would look like
			// this send's outcome.
			c.done(w, r, sess, back, formError(formReused), "")
			return
		}
		// The same form again: its recovery, wherever it runs.
		http.Redirect(w, r, "/console/recoveries/"+url.PathEscape(got.ID), http.StatusSeeOther)
		return
	}
	c.log.Info("console: recover started", "webhook_id", webhookID, "since", since, "recovery", rec.ID)
	c.wg.Add(2)
	go func() {
		defer c.wg.Done()
		c.runRecover(ctx, job, &session{keyHash: sess.keyHash})
	}()
	go func() {
		defer c.wg.Done()
		c.saveRecover(ctx, job)
	}()
	http.Redirect(w, r, "/console/recoveries/"+url.PathEscape(rec.ID), http.StatusSeeOther)
}

// forget drops a job from those this process runs.
func (c *Console) forget(job *recoverJob) {
	c.jobsMu.Lock()
	defer c.jobsMu.Unlock()
	delete(c.jobs, job.rec.ID)
}

// running reports whether this process runs the recovery id.
func (c *Console) running(id string) bool {
	c.jobsMu.Lock()
	defer c.jobsMu.Unlock()
	_, ok := c.jobs[id]
	return ok
}

func (c *Console) runRecover(ctx context.Context, job *recoverJob, sess *session) {
	defer job.cancel() // ends saveRecover, which saves the outcome
	get := func(path string, out any) error {
		return c.paced(ctx, func() error { return c.get(ctx, sess, path, out) })
	}
	var ids []string
	for page, err := range pages[delivery](get, deliveriesPath(job.rec.WebhookID), recoveryQuery(job.rec.Since, &job.rec.Until)) {
		if err != nil {
			job.update(func(r *store.ConsoleRecovery) {
				r.State, r.Error = store.RecoveryStopped, fmt.Sprintf("Listing the deliveries failed: %v", err)
			})
			return
		}
		for _, d := range page.Data {
			ids = append(ids, d.ID)
		}
		job.update(func(r *store.ConsoleRecovery) { r.Total = len(ids) })
	}
	job.update(func(r *store.ConsoleRecovery) { r.State, r.Listed = store.RecoveryReplaying, true })
	slices.Reverse(ids) // the API lists newest first; replay in the order they happened
	for _, id := range ids {
		if ctx.Err() != nil {
			job.update(func(r *store.ConsoleRecovery) { r.State, r.Error = store.RecoveryStopped, stoppedBy(c.ctx) })
			return
		}
		err := c.paced(ctx, func() error {
			return c.call(ctx, sess, http.MethodPost, "/v1/deliveries/"+url.PathEscape(id)+"/replay", nil, "", job.rec.Once, nil)
		})
		job.update(func(r *store.ConsoleRecovery) {
			if err == nil {
				r.Replayed++
				return
			}
			if r.Failed++; len(r.Failures) < maxFailures {
				r.Failures = append(r.Failures, fmt.Sprintf("%s: %v", id, err))
			}
		})
	}
	job.update(func(r *store.ConsoleRecovery) { r.State = store.RecoveryFinished })
}

// stoppedBy says why a recovery stopped before its end: hookd shutting
// down (the console's context over), or another process declaring it
// stopped.
func stoppedBy(console context.Context) string {
	if console.Err() != nil {
		return "hookd stopped before the recovery finished."
	}
	return "Another hookd process found this recovery silent for too long and declared it stopped."
}

// saveRecover stores the job's progress while it runs, and its outcome
// once it ends (ctx over: runRecover ended, or hookd stops). When the
// store says that the recovery no longer runs here (another process
// declared it stopped), it stops the job.
func (c *Console) saveRecover(ctx context.Context, job *recoverJob) {
	defer c.forget(job)
	tick := time.NewTicker(saveEvery)
	defer tick.Stop()
	lastSave := time.Now()
	for {
		select {
		case <-ctx.Done():
			job.update(func(r *store.ConsoleRecovery) {
				if r.Running() { // hookd stops: runRecover may not have got to say so
					r.State, r.Error = store.RecoveryStopped, stoppedBy(c.ctx)
				}
			})
			// The outcome is saved whatever the console's context: with
			// one of its own, bounded.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = c.saveJob(sctx, job) // saveJob logs a failure
			c.log.Info("console: recover finished", "recovery", job.rec.ID, "webhook_id", job.rec.WebhookID, "state", job.rec.State,
				"deliveries", job.rec.Total, "replayed", job.rec.Replayed, "failed", job.rec.Failed)
			return
		case <-tick.C:
			job.mu.Lock()
			due := !job.saved || time.Since(lastSave) >= heartbeatEvery
			job.mu.Unlock()
			if due {
				if errors.Is(c.saveJob(ctx, job), store.ErrNotFound) {
					job.cancel()
				}
				lastSave = time.Now()
			}
		}
	}
}

// saveJob stores the job's progress as it stands, stamped now.
func (c *Console) saveJob(ctx context.Context, job *recoverJob) error {
	job.mu.Lock()
	job.rec.UpdatedAt = c.clock.Now()
	rec := job.rec
	rec.Failures = slices.Clone(job.rec.Failures)
	job.saved = true
	job.mu.Unlock()
	err := c.cfg.Store.SaveConsoleRecovery(ctx, &rec)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.log.Error("console: save recovery", "recovery", rec.ID, "error", err)
		job.update(func(*store.ConsoleRecovery) {}) // to be saved again
	}
	return err
}

// paced makes one API call of a recovery, again and again for as long as
// the API's rate limit asks (a recovery of thousands of deliveries runs
// into it), instead of counting the refusal as a failure.
func (c *Console) paced(ctx context.Context, call func() error) error {
	for {
		err := call()
		var p *apiProblem
		if !errors.As(err, &p) || p.Status != http.StatusTooManyRequests {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-c.clock.After(max(p.retryAfter, 100*time.Millisecond)):
		}
	}
}

func (c *Console) recoverProgress(w http.ResponseWriter, r *http.Request, sess *session) {
	rec, err := c.cfg.Store.GetConsoleRecovery(r.Context(), r.PathValue("job_id"))
	// A recovery is shown only to sessions of the key that started it.
	if errors.Is(err, store.ErrNotFound) || err == nil && rec.KeyHash != sess.keyHash {
		c.render(w, http.StatusNotFound, "error", sess, pageData{Title: "Not found", Message: "No such recovery (a recovery's page is kept for a week after it ends)."})
		return
	}
	if err == nil && rec.Running() {
		rec, err = c.stopIfGone(r.Context(), rec)
	}
	if err != nil {
		c.log.Error("console: read recovery", "error", err)
		c.render(w, http.StatusInternalServerError, "error", sess, pageData{Title: "Error", Message: "The console could not read the recovery; see hookd's log."})
		return
	}
	v := recoverView{WebhookID: rec.WebhookID, Since: rec.Since, JobID: rec.ID, Total: rec.Total, Replayed: rec.Replayed,
		Failed: rec.Failed, Failures: rec.Failures, Listed: rec.Listed, Finished: !rec.Running(), Progress: true}
	if rec.State == store.RecoveryStopped {
		v.Stopped = rec.Error
	}
	// Until it finishes the page reloads itself every second, unless asked
	// not to; then it offers to again.
	var reload *refresh
	if !v.Finished {
		here := "/console/recoveries/" + url.PathEscape(rec.ID)
		if refreshStopped(r) {
			v.Resume = here
		} else {
			reload = &refresh{Seconds: 1, Stop: withoutRefresh(here)}
		}
	}
	c.render(w, http.StatusOK, "recover", sess, pageData{Title: "Recover", Refresh: reload, Data: v})
}

// stopIfGone marks a recovery stored as running stopped when the process
// that runs it is gone, so that its page says so instead of waiting for
// ever, and returns it as it is then. This process knows whether it runs
// a recovery of its own; another's is gone when it has not saved it for
// recoverStale (it does every few seconds while it runs).
func (c *Console) stopIfGone(ctx context.Context, rec *store.ConsoleRecovery) (*store.ConsoleRecovery, error) {
	now := c.clock.Now()
	var staleBefore time.Time
	var reason string
	switch {
	case rec.Owner == c.instance && c.running(rec.ID):
		return rec, nil
	case rec.Owner == c.instance:
		// Ended here without saving its outcome (the save failed: logged).
		staleBefore, reason = now.Add(time.Nanosecond), "The recovery ended without saving its outcome; see hookd's log."
	case now.Sub(rec.UpdatedAt) < recoverStale:
		return rec, nil
	default:
		staleBefore = now.Add(-recoverStale)
		reason = fmt.Sprintf("The hookd process running this recovery stopped (nothing heard from it since %s UTC), before it finished. "+
			"Start it again: what it replayed is left out, so nothing is sent twice.", rec.UpdatedAt.UTC().Format("2006-01-02 15:04:05"))
	}
	if _, err := c.cfg.Store.StopStaleConsoleRecovery(ctx, rec.ID, staleBefore, now, reason); err != nil {
		return nil, err
	}
	return c.cfg.Store.GetConsoleRecovery(ctx, rec.ID)
}

// Done counts replayed and failed deliveries.
func (v recoverView) Done() int { return v.Replayed + v.Failed }

// MoreFailures is how many failures the page does not list.
func (v recoverView) MoreFailures() int { return v.Failed - len(v.Failures) }
