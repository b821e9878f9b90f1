// Command bench is `make bench`: it measures the provider against
// Terraform's own floor, with real Terraform and a fresh local hookd.
//
// It builds the provider and hookd into a temporary directory, starts hookd
// on a free loopback port (temporary database, generated API key, no rate
// limit), a receiver that answers 204, and a reverse proxy between Terraform
// and hookd that counts requests per Terraform command. For each N it
// generates N hookd_account_webhook and, as the floor, N terraform_data
// holding the same values, and runs apply, a no-change plan, an update of
// every resource and destroy, REPEAT times, provider and floor interleaved
// phase by phase. It reports per phase the median wall time and the ratio
// to the floor, Terraform's and the provider's CPU, the provider's peak
// RSS, the API requests per resource by method and the catalog fetches per
// command; checks the request budgets (see stats.go); judges issue 16's
// targets (see targets.go: met or missed, with the figure, and for a ratio
// missed where the CPU went); with -profile (the default) runs each phase
// once more at the largest N with a provider built with -tags
// benchprofile and breaks its CPU profiles down (see profile.go); and
// writes the report as markdown to <out>/<date>-<commit>.md and to
// standard output.
//
// Exit status: 0 done and the checks hold (or -check=false); 1 an error (a
// build, hookd or a Terraform command failed, or a no-change plan was not
// empty); 2 bad flags; 3 a check is violated; 130 interrupted.
//
// Linux only: it reads /proc.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is what the flags say.
type config struct {
	ns             []int
	parallelism    int
	repeat         int
	check          bool
	outDir         string
	terraform      string
	goCmd          string
	src            string
	commandTimeout time.Duration
	keep           bool
	profile        bool
	gc             gcSettings
}

const (
	exitError       = 1
	exitUsage       = 2
	exitCheckFailed = 3
	exitInterrupted = 130
)

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: bench [flags]\n\nMeasures the provider against the terraform_data floor with real Terraform and a local hookd (make bench).\n\n")
		fs.PrintDefaults()
	}
	c := &config{}
	ns := fs.String("n", "100,500", "resource counts, comma-separated")
	fs.IntVar(&c.parallelism, "p", 10, "terraform -parallelism")
	fs.IntVar(&c.repeat, "repeat", 3, "runs of each phase; the report gives medians")
	fs.BoolVar(&c.check, "check", true, "exit 3 when a request or catalog check is violated (false: the report shows the verdict, the exit status ignores it)")
	fs.StringVar(&c.outDir, "out", filepath.Join("bench", "results"), "directory of the report, written as <date>-<commit>.md (an existing one is replaced)")
	fs.StringVar(&c.terraform, "terraform", os.Getenv("TERRAFORM"), "the Terraform CLI (default $TERRAFORM, else terraform on PATH)")
	fs.StringVar(&c.goCmd, "go", "go", "the go command that builds the provider and hookd")
	fs.StringVar(&c.src, "src", ".", "the module to build and measure (its git commit names the report)")
	fs.DurationVar(&c.commandTimeout, "command-timeout", 30*time.Minute, "interrupt a Terraform command that runs longer")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (configurations, state, logs of every command)")
	fs.StringVar(&c.gc.GOGC, "gogc", "", "GOGC of the provider processes only (Terraform, hookd and the floor keep the caller's): a percentage or off; empty: the provider's own setting (main.go's tuneGC). Run bench once per value for a GOGC sweep: the report's settings name it")
	fs.StringVar(&c.gc.GOMemLimit, "gomemlimit", "", "GOMEMLIMIT of the provider processes only, as Go reads it (48MiB, 1GiB, a number of bytes, or off); empty: the provider's own setting")
	fs.BoolVar(&c.profile, "profile", true, "after the timed runs, run each phase once more at the largest N with a provider built with -tags benchprofile, and report where its CPU goes (not timed)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.ns, err = parseCounts(*ns); err != nil {
		return nil, fmt.Errorf("-n: %w", err)
	}
	if c.parallelism < 1 {
		return nil, errors.New("-p: must be at least 1")
	}
	if c.repeat < 1 {
		return nil, errors.New("-repeat: must be at least 1")
	}
	if c.gc.GOGC != "" && !gogcPattern.MatchString(c.gc.GOGC) {
		return nil, fmt.Errorf("-gogc: %q is not a percentage (100) or off", c.gc.GOGC)
	}
	if c.gc.GOMemLimit != "" && !goMemLimitPattern.MatchString(c.gc.GOMemLimit) {
		return nil, fmt.Errorf("-gomemlimit: %q is not a size as Go reads it (48MiB, 1GiB, 50331648) or off", c.gc.GOMemLimit)
	}
	if c.terraform == "" {
		c.terraform = "terraform"
	}
	return c, nil
}

