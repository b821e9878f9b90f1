package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// writeReport prints the results as a Markdown table: one row per figure,
// one column per W.
func writeReport(w io.Writer, cfg *config, res *results) {
	fmt.Fprintf(w, "hookd delivery throughput, %s/%s, %d CPUs, %s; %d delivery workers, %d publishers at saturation, fixed rate %.0f events/s; measured from %s\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), res.Workers, cfg.publishers, res.Rate, res.Started.Format(time.RFC3339))
	defer writeGoals(w, cfg, res.Goals) // last, after the backends table
	if len(res.Runs) == 0 {
		writeBackends(w, cfg, res)
		fmt.Fprintf(w, "- ceiling: plain client requests/s, %d concurrent: %s (CPU cores, this process / other processes: %s)\n",
			res.Ceiling.Concurrency, fmtRate(res.Ceiling.RequestsPerS), fmtCPU(res.Ceiling.CPU))
		if busy := othersBusy(res); busy != "" {
			fmt.Fprintf(w, "- **other processes used CPU during %s: the figures of those phases are disturbed; run again on a quiet machine**\n", busy)
		}
		return
	}
	defer writeBackends(w, cfg, res)
	fmt.Fprintln(w, "In-process hookd on SQLite, one column per W:")
	fmt.Fprintln(w)
	head := []string{"", ""}
	for _, r := range res.Runs {
		head = append(head, fmt.Sprintf("W=%d", r.Webhooks))
	}
	head = head[1:]
	head[0] = "figure"
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	row := func(name string, cell func(wResult) string) {
		cells := []string{name}
		for _, r := range res.Runs {
			cells = append(cells, cell(r))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	ceil := res.Ceiling.RequestsPerS
	row("events accepted/s, saturation", func(r wResult) string { return fmtRate(r.Saturation.AcceptedPerSec) })
	row("deliveries/s, durable, saturation", func(r wResult) string { return fmtRate(r.Saturation.DeliveredPerSec) })
	row("deliveries/s, durable, draining (no publishing)", func(r wResult) string {
		if r.Saturation.DrainIntervals == 0 {
			return "–"
		}
		return fmtRate(r.Saturation.DrainedPerSec)
	})
	row("backlog at the end of the window (deliveries)", func(r wResult) string { return fmtRate(float64(r.Saturation.BacklogAtEnd)) })
	row(fmt.Sprintf("publish→receipt p50 / p99, %.0f events/s", res.Rate), func(r wResult) string { return fmtP50P99(r.Fixed.Receipt) })
	row(fmt.Sprintf("publish→first attempt p99, %.0f events/s", res.Rate), func(r wResult) string {
		return fmtMS(r.Fixed.FirstAttempt.P99MS, r.Fixed.FirstAttempt.MaxMS)
	})
	row("publish→receipt p50 / p99, saturation", func(r wResult) string { return fmtP50P99(r.Saturation.Receipt) })
	row("API read p50 / p99, saturation", func(r wResult) string { return fmtP50P99(r.Saturation.APIWindow) })
	row("API read p50 / p99, draining", func(r wResult) string { return fmtP50P99(r.Saturation.APIDrain) })
	row(fmt.Sprintf("ceiling: plain client requests/s, %d concurrent", res.Ceiling.Concurrency), func(wResult) string { return fmtRate(ceil) })
	row("deliveries/s ÷ ceiling, saturation / draining", func(r wResult) string {
		if ceil == 0 {
			return "–"
		}
		return fmt.Sprintf("%.3f / %.3f", r.Saturation.DeliveredPerSec/ceil, r.Saturation.DrainedPerSec/ceil)
	})
	row("CPU cores, this process / other processes: saturation window", func(r wResult) string { return fmtCPU(r.Saturation.WindowCPU) })
	row("CPU cores, this process / other processes: draining", func(r wResult) string { return fmtCPU(r.Saturation.DrainCPU) })
	// Per CPU-second of this process (hookd, the receiver, and the
	// publishers or the plain client): figures that hold up better than
	// rates when other processes share the machine.
	ceilPerCPU := perCPU(ceil, res.Ceiling.CPU)
	row("deliveries per CPU-second, draining", func(r wResult) string { return fmtRate(perCPU(r.Saturation.DrainedPerSec, r.Saturation.DrainCPU)) })
	row("ceiling: plain client requests per CPU-second", func(wResult) string { return fmtRate(ceilPerCPU) })
	row("per CPU-second, draining ÷ ceiling", func(r wResult) string {
		d := perCPU(r.Saturation.DrainedPerSec, r.Saturation.DrainCPU)
		if d == 0 || ceilPerCPU == 0 {
			return "–"
		}
		return fmt.Sprintf("%.3f", d/ceilPerCPU)
	})
	fmt.Fprintln(w)
	var notes []string
	if c := res.Ceiling.CPU; c != nil {
		notes = append(notes, fmt.Sprintf("ceiling: CPU cores, this process / other processes: %s", fmtCPU(c)))
	}
	if busy := othersBusy(res); busy != "" {
		notes = append(notes, "**other processes used CPU during "+busy+": the figures of those phases are disturbed; run again on a quiet machine**")
	}
	for _, r := range res.Runs {
		f := r.Fixed
		if f.Receipt.Missing > 0 {
			notes = append(notes, fmt.Sprintf("W=%d: at %.0f events/s (%s deliveries/s asked), %d of %d deliveries were not received within %s of the last publish (\"> x\": slower than the slowest received)",
				r.Webhooks, res.Rate, fmtRate(res.Rate*float64(r.Webhooks)), f.Receipt.Missing, f.Receipt.N+f.Receipt.Missing, cfg.settle))
		}
		if f.Late > 0 {
			notes = append(notes, fmt.Sprintf("W=%d: %d publishes of the fixed-rate phase started late (256 in flight)", r.Webhooks, f.Late))
		}
	}
	notes = append(notes, fmt.Sprintf("rates are medians of %s intervals; the durable count (a read-only SQLite count) took %s ms on average",
		cfg.interval, probeCost(res)),
		apiReadNote)
	for _, n := range notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
}

func probeCost(res *results) string {
	parts := make([]string, 0, len(res.Runs))
	for _, r := range res.Runs {
		parts = append(parts, fmt.Sprintf("%.1f (W=%d)", r.Saturation.ProbeMeanMS, r.Webhooks))
	}
	return strings.Join(parts, ", ")
}

func fmtCPU(c *cpuUse) string {
	if c == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f / %.2f", c.Self, c.Others)
}

// othersBusyCores is how much CPU other processes may take in a phase
// before the report calls its figures disturbed.
const othersBusyCores = 0.25

// othersBusy names the phases in which other processes took more than
// othersBusyCores ("" when none did).
func othersBusy(res *results) string {
	var phases []string
	check := func(name string, c *cpuUse) {
		if c != nil && c.Others > othersBusyCores {
			phases = append(phases, fmt.Sprintf("%s (%.2f cores)", name, c.Others))
		}
	}
	for _, r := range res.Runs {
		check(fmt.Sprintf("W=%d fixed rate", r.Webhooks), r.Fixed.CPU)
		check(fmt.Sprintf("W=%d saturation", r.Webhooks), r.Saturation.WindowCPU)
		check(fmt.Sprintf("W=%d draining", r.Webhooks), r.Saturation.DrainCPU)
	}
	if res.Backends != nil {
		for _, r := range res.Backends.Rows {
			name := backendName(r.Backend, r.Processes)
			check(name+" fixed rate", r.Fixed.CPU)
			check(name+" saturation", r.Saturation.WindowCPU)
			check(name+" draining", r.Drain.CPU)
		}
	}
	check("the ceiling", res.Ceiling.CPU)
	return strings.Join(phases, ", ")
}

// perCPU is rate per CPU-second of this process (0 when unknown).
func perCPU(rate float64, c *cpuUse) float64 {
	if c == nil || c.Self <= 0 {
		return 0
	}
	return rate / c.Self
}
