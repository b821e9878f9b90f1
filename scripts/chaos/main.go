// Command chaos is `make chaos`: Terraform converges through a flaky API
// and a hookd that dies, and leaves nothing behind.
//
// It builds the provider and hookd, starts hookd as a process on a free
// loopback port, and puts a fault-injecting reverse proxy
// (internal/faultproxy) between Terraform and it: a share of the requests
// (-rate, 20 % by default) is answered 500, 503 or 429 (Retry-After: 1),
// delayed, or dropped before or after it reached hookd. Then, twice:
//
//   - faults: terraform apply of N hookd_account_webhook, a plan that must
//     be empty (-detailed-exitcode 0), exactly N webhooks on hookd (counted
//     straight from hookd, not through the proxy), each in the state,
//     destroy, and none left;
//   - crash: the same, with hookd killed (SIGKILL, by its pid) while the
//     apply runs (-kills times, 3 by default) and restarted each time on
//     the same database and port.
//
// It prints the faults injected, the retries the provider made (from its
// debug log), and the duplicates and orphans found, which must be 0.
//
// Exit status: 0 every check holds; 1 a check failed or a command did; 2
// bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/faultproxy"
	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	n           int
	rate        float64
	kinds       []faultproxy.Kind
	parallelism int
	maxRetries  int
	kills       int
	seed        uint64
	terraform   string
	goCmd       string
	src         string
	keep        bool
	timeout     time.Duration
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	fs.IntVar(&c.n, "n", 200, "hookd_account_webhook resources")
	fs.Float64Var(&c.rate, "rate", 0.2, "share of requests the proxy fails, 0 to 1")
	kinds := fs.String("kinds", "", "the faults drawn from, comma-separated (default all: 500,503,429,latency,drop-before,drop-after)")
	fs.IntVar(&c.parallelism, "p", 10, "terraform -parallelism")
	fs.IntVar(&c.maxRetries, "max-retries", -1, "the provider's max_retries (default: left out, so the provider's own default is what is tested)")
	fs.IntVar(&c.kills, "kills", 3, "how many times the crash scenario kills hookd during its apply")
	fs.Uint64Var(&c.seed, "seed", 0, "seed of the fault draws (0: random, printed)")
	fs.StringVar(&c.terraform, "terraform", os.Getenv("TERRAFORM"), "the Terraform CLI (default $TERRAFORM, else terraform on PATH)")
	fs.StringVar(&c.goCmd, "go", "go", "the go command that builds the provider and hookd")
	fs.StringVar(&c.src, "src", ".", "the module to build")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (state, logs)")
	fs.DurationVar(&c.timeout, "timeout", 8*time.Minute, "give up on the whole run after this long")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.n < 1:
		return nil, errors.New("-n: must be at least 1")
	case c.rate < 0 || c.rate > 1:
		return nil, errors.New("-rate: must be between 0 and 1")
	case c.parallelism < 1:
		return nil, errors.New("-p: must be at least 1")
	case c.kills < 1 || c.kills >= c.n:
		return nil, errors.New("-kills: must be at least 1 and less than -n")
	}
	if c.terraform == "" {
		c.terraform = "terraform"
	}
	if c.kinds, err = parseKinds(*kinds); err != nil {
		return nil, fmt.Errorf("-kinds: %w", err)
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "chaos: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	results, err := chaos(ctx, cfg, stdout)
	for _, r := range results {
		fmt.Fprintln(stdout, r)
	}
	if err != nil {
		fmt.Fprintf(stderr, "chaos: FAIL: %v\n", err)
		return 1
	}
	for _, r := range results {
		if !r.ok() {
			fmt.Fprintf(stderr, "chaos: FAIL: %s\n", r.verdict())
			return 1
		}
	}
	fmt.Fprintln(stdout, "chaos: PASS")
	return 0
}