// parseCounts reads "100,500".
func parseCounts(s string) ([]int, error) {
	var ns []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return nil, errors.New("give at least one count, such as 100,500")
	}
	return ns, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	rep, err := bench(ctx, cfg, stderr)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bench: interrupted; stopped what it started")
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitError
	}
	text := renderReport(rep)
	path := filepath.Join(cfg.outDir, reportName(rep.Machine.Date, rep.Machine.Commit))
	if err := os.MkdirAll(cfg.outDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitError
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitError
	}
	fmt.Fprint(stdout, text)
	fmt.Fprintf(stderr, "\nbench: report written to %s\n", path)
	if v := rep.violations(); len(v) > 0 {
		if cfg.check {
			fmt.Fprintf(stderr, "bench: FAIL: %d check(s) violated (see Checks in the report)\n", len(v))
			return exitCheckFailed
		}
		fmt.Fprintf(stderr, "bench: %d check(s) violated; informational only (-check=false)\n", len(v))
	}
	return 0
}

// reportName is <date>-<commit>.md.
func reportName(date, commit string) string {
	return date + "-" + commit + ".md"
}

// bench builds, starts what the run needs, measures every N and stops
// everything it started, also when ctx is cancelled.
func bench(ctx context.Context, cfg *config, progress io.Writer) (*report, error) {
	if runtime.GOOS != "linux" {
		return nil, errNotLinux
	}
	src, err := filepath.Abs(cfg.src)
	if err != nil {
		return nil, err
	}
	tf, err := exec.LookPath(cfg.terraform)
	if err != nil {
		return nil, fmt.Errorf("no terraform (%v): put it on PATH or set TERRAFORM=/path/to/terraform", err)
	}
	mach, err := machineInfo(ctx, cfg.goCmd, tf, src)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "hookd-bench-")
	if err != nil {
		return nil, err
	}
	if cfg.keep {
		fmt.Fprintf(progress, "bench: keeping %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	// /proc/<pid>/exe shows the binary's path with every link resolved.
	if work, err = filepath.EvalSymlinks(work); err != nil {
		return nil, err
	}

	fmt.Fprintf(progress, "bench: building the provider and hookd from %s (commit %s) into %s\n", src, mach.Commit, work)
	providerExe := filepath.Join(work, "providers", "terraform-provider-hookd")
	if err := hookdproc.GoBuild(ctx, cfg.goCmd, src, ".", providerExe); err != nil {
		return nil, err
	}
	var profiledExe string
	if cfg.profile {
		if profiledExe, err = profiledBuild(ctx, cfg.goCmd, src, work); err != nil {
			return nil, err
		}
	}
	hookdExe := filepath.Join(work, "hookd")
	if err := hookdproc.GoBuild(ctx, cfg.goCmd, src, "./cmd/hookd", hookdExe); err != nil {
		return nil, err
	}

	rcv, err := startReceiver()
	if err != nil {
		return nil, err
	}
	defer rcv.close()
	apiKey := hookdproc.NewAPIKey("hookd_bench_")
	// A process group of its own: a Ctrl-C to bench does not reach hookd,
	// which bench stops itself.
	hookd := &hookdproc.Hookd{Bin: hookdExe, Dir: work, APIKey: apiKey, Prepare: setProcessGroup}
	if err := hookd.Start(ctx); err != nil {
		return nil, err
	}
	defer hookd.Stop()
	addr := hookd.Addr
	proxy, err := startProxy("http://" + addr)
	if err != nil {
		return nil, err
	}
	defer proxy.close()
	fmt.Fprintf(progress, "bench: hookd (pid %d) on %s behind the counting proxy %s; receiver %s; %s\n", hookd.PID(), addr, proxy.URL, rcv.URL, mach.TerraformVersion)

	providerDir, err := providerInstallDir(providerExe, cfg.gc, filepath.Join(work, "providers-gc"))
	if err != nil {
		return nil, err
	}
	rc := filepath.Join(work, "terraformrc")
	if err := os.WriteFile(rc, []byte(cliConfig(providerDir)), 0o644); err != nil {
		return nil, err
	}
	r := &runner{
		cfg: cfg, providerExe: providerExe, proxy: proxy, hookdPID: hookd.PID(), receiverURL: rcv.URL, work: work, progress: progress,
		tfEnv: append(hookdproc.WithoutVars(os.Environ(), "TF_", "HOOKD_", "CHECKPOINT_"),
			"TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
			"HOOKD_ENDPOINT="+proxy.URL, "HOOKD_API_KEY="+apiKey),
	}
	r.cfg.terraform = tf
	rep := &report{Machine: mach, Settings: settings{Ns: cfg.ns, Parallelism: cfg.parallelism, Repeat: cfg.repeat, Check: cfg.check, GC: cfg.gc}}
	for _, n := range cfg.ns {
		start := time.Now()
		ms, err := r.benchN(ctx, n)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, nResult{N: n, Measurements: ms})
		fmt.Fprintf(progress, "bench: N=%d done in %s\n", n, time.Since(start).Round(time.Second))
	}
	if cfg.profile {
		largest := slices.Max(cfg.ns)
		// The timed runs are what the report is for: a profiled run that
		// fails costs its section, not the report.
		if rep.Profile, err = r.profileN(ctx, largest, profiledExe); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			fmt.Fprintf(progress, "bench: the profiled run failed, the report goes without it: %v\n", err)
			rep.ProfileError = err.Error()
		}
	}
	rep.Machine.LoadAvgEnd = loadAvg()
	return rep, nil
}

