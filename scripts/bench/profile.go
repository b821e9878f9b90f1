package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/pprof/profile"

	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

// Where the provider's CPU goes. Terraform starts the provider itself, so
// no profiler can be attached from outside: bench builds a second provider
// with -tags benchprofile (profile_benchprofile.go at the module's root),
// each of whose processes writes a CPU profile of its whole life into
// $HOOKD_BENCH_PROFILE_DIR. After the timed runs, bench runs every phase
// once more at the largest N with that build, one profile directory per
// phase, and breaks the profiles down. The profiled run is not timed (the
// profiler costs a few per cent); its figures are pprof's samples at 100 Hz.

// profiledPhase is what the profiles of one phase say.
type profiledPhase struct {
	Phase     phase
	Processes int // profiles read: provider processes Terraform started
	// Unreadable are the profile files that did not parse (a process
	// killed before it finished writing its profile), left out.
	Unreadable int
	Total      time.Duration
	// Categories is the CPU of each of cpuCategories, in their order.
	Categories []time.Duration
	// RPCs is the CPU under each RPC of the plugin protocol, most first;
	// outsideRPC is the CPU of no RPC (garbage collector, start-up).
	RPCs []funcCPU
	// Top are the framework's and the provider's functions with the most
	// CPU under them (cumulative), most first, the RPC entry points left
	// out.
	Top []funcCPU
}

type funcCPU struct {
	Name string
	CPU  time.Duration
}

// profileResult is the profiled run.
type profileResult struct {
	N      int
	Phases []profiledPhase
}

// phase is the profile of one phase, nil when there is none.
func (pr *profileResult) phase(ph phase) *profiledPhase {
	if pr == nil {
		return nil
	}
	for i := range pr.Phases {
		if pr.Phases[i].Phase == ph {
			return &pr.Phases[i]
		}
	}
	return nil
}

// cpuCategory is a share of the provider's CPU, recognized by the frames of
// a sample's stack: a sample counts in the first category one of whose
// markers is in one of its frames' function names.
type cpuCategory struct {
	Name    string
	Markers []string
}

const (
	fw        = "github.com/hashicorp/terraform-plugin-framework/"
	tftypes   = "github.com/hashicorp/terraform-plugin-go/tftypes."
	ours      = "github.com/hookd/terraform-provider-hookd/internal/"
	rpcPrefix = "github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server.(*server)."
)

// outsideRPC names the CPU of no RPC in profiledPhase.RPCs.
const outsideRPC = "(no RPC: garbage collector, start-up, gRPC's own goroutines)"

// cpuCategories, in the order a sample is tested against them: the
// garbage collector's background work first; then HTTP to hookd; then
// the provider's code, with everything it calls: a sample with a frame of
// the provider's package anywhere on its stack is the provider's, even
// where its leaf is in the framework or tftypes (a path read of a plan
// modifier, a schema's Type() made by the codec, a Get called by a
// resource), since the provider chose to make that call; then what the
// framework does on its own, called by no provider code; the rest last.
// The RPC's entry and the provider's wrapper of every RPC
// (internal/protoserver) are under every sample and do not count as the
// provider's. Allocations count where they are made (runtime.mallocgc
// under a framework function counts for that function's category).
var cpuCategories = []cpuCategory{
	{"garbage collector (background marking)", []string{"runtime.gcBgMarkWorker"}},
	{"HTTP to hookd (client, JSON)", []string{"net/http.", ours + "client."}},
	{"the provider's code, with the framework and tftypes calls it makes", []string{ours + "provider."}},
	{"framework, on its own: reflection between models and values (Get, Set)", []string{fw + "internal/reflect."}},
	{"framework, on its own: walks of the schema and path lookups (defaults, plan modifiers, validators, write-only, semantic equality)", []string{
		tftypes + "Transform", tftypes + "Walk", fw + "internal/fwschema.", fw + "internal/fwschemadata.", fw + "resource/schema.",
	}},
	{"framework, on its own: values to and from Terraform (msgpack, JSON state)", []string{
		fw + "internal/fromproto6.", fw + "internal/toproto6.", "tfprotov6.DynamicValue", "tfprotov6.(*DynamicValue)",
		tftypes + "ValueFromMsgPack", tftypes + "ValueFromJSON", tftypes + "msgpack", "vmihailenco/msgpack",
	}},
	{"the rest: gRPC, protobuf, the framework's server, the runtime", nil},
}

// profiledBuild builds the provider with -tags benchprofile into its own
// directory under work.
func profiledBuild(ctx context.Context, goCmd, src, work string) (string, error) {
	exe := filepath.Join(work, "profiled-provider", "terraform-provider-hookd")
	if err := hookdproc.GoBuild(ctx, goCmd, src, ".", exe, "-tags", "benchprofile"); err != nil {
		return "", err
	}
	return exe, nil
}