// chaos builds, starts hookd and the proxy, runs both scenarios and stops
// everything it started.
func chaos(ctx context.Context, cfg *config, progress io.Writer) ([]*result, error) {
	src, err := filepath.Abs(cfg.src)
	if err != nil {
		return nil, err
	}
	tf, err := exec.LookPath(cfg.terraform)
	if err != nil {
		return nil, fmt.Errorf("no terraform (%v): put it on PATH or set TERRAFORM=/path/to/terraform", err)
	}
	work, err := os.MkdirTemp("", "hookd-chaos-")
	if err != nil {
		return nil, err
	}
	if cfg.keep {
		fmt.Fprintf(progress, "chaos: keeping %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	start := time.Now()
	providerDir := filepath.Join(work, "providers")
	if err := hookdproc.GoBuild(ctx, cfg.goCmd, src, ".", filepath.Join(providerDir, "terraform-provider-hookd")); err != nil {
		return nil, err
	}
	hookdExe := filepath.Join(work, "hookd")
	if err := hookdproc.GoBuild(ctx, cfg.goCmd, src, "./cmd/hookd", hookdExe); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "chaos: built the provider and hookd in %s\n", time.Since(start).Round(100*time.Millisecond))

	h := &hookdproc.Hookd{Bin: hookdExe, Dir: work, APIKey: hookdproc.NewAPIKey("hookd_chaos_")}
	if err := h.Start(ctx); err != nil {
		return nil, err
	}
	defer h.Stop()
	target, _ := url.Parse("http://" + h.Addr)
	if len(cfg.kinds) == 0 {
		cfg.kinds = faultproxy.Kinds
	}
	proxy := faultproxy.New(target, faultproxy.Options{Rate: cfg.rate, Kinds: cfg.kinds, Seed: cfg.seed})
	defer proxy.Close()
	proxyURL, stopProxy, err := hookdproc.ServeLoopback(proxy)
	if err != nil {
		return nil, err
	}
	defer stopProxy()
	fmt.Fprintf(progress, "chaos: hookd (pid %d) on %s behind the fault proxy %s: %.0f %% of requests faulted (%v), seed %d\n",
		h.PID(), h.Addr, proxyURL, cfg.rate*100, cfg.kinds, cfg.seed)

	rc := filepath.Join(work, "terraformrc")
	if err := os.WriteFile(rc, []byte(cliConfig(providerDir)), 0o644); err != nil {
		return nil, err
	}
	s := &scenario{
		cfg: cfg, terraform: tf, work: work, hookd: h, proxy: proxy, progress: progress,
		env: append(hookdproc.WithoutVars(os.Environ(), "TF_", "HOOKD_", "CHECKPOINT_"),
			"TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
			"HOOKD_ENDPOINT="+proxyURL, "HOOKD_API_KEY="+h.APIKey),
	}
	var results []*result
	for _, crash := range []bool{false, true} {
		r, err := s.run(ctx, crash)
		if r != nil {
			results = append(results, r)
		}
		if err != nil {
			return results, err
		}
	}
	fmt.Fprintf(progress, "chaos: done in %s\n", time.Since(start).Round(time.Second))
	return results, nil
}

// parseKinds reads "500,drop-after"; "" is nil (every kind).
func parseKinds(s string) ([]faultproxy.Kind, error) {
	var out []faultproxy.Kind
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k := faultproxy.Kind(f)
		if !slices.Contains(faultproxy.Kinds, k) {
			return nil, fmt.Errorf("%q is not one of %v", f, faultproxy.Kinds)
		}
		out = append(out, k)
	}
	return out, nil
}

// cliConfig is a Terraform CLI configuration in which hookd/hookd comes
// from dir (dev_overrides: no terraform init, nothing downloaded).
func cliConfig(dir string) string {
	return fmt.Sprintf(`provider_installation {
  dev_overrides {
    "hookd/hookd" = %q
  }
  direct {}
}
`, dir)
}