// cliConfig is a Terraform CLI configuration in which hookd/hookd comes
// from dir (dev_overrides: no terraform init, nothing downloaded), as
// scripts/lib/terraformrc.sh writes it.
func cliConfig(dir string) string {
	return fmt.Sprintf(`provider_installation {
  dev_overrides {
    "hookd/hookd" = %q
  }
  direct {}
}
`, dir)
}

// gcSettings are the garbage collector's settings of the provider
// processes (-gogc, -gomemlimit); "" leaves one as the provider sets it.
type gcSettings struct {
	GOGC       string
	GOMemLimit string
}

func (g gcSettings) set() bool { return g.GOGC != "" || g.GOMemLimit != "" }

// env is the settings as environment variables.
func (g gcSettings) env() []string {
	var out []string
	if g.GOGC != "" {
		out = append(out, "GOGC="+g.GOGC)
	}
	if g.GOMemLimit != "" {
		out = append(out, "GOMEMLIMIT="+g.GOMemLimit)
	}
	return out
}

var (
	gogcPattern       = regexp.MustCompile(`^(off|[0-9]+)$`)
	goMemLimitPattern = regexp.MustCompile(`^(off|[0-9]+(B|KiB|MiB|GiB|TiB)?)$`)
)

// providerInstallDir is the directory Terraform runs the provider from
// (dev_overrides): exe's own without GC settings; with them, dir, holding
// a script of exe's name that sets them and execs exe. Terraform passes
// its whole environment to the provider, so setting them there would
// change Terraform's collector and the floor's too. After the exec the
// process's executable is exe again, which is how bench finds the
// provider's processes in /proc.
func providerInstallDir(exe string, gc gcSettings, dir string) (string, error) {
	if !gc.set() {
		return filepath.Dir(exe), nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	script := "#!/bin/sh\nexec env " + strings.Join(gc.env(), " ") + " " + shellQuote(exe) + ` "$@"` + "\n"
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(exe)), []byte(script), 0o755); err != nil {
		return "", err
	}
	return dir, nil
}

// shellQuote is s as one sh word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