// profileN runs every phase once at N with the profiling build exe, in a
// fresh working directory, and breaks down each phase's profiles.
func (r *runner) profileN(ctx context.Context, n int, exe string) (*profileResult, error) {
	base := filepath.Join(r.work, "profiled")
	rc := filepath.Join(base, "terraformrc")
	dir := filepath.Join(base, fmt.Sprintf("n%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	providerDir, err := providerInstallDir(exe, r.cfg.gc, filepath.Join(base, "providers-gc"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(rc, []byte(cliConfig(providerDir)), 0o644); err != nil {
		return nil, err
	}
	pr := *r
	pr.work, pr.providerExe = base, exe
	res := &profileResult{N: n}
	for _, ph := range phases {
		profDir := filepath.Join(base, "profiles", string(ph))
		if err := os.MkdirAll(profDir, 0o755); err != nil {
			return nil, err
		}
		pr.tfEnv = append(hookdproc.WithoutVars(r.tfEnv, "TF_CLI_CONFIG_FILE", "HOOKD_BENCH_PROFILE_DIR"),
			"TF_CLI_CONFIG_FILE="+rc, "HOOKD_BENCH_PROFILE_DIR="+profDir)
		if _, err := pr.phase(ctx, dir, kindProvider, ph, n, 1); err != nil {
			return nil, fmt.Errorf("profiled run: %w", err)
		}
		p, err := readProfiles(profDir)
		if err != nil {
			return nil, fmt.Errorf("profiled run, %s: %w", ph, err)
		}
		pp := breakDown(p.merged)
		pp.Phase, pp.Processes, pp.Unreadable = ph, p.files, p.unreadable
		res.Phases = append(res.Phases, pp)
		fmt.Fprintf(r.progress, "N=%d profiled: %-7s provider CPU %.2f s in %d profiles\n", n, ph, pp.Total.Seconds(), pp.Processes)
	}
	return res, nil
}

type profiles struct {
	merged     *profile.Profile
	files      int
	unreadable int
}

// readProfiles merges the CPU profiles of a directory, leaving out those
// that do not parse; none that does is an error.
func readProfiles(dir string) (profiles, error) {
	names, err := filepath.Glob(filepath.Join(dir, "cpu-*.prof"))
	if err != nil {
		return profiles{}, err
	}
	if len(names) == 0 {
		return profiles{}, fmt.Errorf("no profile in %s: was the provider built with -tags benchprofile?", dir)
	}
	var ps []*profile.Profile
	unreadable := 0
	var firstErr error
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return profiles{}, err
		}
		p, err := profile.Parse(f)
		_ = f.Close()
		if err != nil {
			unreadable++
			firstErr = cmp.Or(firstErr, fmt.Errorf("%s: %w", filepath.Base(name), err))
			continue
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return profiles{}, fmt.Errorf("no profile in %s parses: %w", dir, firstErr)
	}
	merged, err := profile.Merge(ps)
	if err != nil {
		return profiles{}, err
	}
	return profiles{merged: merged, files: len(ps), unreadable: unreadable}, nil
}

// breakDown sorts a CPU profile's samples into cpuCategories and RPCs and
// sums the CPU under each function. Phase and Processes are left to the
// caller.
func breakDown(p *profile.Profile) profiledPhase {
	out := profiledPhase{Categories: make([]time.Duration, len(cpuCategories))}
	vi := slices.IndexFunc(p.SampleType, func(t *profile.ValueType) bool { return t.Type == "cpu" })
	if vi < 0 {
		return out
	}
	rpcs, cum := map[string]time.Duration{}, map[string]time.Duration{}
	for _, s := range p.Sample {
		cpu := time.Duration(s.Value[vi])
		out.Total += cpu
		frames := sampleFrames(s)
		out.Categories[categorize(frames)] += cpu
		rpc := outsideRPC
		seen := map[string]bool{}
		for _, f := range frames {
			if name, ok := strings.CutPrefix(f, rpcPrefix); ok {
				rpc = name
			}
			if !seen[f] && topCandidate(f) {
				seen[f] = true
				cum[f] += cpu
			}
		}
		rpcs[rpc] += cpu
	}
	out.RPCs = sortedFuncs(rpcs, 0)
	out.Top = sortedFuncs(cum, 10)
	return out
}

// sampleFrames are the function names of a sample's stack, leaf first,
// inlined calls included.
func sampleFrames(s *profile.Sample) []string {
	var out []string
	for _, loc := range s.Location {
		for _, line := range loc.Line {
			if line.Function != nil {
				out = append(out, line.Function.Name)
			}
		}
	}
	return out
}

// categorize is the index in cpuCategories of a stack's category.
func categorize(frames []string) int {
	for i, c := range cpuCategories {
		for _, m := range c.Markers {
			for _, f := range frames {
				if strings.Contains(f, m) {
					return i
				}
			}
		}
	}
	return len(cpuCategories) - 1
}

