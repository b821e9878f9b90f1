package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// The goals of issue 13 §4, on this 2-core machine, judged on the
// in-process SQLite table: with 10 and with 100 webhooks, hookd drains at
// least goalCeilingShare of the plain client's ceiling in durable
// deliveries/s, and the p99 from publish to the first attempt at
// goalRate events/s is under goalFirstAttemptMS.
const (
	goalCeilingShare   = 0.25
	goalFirstAttemptMS = 50.0
	goalRate           = 100.0
)

// goalWebhooks are the W the goals name.
var goalWebhooks = []int{10, 100}

// verdict is a goal's outcome in one run.
type verdict string

const (
	verdictPass      verdict = "pass"
	verdictMiss      verdict = "miss"
	verdictNotJudged verdict = "not judged"
)

// goalResult is one goal at one W, judged on one run.
type goalResult struct {
	Goal     string  `json:"goal"`
	Webhooks int     `json:"webhooks"`
	Rule     string  `json:"rule"`
	Observed string  `json:"observed"`
	Verdict  verdict `json:"verdict"`
	// Why says why a goal was not judged.
	Why string `json:"why,omitempty"`
}

const (
	goalThroughput   = "deliveries/s ÷ ceiling"
	goalFirstAttempt = "publish→first attempt p99"
	// quickWhy is why a -quick run judges no goal.
	quickWhy = "-quick run"
)

// judgeGoals judges every goal at every W of goalWebhooks. A goal the run
// did not measure (its W left out of -webhooks, another -rate, no
// ceiling) is not judged; nor is any in -quick mode, whose phases are too
// short for a verdict on a shared machine (the CI smoke run): its figures
// are still shown.
func judgeGoals(cfg *config, res *results) []goalResult {
	var out []goalResult
	for _, w := range goalWebhooks {
		tp := goalResult{Goal: goalThroughput, Webhooks: w,
			Rule: fmt.Sprintf("draining deliveries/s (durable) ≥ %.2f × the plain client's ceiling", goalCeilingShare)}
		fa := goalResult{Goal: goalFirstAttempt, Webhooks: w,
			Rule: fmt.Sprintf("< %.0f ms at %.0f events/s", goalFirstAttemptMS, goalRate)}
		r, ok := runOf(res, w)
		if !ok {
			for _, g := range []*goalResult{&tp, &fa} {
				g.Observed, g.Verdict, g.Why = "–", verdictNotJudged, fmt.Sprintf("W=%d not in -webhooks", w)
			}
		} else {
			judgeThroughput(&tp, r, res.Ceiling)
			judgeFirstAttempt(&fa, r, res.Rate)
		}
		out = append(out, tp, fa)
	}
	if cfg.quick {
		for i := range out {
			out[i].Verdict, out[i].Why = verdictNotJudged, quickWhy
		}
	}
	return out
}

func runOf(res *results, w int) (wResult, bool) {
	for _, r := range res.Runs {
		if r.Webhooks == w {
			return r, true
		}
	}
	return wResult{}, false
}

// judgeThroughput: the draining rate against the ceiling decides; the
// saturation rate is shown for information.
func judgeThroughput(g *goalResult, r wResult, c ceilingResult) {
	s := r.Saturation
	switch {
	case c.RequestsPerS <= 0:
		g.Observed, g.Verdict, g.Why = "–", verdictNotJudged, "no ceiling measured"
		return
	case s.DrainIntervals == 0:
		g.Observed, g.Verdict, g.Why = "–", verdictNotJudged, "no draining interval measured (-drain shorter than -interval)"
		return
	}
	share := s.DrainedPerSec / c.RequestsPerS
	g.Observed = fmt.Sprintf("%.3f draining (%s deliveries/s against %s requests/s); saturation %.3f (%s/s), for information",
		share, fmtRate(s.DrainedPerSec), fmtRate(c.RequestsPerS), s.DeliveredPerSec/c.RequestsPerS, fmtRate(s.DeliveredPerSec))
	g.Observed += disturbed(map[string]*cpuUse{"draining": s.DrainCPU, "the ceiling": c.CPU})
	g.Verdict = verdictMiss
	if share >= goalCeilingShare {
		g.Verdict = verdictPass
	}
}

