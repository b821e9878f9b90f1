package main

import (
	"fmt"
	"slices"
	"strings"
)

// The goals of issue 16, at N = 500 and -parallelism=10: apply, update and
// destroy within 1.5x of the floor, a no-change plan within 3x, the
// provider's peak RSS under 64 MiB, cost growing linearly from N = 100 to
// 500, and the request budgets of the checks. Unlike the checks they do
// not change bench's exit status: the report says which are met, and for
// a ratio missed, where the time went.
const (
	targetN           = 500
	targetParallelism = 10
	targetPeakRSS     = 64 << 20
	// targetGrowth is how much faster than N the provider's CPU may grow
	// from the smallest N to the largest and still count as linear: at
	// most 1.2 x 5 = 6x from N = 100 to 500. (The fixed cost of starting
	// the provider processes makes growth from a small N look sublinear.)
	targetGrowth = 1.2
)

// targetRatios are the largest provider/floor wall-time ratios allowed.
var targetRatios = map[phase]float64{phaseApply: 1.5, phasePlan: 3, phaseUpdate: 1.5, phaseDestroy: 1.5}

// targetResult is one goal, judged on one run.
type targetResult struct {
	Name     string
	Rule     string
	Observed string
	Met      bool
	// Unmeasured: this run cannot judge the goal (Met is false).
	Unmeasured bool
	// Why is, for a missed goal, what the measurements say about it.
	Why string
}

// targetsJudged are the goals judged on the measurements of r: at N =
// targetN when the run measured it, else at its largest N (then, and when
// the parallelism is not targetParallelism, Caveat says the verdicts are
// only indicative).
type targetsJudged struct {
	N       int
	Caveat  string
	Results []targetResult
}

func (r *report) targets() targetsJudged {
	var j targetsJudged
	if len(r.Results) == 0 {
		return j
	}
	at := r.Results[0]
	for _, res := range r.Results {
		if res.N == targetN || (at.N != targetN && res.N > at.N) {
			at = res
		}
	}
	j.N = at.N
	var caveats []string
	if at.N != targetN {
		caveats = append(caveats, fmt.Sprintf("this run did not measure N = %d, so they are judged at N = %d", targetN, at.N))
	}
	if p := r.Settings.Parallelism; p != targetParallelism {
		caveats = append(caveats, fmt.Sprintf("it ran at -parallelism=%d", p))
	}
	if len(caveats) > 0 {
		j.Caveat = strings.Join(caveats, " and ") + ": the verdicts are indicative only."
	}

	rs := rows(at.Measurements)
	for _, row := range rs {
		limit, ok := targetRatios[row.Phase]
		if !ok {
			continue
		}
		t := targetResult{Name: fmt.Sprintf("%s time", row.Phase), Rule: fmt.Sprintf("≤%.1fx the floor", limit)}
		if row.Ratio == 0 {
			t.Observed, t.Unmeasured = "no floor run", true
			j.Results = append(j.Results, t)
			continue
		}
		t.Observed = fmt.Sprintf("%.2fx (%.2f s against %.2f s)", row.Ratio, row.Provider, row.Floor)
		t.Met = row.Ratio <= limit
		if !t.Met {
			var prof *profiledPhase
			if r.Profile != nil && r.Profile.N == at.N {
				prof = r.Profile.phase(row.Phase)
			}
			t.Why = ratioWhy(row, limit, r.Machine.NProc, prof)
		}
		j.Results = append(j.Results, t)
	}

	rss := targetResult{Name: "provider peak RSS", Rule: fmt.Sprintf("<%d MiB in every phase", targetPeakRSS>>20), Met: true}
	var peak row
	for _, row := range rs {
		if row.PeakRSS >= peak.PeakRSS {
			peak = row
		}
		if row.PeakRSS >= targetPeakRSS {
			rss.Met = false
		}
	}
	switch {
	case len(rs) == 0:
		rss.Observed, rss.Met, rss.Unmeasured = "no provider run", false, true
	case rss.Met:
		rss.Observed = fmt.Sprintf("%.1f MiB at most (%s)", mib(peak.PeakRSS), peak.Phase)
	default:
		var over []string
		for _, row := range rs {
			if row.PeakRSS >= targetPeakRSS {
				over = append(over, fmt.Sprintf("%s %.1f MiB", row.Phase, mib(row.PeakRSS)))
			}
		}
		rss.Observed = strings.Join(over, ", ")
	}
	j.Results = append(j.Results, rss)

	j.Results = append(j.Results, growthTarget(r.Results))

	req := targetResult{Name: "API requests", Rule: "one per resource per phase beyond Terraform's refresh; ≤1 catalog read per command, in the apply only (the checks)"}
	cs := checks(at.N, at.Measurements)
	var failed []string
	for _, c := range cs {
		if !c.OK {
			failed = append(failed, fmt.Sprintf("%s %s", c.Phase, c.Name))
		}
	}
	req.Met = len(failed) == 0
	if req.Met {
		req.Observed = fmt.Sprintf("all %d checks at N = %d hold", len(cs), at.N)
	} else {
		req.Observed = fmt.Sprintf("%d of %d checks at N = %d violated: %s", len(failed), len(cs), at.N, strings.Join(failed, ", "))
		req.Why = "see Checks"
	}
	j.Results = append(j.Results, req)
	return j
}

