package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// published is how an event of the load was published: through which
// process, and when the call that succeeded was sent.
type published struct {
	proc int
	sent time.Time
}

// quietDelivery is one delivery of the wake-up phase.
type quietDelivery struct {
	latency time.Duration // publish sent -> request received
	cross   bool          // made by another process than the publishing one
	from    sender
}

// report is what a run measured.
type report struct {
	cfg config

	publishedAt                                    map[string]published // event id -> its publish
	firstPublish, lastPublish, killTime, restarted time.Time
	drained                                        time.Time
	killedSender                                   sender
	inHandlerAtKill, recentAtKill                  []request
	// leasesAtKill are the leases live just after the kill; stuck, those
	// of them resumed only once the lease ran out: the attempts in flight
	// on the killed process, claimed and never recorded.
	leasesAtKill leases
	stuck        []string
	takenOver    int       // stuck deliveries whose first request after the kill came from another process
	verified     int       // requests whose signatures stripe-go and the Standard Webhooks library verified
	failures     []failure // the most frequent kinds of failed attempts

	deliveries, requests, duplicates, unrecorded int
	notSucceeded, overlaps                       int
	unrecordedAge                                time.Duration // the longest an unrecorded attempt had been answered at the kill
	latSame, latCross, latAll                    []time.Duration
	unattributed                                 int
	whilePublishing                              int // requests received before the last publish returned

	quietProc int
	quiet     []quietDelivery
}

// print writes the summary.
func (r *report) print(w io.Writer) {
	c := r.cfg
	fmt.Fprintf(w, "multiproc: %d hookd processes on one PostgreSQL, %d webhooks, %d events published round-robin by %d publishers\n",
		c.procs, c.webhooks, c.events, c.publishers)
	if r.drained.IsZero() {
		return
	}
	pubDur := r.lastPublish.Sub(r.firstPublish)
	total := r.drained.Sub(r.firstPublish)
	fmt.Fprintf(w, "  events             %d (published in %s, %.0f/s)\n", c.events, pubDur.Round(time.Millisecond), float64(c.events)/pubDur.Seconds())
	fmt.Fprintf(w, "  deliveries         %d (%d not succeeded)\n", r.deliveries, r.notSucceeded)
	fmt.Fprintf(w, "  requests received  %d\n", r.requests)
	fmt.Fprintf(w, "  duplicates         %d (requests beyond one per delivery)\n", r.duplicates)
	fmt.Fprintf(w, "  in flight at kill  %d attempts held by %s (of %d leases live at the kill; resumed only after their lease ran out)\n",
		len(r.stuck), r.killedSender, len(r.leasesAtKill))
	fmt.Fprintf(w, "                     receiver side: %d of its requests in the handler, %d answered in the %s before\n",
		len(r.inHandlerAtKill), len(r.recentAtKill), killGrace)
	fmt.Fprintf(w, "  taken over         %d of them first attempted again by another process\n", r.takenOver)
	fmt.Fprintf(w, "  unrecorded         %d attempts received but never recorded (the killed process's); the oldest had been answered %s before the kill\n",
		r.unrecorded, r.unrecordedAge.Round(time.Millisecond))
	fmt.Fprintf(w, "  overlaps           %d\n", r.overlaps)
	if r.verified > 0 {
		fmt.Fprintf(w, "  signatures         %d requests verified by stripe-go and the Standard Webhooks library\n", r.verified)
	}
	if len(r.failures) == 0 {
		fmt.Fprintf(w, "  failed attempts    none\n")
	}
	for i, f := range r.failures {
		label := ""
		if i == 0 {
			label = "failed attempts"
		}
		fmt.Fprintf(w, "  %-18s %s\n", label, f)
	}
	fmt.Fprintf(w, "  kill               at %s into the load, restarted %s later (once its leases had run out)\n", r.killTime.Sub(r.firstPublish).Round(time.Millisecond), r.restarted.Sub(r.killTime).Round(time.Millisecond))
	fmt.Fprintf(w, "  time to drain      %s after the last publish (%s after the kill: leases of the killed process expire after the attempt timeout and its margin)\n",
		r.drained.Sub(r.lastPublish).Round(time.Millisecond), r.drained.Sub(r.killTime).Round(time.Millisecond))
	fmt.Fprintf(w, "  throughput         %.0f deliveries/s from first publish to all terminal (%s); %.0f/s while publishing\n",
		float64(r.deliveries)/total.Seconds(), total.Round(time.Millisecond), float64(r.whilePublishing)/pubDur.Seconds())
	fmt.Fprintf(w, "  publish -> first request of each delivery (under load):\n")
	fmt.Fprintf(w, "    all              %s\n", dist(r.latAll))
	fmt.Fprintf(w, "    same process     %s\n", dist(r.latSame))
	fmt.Fprintf(w, "    other process    %s\n", dist(r.latCross))
	if r.unattributed > 0 {
		fmt.Fprintf(w, "    (%d first requests not attributed to a process)\n", r.unattributed)
	}
	if len(r.quiet) > 0 {
		var same, cross []time.Duration
		for _, q := range r.quiet {
			if q.cross {
				cross = append(cross, q.latency)
			} else {
				same = append(same, q.latency)
			}
		}
		fmt.Fprintf(w, "  wake-up on an idle cluster: %d single events through %c, one at a time:\n", len(r.quiet)/max(1, c.webhooks), 'A'+r.quietProc)
		fmt.Fprintf(w, "    same process     %s\n", dist(same))
		fmt.Fprintf(w, "    other process    %s\n", dist(cross))
	}
}

// dist is "n=…, median …, p99 …, max …" of ds.
func dist(ds []time.Duration) string {
	if len(ds) == 0 {
		return "n=0"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("n=%d  median %s  p90 %s  p99 %s  max %s", len(s),
		q(0.5).Round(10*time.Microsecond), q(0.9).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), s[len(s)-1].Round(time.Millisecond))
}
