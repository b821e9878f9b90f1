package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// report is everything the markdown shows.
type report struct {
	Machine  machine
	Settings settings
	Results  []nResult
	Profile  *profileResult // nil: not profiled (-profile=false), or it failed
	// ProfileError is why the profiled run failed, "" if it did not.
	ProfileError string
}

type machine struct {
	Date, Commit     string
	Dirty            bool // the worktree had uncommitted changes to tracked files
	GoVersion        string
	TerraformVersion string
	NProc            int
	CPUModel         string
	MemGiB           float64
	Kernel           string
	LoadAvg          string // /proc/loadavg's first three fields when the run began
	LoadAvgEnd       string // and when it ended
}

type settings struct {
	Ns          []int
	Parallelism int
	Repeat      int
	Check       bool
	GC          gcSettings // -gogc, -gomemlimit
}

// nResult is what one N measured.
type nResult struct {
	N            int
	Measurements []measurement
}

func (r *report) checks() []checkResult {
	var out []checkResult
	for _, res := range r.Results {
		out = append(out, checks(res.N, res.Measurements)...)
	}
	return out
}

func (r *report) violations() []checkResult {
	var out []checkResult
	for _, c := range r.checks() {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// renderReport is the report as markdown.
func renderReport(r *report) string {
	var b strings.Builder
	m, s := r.Machine, r.Settings
	b.WriteString("# make bench: the hookd provider against Terraform's floor\n\n")
	commit := "commit " + m.Commit
	if m.Dirty {
		commit += " with uncommitted changes"
	}
	ns := make([]string, len(s.Ns))
	for i, n := range s.Ns {
		ns[i] = fmt.Sprint(n)
	}
	enforced := "checks enforced"
	if !s.Check {
		enforced = "checks informational (-check=false)"
	}
	fmt.Fprintf(&b, "%s, %s. N = %s `hookd_account_webhook` against as many `terraform_data` holding the same values (the floor: Terraform's own cost); `-parallelism=%d`; %d %s of each phase, provider and floor interleaved; %s.\n\n",
		m.Date, commit, strings.Join(ns, ", "), s.Parallelism, s.Repeat, plural(s.Repeat, "run", "runs"), enforced)
	if s.GC.set() {
		fmt.Fprintf(&b, "The provider's garbage collector: %s (-gogc, -gomemlimit; Terraform's, hookd's and the floor's as the caller's environment has them).\n\n", gcText(s.GC))
	}
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %.1f GiB, Linux %s, load average %s at the start and %s at the end; %s; Terraform %s; hookd local on loopback without rate limit, behind the bench's counting proxy.\n",
		m.NProc, m.CPUModel, m.MemGiB, m.Kernel, m.LoadAvg, m.LoadAvgEnd, m.GoVersion, m.TerraformVersion)

	for _, res := range r.Results {
		fmt.Fprintf(&b, "\n## N = %d\n\n", res.N)
		b.WriteString("| phase | provider s | floor s | ratio | terraform CPU s (provider / floor) | provider CPU s | provider peak RSS MiB | provider processes | requests/resource | catalog fetches/command | TCP connections | hookd CPU s |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|\n")
		for _, row := range rows(res.Measurements) {
			fmt.Fprintf(&b, "| %s | %.2f | %.2f | %s | %.2f / %.2f | %.2f | %.1f | %d | %s | %d | %d | %.2f |\n",
				row.Phase, row.Provider, row.Floor, ratioText(row.Ratio), row.TerraformCPU, row.FloorTerraformCPU, row.ProviderCPU,
				mib(row.PeakRSS), row.Procs, methodsText(row.PerResource), row.Catalog, row.Conns, row.HookdCPU)
		}
	}

	renderTargets(&b, r.targets())
	renderProfile(&b, r.Profile, r.ProfileError)

	b.WriteString("\n## Checks\n\n")
	b.WriteString("| N | phase | check | rule | observed (the most of any run) | verdict |\n|--:|---|---|---|---|---|\n")
	all := r.checks()
	failed := 0
	for _, c := range all {
		verdict := "pass"
		if !c.OK {
			verdict = "**FAIL**"
			failed++
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", c.N, c.Phase, c.Name, escapeCell(c.Rule), escapeCell(c.Observed), verdict)
	}
	switch {
	case failed == 0:
		fmt.Fprintf(&b, "\nVerdict: **PASS**, all %d checks hold.\n", len(all))
	case s.Check:
		fmt.Fprintf(&b, "\nVerdict: **FAIL**, %d of %d checks violated (bench exits 3).\n", failed, len(all))
	default:
		fmt.Fprintf(&b, "\nVerdict: **FAIL**, %d of %d checks violated; informational in this run (-check=false), the exit status ignores it.\n", failed, len(all))
	}

	b.WriteString(notes)

	b.WriteString("\n## Every command\n\n")
	b.WriteString("| N | run | kind | phase | wall s | terraform CPU s | provider CPU s (waited / sampled) | processes | peak RSS MiB | requests | TCP connections | hookd CPU s |\n")
	b.WriteString("|--:|--:|---|---|--:|--:|--:|--:|--:|---|--:|--:|\n")
	for _, res := range r.Results {
		for _, m := range res.Measurements {
			fmt.Fprintf(&b, "| %d | %d | %s | %s | %.2f | %.2f | %.2f / %.2f | %d | %.1f | %s | %d | %.2f |\n",
				m.N, m.Repeat, m.Kind, m.Phase, m.Wall.Seconds(), m.TerraformCPU.Seconds(), m.ChildrenCPU.Seconds(), m.Provider.CPU.Seconds(),
				m.Provider.Procs, mib(m.Provider.PeakRSS), escapeCell(routesText(m.API.Requests)), m.API.Conns, m.HookdCPU.Seconds())
		}
	}
	return b.String()
}

// notes say what the numbers are.
const notes = `
## What the numbers are

- **provider s, floor s**: wall time of the Terraform command, from its start to its exit, the median of the runs; **ratio** = provider / floor.
- **terraform CPU s**: user + system time of the terraform process itself, read from /proc/<pid>/stat after it exited and before bench reaped it (10 ms resolution); its children are not in it. The rusage os/exec reports for terraform (wait4: ProcessState.UserTime + SystemTime) is not used as is: it includes the children terraform waited for, the provider processes.
- **provider CPU s**: user + system time of the children terraform waited for (cutime + cstime of the same read): the provider processes Terraform started for the command (it starts several: **provider processes**). In the last table the second figure is the same CPU as sampled by polling /proc every 50 ms for processes whose executable is the provider build: it misses what a process did after its last poll, and the processes that live less than a poll (Terraform starts some only to read the schema), so it is lower, by much at small N. The process count comes from the same polling and can miss such short-lived processes too.
- **provider peak RSS MiB**: the largest VmHWM (peak resident set) polled from /proc/<pid>/status of any provider process during the command, the largest of the runs. Polling every 50 ms misses growth in a process's last 50 ms. The processes run one after another or side by side; this is the peak of one, not their sum.
- **requests/resource**: the requests hookd received during the command, counted by the proxy, by method, divided by N, the most of any run; the catalog (` + "`GET /v1/webhooks/events`" + `) is left out and counted per command in **catalog fetches/command** instead. **TCP connections**: connections the provider opened to hookd (through the proxy).
- **hookd CPU s**: hookd's own CPU time during the provider's command.
- Terraform, the provider, hookd and bench (proxy, polling) share the machine's CPUs, and so does anything else running: wall times suffer from that (see the load averages), CPU times hardly. The caller's TF_* and HOOKD_* variables are not passed on (no TF_LOG); others are, to Terraform and the provider alike (GOGC, GOMEMLIMIT).
`

func ratioText(r float64) string {
	if r == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2fx", r)
}

// methodsText is "GET 1.00, PATCH 1.00".
func methodsText(perResource map[string]float64) string {
	if len(perResource) == 0 {
		return "–"
	}
	var parts []string
	for _, method := range slices.Sorted(maps.Keys(perResource)) {
		parts = append(parts, fmt.Sprintf("%s %.2f", method, perResource[method]))
	}
	return strings.Join(parts, ", ")
}

// routesText is "DELETE /v1/webhooks/{id} 100, GET /v1/webhooks/events 3".
func routesText(reqs map[string]int) string {
	if len(reqs) == 0 {
		return "–"
	}
	var parts []string
	for _, rt := range slices.Sorted(maps.Keys(reqs)) {
		parts = append(parts, fmt.Sprintf("%s %d", rt, reqs[rt]))
	}
	return strings.Join(parts, ", ")
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// gcText is the provider's GC settings: the ones given, and the provider's
// own for the others.
func gcText(g gcSettings) string {
	gogc, limit := "the provider's own GOGC", "the provider's own GOMEMLIMIT"
	if g.GOGC != "" {
		gogc = "GOGC=" + g.GOGC
	}
	if g.GOMemLimit != "" {
		limit = "GOMEMLIMIT=" + g.GOMemLimit
	}
	return gogc + ", " + limit
}