// ratioWhy says where the time of a phase over its ratio went: Terraform's
// own CPU against the floor's, which alone can put a ratio out of the
// provider's reach; the CPU of the whole command over the machine's cores,
// the least wall time it could take were nothing ever to wait, when that
// alone is over the target (the provider's CPU is in it: the figure says
// how much CPU has to go, not that none can); and the provider's CPU, with
// the largest share of it in the profiled run (nil: not profiled).
func ratioWhy(row row, limit float64, nproc int, prof *profiledPhase) string {
	if row.FloorTerraformCPU <= 0 {
		return fmt.Sprintf("provider CPU %.2f s; Terraform's CPU not measured", row.ProviderCPU)
	}
	tf := row.TerraformCPU / row.FloorTerraformCPU
	s := fmt.Sprintf("Terraform's own CPU is %.2fx the floor's (%.2f s against %.2f s)", tf, row.TerraformCPU, row.FloorTerraformCPU)
	if tf > limit {
		s += ", over the target without the provider"
	}
	if all := row.TerraformCPU + row.ProviderCPU + row.HookdCPU; nproc > 0 && row.Floor > 0 {
		if least := all / float64(nproc); least/row.Floor > limit {
			s += fmt.Sprintf("; Terraform, the provider and hookd used %.2f s of CPU, at least %.2f s on %d cores (%.2fx the floor) were they never to wait", all, least, nproc, least/row.Floor)
		}
	}
	s += fmt.Sprintf("; the provider's own CPU %.2f s", row.ProviderCPU)
	if prof != nil && prof.Total > 0 {
		i := slices.Index(prof.Categories, slices.Max(prof.Categories))
		s += fmt.Sprintf(", the largest part of it profiled %s (%.0f %%)", cpuCategories[i].Name, 100*float64(prof.Categories[i])/float64(prof.Total))
	}
	return s
}

// growthTarget judges linear growth: the provider's CPU (median, per
// phase) from the smallest N measured to the largest, against N's growth.
func growthTarget(results []nResult) targetResult {
	t := targetResult{Name: "linear growth", Rule: fmt.Sprintf("provider CPU grows at most %.1fx as fast as N, in every phase", targetGrowth)}
	if len(results) < 2 {
		t.Observed, t.Unmeasured = fmt.Sprintf("needs two counts (-n 100,%d)", targetN), true
		return t
	}
	small, large := results[0], results[0]
	for _, res := range results {
		if res.N < small.N {
			small = res
		}
		if res.N > large.N {
			large = res
		}
	}
	if small.N == large.N {
		t.Observed, t.Unmeasured = fmt.Sprintf("needs two counts (-n 100,%d)", targetN), true
		return t
	}
	nGrowth := float64(large.N) / float64(small.N)
	cpu := map[phase]float64{}
	for _, row := range rows(small.Measurements) {
		cpu[row.Phase] = row.ProviderCPU
	}
	var parts, over []string
	t.Met = true
	for _, row := range rows(large.Measurements) {
		before, ok := cpu[row.Phase]
		if !ok || before <= 0 {
			continue
		}
		g := row.ProviderCPU / before
		parts = append(parts, fmt.Sprintf("%s %.2fx", row.Phase, g))
		if g > nGrowth*targetGrowth {
			t.Met = false
			over = append(over, fmt.Sprintf("%s (%.2f s to %.2f s)", row.Phase, before, row.ProviderCPU))
		}
	}
	if len(parts) == 0 {
		t.Observed, t.Met, t.Unmeasured = "no provider CPU at the smaller N", false, true
		return t
	}
	t.Observed = fmt.Sprintf("from N = %d to %d (%.1fx): %s", small.N, large.N, nGrowth, strings.Join(parts, ", "))
	if !t.Met {
		slices.Sort(over)
		t.Why = "grows faster than N: " + strings.Join(over, ", ")
	}
	return t
}

// renderTargets is the Targets section of the report.
func renderTargets(b *strings.Builder, j targetsJudged) {
	b.WriteString("\n## Targets\n\n")
	if len(j.Results) == 0 {
		b.WriteString("Nothing measured.\n")
		return
	}
	fmt.Fprintf(b, "Issue 16's goals at N = %d, `-parallelism=%d`, judged at N = %d from the medians above. They do not change the exit status (the checks do).", targetN, targetParallelism, j.N)
	if j.Caveat != "" {
		b.WriteString(" " + strings.ToUpper(j.Caveat[:1]) + j.Caveat[1:])
	}
	b.WriteString("\n\n| target | rule | observed | verdict | what the measurements say |\n|---|---|---|---|---|\n")
	met, unmeasured := 0, 0
	for _, t := range j.Results {
		verdict := "**missed**"
		switch {
		case t.Met:
			verdict, met = "met", met+1
		case t.Unmeasured:
			verdict, unmeasured = "not measured", unmeasured+1
		}
		why := t.Why
		if why == "" {
			why = "–"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", t.Name, escapeCell(t.Rule), escapeCell(t.Observed), verdict, escapeCell(why))
	}
	fmt.Fprintf(b, "\nTargets: %d of %d met", met, len(j.Results))
	if unmeasured > 0 {
		fmt.Fprintf(b, ", %d not measured in this run", unmeasured)
	}
	b.WriteString(".\n")
}