// topCandidate: an exported function or method of the framework or the
// provider, not an RPC's entry point (every sample of the RPC is under
// those). Unexported helpers are left out: each carries the same CPU as
// the exported function that calls it (tftypes.Transform, transform,
// transformUnderlying), and would fill the list with one cost.
func topCandidate(f string) bool {
	if !strings.HasPrefix(f, fw) && !strings.HasPrefix(f, tftypes) && !strings.HasPrefix(f, ours) {
		return false
	}
	name := f[strings.LastIndex(f, ".")+1:]
	if name == "" || !unicode.IsUpper(rune(name[0])) {
		return false
	}
	for _, entry := range []string{fw + "internal/proto6server.", fw + "internal/fwserver.(*Server).", ours + "protoserver."} {
		if strings.HasPrefix(f, entry) {
			return false
		}
	}
	return true
}

// sortedFuncs is m most first (then by name), at most limit of them (0:
// all).
func sortedFuncs(m map[string]time.Duration, limit int) []funcCPU {
	out := make([]funcCPU, 0, len(m))
	for name, cpu := range m {
		out = append(out, funcCPU{Name: name, CPU: cpu})
	}
	slices.SortFunc(out, func(a, b funcCPU) int {
		return cmp.Or(cmp.Compare(b.CPU, a.CPU), cmp.Compare(a.Name, b.Name))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// shortName drops the module paths of a function's name.
func shortName(f string) string {
	for _, prefix := range []string{"github.com/hashicorp/", "github.com/hookd/terraform-provider-hookd/"} {
		f = strings.TrimPrefix(f, prefix)
	}
	return f
}

// renderProfile is the report's section on the profiled run.
func renderProfile(b *strings.Builder, pr *profileResult, failed string) {
	if failed != "" {
		fmt.Fprintf(b, "\n## Where the provider's CPU goes\n\nThe profiled run failed, so this report has no profile: %s\n", failed)
		return
	}
	if pr == nil || len(pr.Phases) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## Where the provider's CPU goes (N = %d, profiled)\n\n", pr.N)
	b.WriteString("One more run of each phase after the timed ones, with the provider built with `-tags benchprofile`: each provider process writes a CPU profile of its whole life (pprof, 100 samples a second), and the profiles of a phase are merged. Not timed, and not in the tables above. A sample counts in the first category, in the order of the rows, that one of the functions on its stack belongs to: under any function of the provider's package, it is the provider's, whatever the provider called (the framework's rows are what the framework does when no provider code called it); allocations count where they are made, the garbage collector's background marking apart.\n\n")
	b.WriteString("| where |")
	for _, p := range pr.Phases {
		fmt.Fprintf(b, " %s |", p.Phase)
	}
	b.WriteString("\n|---|")
	for range pr.Phases {
		b.WriteString("--:|")
	}
	b.WriteString("\n")
	for i, c := range cpuCategories {
		fmt.Fprintf(b, "| %s |", escapeCell(c.Name))
		for _, p := range pr.Phases {
			fmt.Fprintf(b, " %s |", shareText(p.Categories[i], p.Total))
		}
		b.WriteString("\n")
	}
	b.WriteString("| **all** (profiles: provider processes) |")
	for _, p := range pr.Phases {
		fmt.Fprintf(b, " %.2f s (%d) |", p.Total.Seconds(), p.Processes)
	}
	for _, p := range pr.Phases {
		if p.Unreadable > 0 {
			fmt.Fprintf(b, "\n\n%s: %d %s did not parse and %s left out (a process killed before it finished writing).", p.Phase, p.Unreadable,
				plural(p.Unreadable, "profile", "profiles"), plural(p.Unreadable, "is", "are"))
		}
	}
	b.WriteString("\n\nBy RPC of the plugin protocol (the CPU spent under each, whatever it did):\n\n| phase | RPCs, most first |\n|---|---|\n")
	for _, p := range pr.Phases {
		parts := make([]string, 0, len(p.RPCs))
		for _, f := range p.RPCs {
			parts = append(parts, fmt.Sprintf("%s %s", f.Name, shareText(f.CPU, p.Total)))
		}
		fmt.Fprintf(b, "| %s | %s |\n", p.Phase, escapeCell(strings.Join(parts, "; ")))
	}
	b.WriteString("\nThe framework's and the provider's functions with the most CPU under them (cumulative: a function's callees included, so the rows overlap):\n\n| phase | functions, most first |\n|---|---|\n")
	for _, p := range pr.Phases {
		parts := make([]string, 0, len(p.Top))
		for _, f := range p.Top {
			parts = append(parts, fmt.Sprintf("`%s` %s", shortName(f.Name), shareText(f.CPU, p.Total)))
		}
		fmt.Fprintf(b, "| %s | %s |\n", p.Phase, escapeCell(strings.Join(parts, "; ")))
	}
}

// shareText is "1.23 s (45 %)".
func shareText(part, total time.Duration) string {
	if total <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f s (%.0f %%)", part.Seconds(), 100*float64(part)/float64(total))
}