// judgeFirstAttempt: the fixed-rate phase's p99 from publish to the first
// attempt, when the phase ran at the goal's rate. A p99 among the
// deliveries never attempted within -settle is a miss.
func judgeFirstAttempt(g *goalResult, r wResult, rate float64) {
	l := r.Fixed.FirstAttempt
	switch {
	case rate != goalRate:
		g.Observed, g.Verdict, g.Why = "–", verdictNotJudged, fmt.Sprintf("-rate %g events/s, the goal's is %.0f", rate, goalRate)
		return
	case math.IsNaN(l.P99MS):
		g.Observed, g.Verdict, g.Why = "–", verdictNotJudged, "no first attempt measured"
		return
	}
	g.Observed = fmtMS(l.P99MS, l.MaxMS)
	if l.Missing > 0 {
		g.Observed += fmt.Sprintf(" (%d of %d deliveries not attempted in time)", l.Missing, l.N+l.Missing)
	}
	g.Observed += disturbed(map[string]*cpuUse{"the fixed rate": r.Fixed.CPU})
	g.Verdict = verdictMiss
	if l.P99MS < goalFirstAttemptMS {
		g.Verdict = verdictPass
	}
}

// disturbed says which of these phases other processes took more than
// othersBusyCores of the CPU in ("" when none).
func disturbed(phases map[string]*cpuUse) string {
	var parts []string
	for _, name := range []string{"the fixed rate", "draining", "the ceiling"} {
		if c := phases[name]; c != nil && c.Others > othersBusyCores {
			parts = append(parts, fmt.Sprintf("%s %.2f cores", name, c.Others))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; disturbed, other processes used: " + strings.Join(parts, ", ")
}

// missed are the goals missed.
func missed(goals []goalResult) []goalResult {
	var out []goalResult
	for _, g := range goals {
		if g.Verdict == verdictMiss {
			out = append(out, g)
		}
	}
	return out
}

// writeGoals prints the goals' table and the verdict.
func writeGoals(w io.Writer, cfg *config, goals []goalResult) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Goals (issue 13 §4), judged on the in-process SQLite table:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| goal | W | rule | observed | verdict |\n|---|---|---|---|---|")
	judged, notJudged := 0, 0
	for _, g := range goals {
		v := "PASS"
		switch g.Verdict {
		case verdictMiss:
			v = "**MISS**"
		case verdictNotJudged:
			v = "not judged: " + g.Why
			notJudged++
		}
		if g.Verdict != verdictNotJudged {
			judged++
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s |\n", g.Goal, g.Webhooks, g.Rule, g.Observed, v)
	}
	fmt.Fprintln(w)
	miss := len(missed(goals))
	switch {
	case cfg.quick:
		fmt.Fprintln(w, "Goals are judged only in full runs: -quick's phases are too short for a verdict on a shared machine; this run checks only that the harness runs and that hookd delivers, and its figures are indicative.")
	case judged == 0:
		fmt.Fprintf(w, "Verdict: none of the %d goals judged (see the table).\n", len(goals))
	case miss == 0:
		fmt.Fprintf(w, "Verdict: **PASS**, %d of %d goals met%s.\n", judged, len(goals), notJudgedText(notJudged))
	case cfg.check:
		fmt.Fprintf(w, "Verdict: **MISS**, %d of %d goals missed%s (benchdelivery exits 3).\n", miss, len(goals), notJudgedText(notJudged))
	default:
		fmt.Fprintf(w, "Verdict: **MISS**, %d of %d goals missed%s; informational in this run (-check=false), the exit status ignores it.\n", miss, len(goals), notJudgedText(notJudged))
	}
}

func notJudgedText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d not judged", n)
}
