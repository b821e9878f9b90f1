// Command benchdelivery is `make bench-delivery`: it measures hookd's
// delivery throughput and latency end to end, against what a plain HTTP
// client gets out of the same receiver.
//
// For each W (webhooks, default 1, 10 and 100) it starts a real hookd
// in-process (server.New, as cmd/hookd does) on 127.0.0.1:0 with a fresh
// temporary SQLite database, creates W account webhooks subscribed to one
// event type through the HTTP API, all pointing at one loopback receiver
// that answers 204 at once and records when it got which event's delivery,
// and runs two phases, each on a fresh hookd:
//
//   - fixed rate: events published through POST /v1/events at -rate
//     events/s (after a warm-up); p50/p99 from each publish call's return
//     to the receiver's receipt of each of its deliveries, and p99 to the
//     start of the first attempt as hookd recorded it;
//   - saturation: -publishers concurrent publishers flat out (after a
//     warm-up), for a window in which it samples, every -interval, the
//     events accepted and the deliveries recorded as succeeded in the store
//     (read through a read-only connection to the database: durable, not
//     merely received); then publishing stops and it keeps counting while
//     the backlog drains. Rates are medians of the intervals.
//
// Then the backends table, with -backend-webhooks webhooks: the same two
// phases with hookd as child processes of the benchmark (its own
// executable run again as hookd, see child.go) on SQLite with one process
// and on PostgreSQL with each of -processes (1 and 2: two hookd sharing
// one database, the publishers spread over both, deliveries counted in the
// shared database), and a drain phase per row (drainPhase): a backlog of
// -backend-backlog deliveries published before the row's processes start,
// so that every row drains from the same backlog. PostgreSQL is Debian's server, started by
// internal/pgtest with its durability settings on (-pg-synchronous-commit
// says whether commits wait for the WAL flush). The CPU of the hookd
// processes, of the PostgreSQL server's processes and of the driver are
// measured apart. SQLite with two processes is refused by hookd (one
// process per SQLite file): its row says so.
//
// Last, the ceiling: a plain Go client loop sending the same signed POSTs
// (a body and headers copied from a real delivery, signed afresh with
// internal/hookd/signing for every request) to the same receiver from as
// many goroutines as hookd has delivery workers.
//
// It prints a Markdown table, and with -json writes the figures to a file.
// The report ends with the goals of issue 13 §4 (goals.go), each judged
// PASS or MISS on the in-process SQLite table: with 10 and with 100
// webhooks, draining at least a quarter of the ceiling, and a p99 from
// publish to first attempt under 50 ms at 100 events/s. -quick (the CI
// smoke run, on a shared machine) judges none: it shows the figures and
// checks only that the harness runs and that hookd delivers.
// -cpuprofile profiles the saturation phases (window and drain; the drain
// alone with -cpuprofile-drain); the driver's own goroutines carry the
// label side=driver, so
//
//	go tool pprof -tagignore side=driver -top -cum <profile>
//
// shows hookd's side alone.
//
// Exit status: 0 done and no goal missed (or -check=false, or -quick); 1
// an error (a phase failed, nothing was delivered); 2 bad flags; 3 a goal
// was missed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
)

// driverLabels mark the benchmark's own goroutines in a CPU profile.
var driverLabels = pprof.Labels("side", "driver")

func main() {
	if isChild() {
		os.Exit(runChild())
	}
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

// The backends table's backlog (-backend-backlog): what every row's drain
// starts from. -quick's is smaller, to load in well under a second.
const (
	defaultBacklog = 20000
	quickBacklog   = 5000
)

// config is what the flags say.
type config struct {
	webhooks   []int
	workers    int // hookd's delivery workers; 0: its default
	publishers int
	rate       float64
	warmup     time.Duration
	fixed      time.Duration
	settle     time.Duration
	sat        time.Duration
	drain      time.Duration
	ceiling    time.Duration
	interval   time.Duration
	quick      bool
	quiet      time.Duration
	retries    int
	cpuProfile string
	drainOnly  bool // -cpuprofile-drain
	jsonOut    string
	check      bool
	// The backends table.
	backend         string // "" (auto), sqlite, postgres or both
	processes       []int
	backendWebhooks int
	backendBacklog  int64
	pgSyncCommit    string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("benchdelivery", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: benchdelivery [flags]\n\nMeasures hookd's delivery throughput and latency against a plain client's ceiling (make bench-delivery).\n\n")
		fs.PrintDefaults()
	}
	c := &config{}
	webhooks := fs.String("webhooks", "1,10,100", "webhook counts W of the in-process SQLite table, comma-separated; none: skip that table")
	fs.StringVar(&c.backend, "backend", "", "backends of the backends table: sqlite, postgres or both (default: both where PostgreSQL's binaries are found, else sqlite with a note)")
	processes := fs.String("processes", "1,2", "hookd process counts of the backends table, comma-separated (SQLite: 1 only)")
	fs.IntVar(&c.backendWebhooks, "backend-webhooks", 10, "webhook count W of the backends table")
	fs.Int64Var(&c.backendBacklog, "backend-backlog", defaultBacklog, fmt.Sprintf("backends table: the backlog every row drains, in deliveries (rounded up to whole events), published before its processes start; the saturation window ends there too (default %d, %d with -quick)", defaultBacklog, quickBacklog))
	fs.StringVar(&c.pgSyncCommit, "pg-synchronous-commit", "on", "PostgreSQL's synchronous_commit (fsync stays on): on waits for the WAL flush at every commit; off is closer to SQLite's WAL synchronous=NORMAL")
	fs.IntVar(&c.workers, "workers", 0, "hookd's delivery workers, and the ceiling's concurrency (0: hookd's default)")
	fs.IntVar(&c.publishers, "publishers", 16, "concurrent publishers at saturation")
	fs.Float64Var(&c.rate, "rate", 100, "events/s of the fixed-rate phase")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "warm-up before every measured phase (not counted)")
	fs.DurationVar(&c.fixed, "fixed", 4*time.Second, "measured length of the fixed-rate phase")
	fs.DurationVar(&c.settle, "settle", 3*time.Second, "longest wait for the fixed-rate phase's deliveries once publishing stops")
	fs.DurationVar(&c.sat, "sat", 6*time.Second, "measured window of the saturation phase")
	fs.DurationVar(&c.drain, "drain", 3*time.Second, "counting after the saturation window, publishing stopped")
	fs.DurationVar(&c.ceiling, "ceiling", 4*time.Second, "measured length of the plain client's run")
	fs.DurationVar(&c.interval, "interval", time.Second, "sampling interval of the rates (the figures are medians of the intervals)")
	fs.DurationVar(&c.quiet, "quiet", 0, "before each phase, wait up to this long for other processes to leave the CPU (a shared machine); 0: do not wait")
	fs.IntVar(&c.retries, "retries", 0, "run a phase again, on a fresh hookd, up to this many times while other processes use more than a quarter of a core during it; the least disturbed run counts")
	fs.BoolVar(&c.quick, "quick", false, "short phases (about 35 s in all, the backends table included), for a CI smoke run; explicit duration flags still win")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the saturation phases to this file (with several W, one file per W: name-w<W>.ext)")
	fs.BoolVar(&c.drainOnly, "cpuprofile-drain", false, "with -cpuprofile, profile the drain alone (publishing stopped): the engine's own work on a backlog")
	fs.StringVar(&c.jsonOut, "json", "", "also write the figures as JSON to this file")
	fs.BoolVar(&c.check, "check", true, "exit 3 when a goal of issue 13 §4 is missed (false: the report shows the verdict, the exit status ignores it); -quick judges no goal")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	if *webhooks != "none" {
		if c.webhooks, err = counts("-webhooks", *webhooks); err != nil {
			return nil, err
		}
	}
	if c.processes, err = counts("-processes", *processes); err != nil {
		return nil, err
	}
	if c.backendWebhooks < 1 {
		return nil, errors.New("-backend-webhooks must be positive")
	}
	if !slices.Contains([]string{"", backendSQLite, backendPostgres, "both"}, c.backend) {
		return nil, fmt.Errorf("-backend: %q is not sqlite, postgres or both", c.backend)
	}
	if c.drainOnly && c.cpuProfile == "" {
		return nil, errors.New("-cpuprofile-drain needs -cpuprofile, the file to write")
	}
	if c.pgSyncCommit != "on" && c.pgSyncCommit != "off" {
		return nil, fmt.Errorf("-pg-synchronous-commit: %q is not on or off", c.pgSyncCommit)
	}
	if c.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, d := range map[string]time.Duration{
			"warmup": 300 * time.Millisecond, "fixed": time.Second, "settle": time.Second, "sat": 1500 * time.Millisecond,
			"drain": 750 * time.Millisecond, "ceiling": time.Second, "interval": 250 * time.Millisecond,
		} {
			if !set[name] {
				_ = fs.Set(name, d.String())
			}
		}
		if !set["backend-backlog"] {
			c.backendBacklog = quickBacklog
		}
	}
	if c.backendBacklog < 1 {
		return nil, errors.New("-backend-backlog must be positive")
	}
	if c.publishers < 1 || c.rate <= 0 || c.workers < 0 || c.interval <= 0 {
		return nil, errors.New("-publishers, -rate and -interval must be positive, -workers not negative")
	}
	return c, nil
}

// counts parses a comma-separated list of positive counts.
func counts(name, list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive count", name, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// results is the whole run, as -json writes it.
type results struct {
	Started  time.Time        `json:"started"`
	Workers  int              `json:"workers"`
	Rate     float64          `json:"fixed_rate_events_per_s"`
	Runs     []wResult        `json:"runs"`
	Backends *backendsSection `json:"backends,omitempty"`
	Ceiling  ceilingResult    `json:"ceiling"`
	Goals    []goalResult     `json:"goals"`
}

// wResult is everything measured for one W.
type wResult struct {
	Webhooks   int         `json:"webhooks"`
	Fixed      fixedResult `json:"fixed_rate"`
	Saturation satResult   `json:"saturation"`
}

// run is one hookd with its webhooks, the receiver and a publisher.
type run struct {
	h        *hookd
	rcv      *receiver
	pub      *publisher
	webhooks int
	secret   string
	// backlogCap, when positive, ends the saturation window once this many
	// deliveries are queued (the backends table's: its rows drain that
	// backlog, drainPhase, and their windows do not queue more).
	backlogCap int64
}

// Exit statuses (scripts/bench's).
const (
	exitError      = 1
	exitUsage      = 2
	exitGoalMissed = 3
)

func runMain(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "benchdelivery:", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := measure(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "benchdelivery:", err)
		return exitError
	}
	return finish(cfg, res, stdout, stderr)
}

// finish judges the goals, prints the report, writes -json and returns the
// exit status.
func finish(cfg *config, res *results, stdout, stderr io.Writer) int {
	res.Goals = judgeGoals(cfg, res)
	writeReport(stdout, cfg, res)
	if cfg.jsonOut != "" {
		raw, err := json.MarshalIndent(res, "", "  ")
		if err == nil {
			err = os.WriteFile(cfg.jsonOut, append(raw, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "benchdelivery: write -json:", err)
			return exitError
		}
	}
	if m := missed(res.Goals); len(m) > 0 {
		if cfg.check {
			fmt.Fprintf(stderr, "benchdelivery: MISS: %d goal(s) missed (see Goals in the report)\n", len(m))
			return exitGoalMissed
		}
		fmt.Fprintf(stderr, "benchdelivery: %d goal(s) missed; informational only (-check=false)\n", len(m))
	}
	return 0
}

func measure(ctx context.Context, cfg *config, log io.Writer) (*results, error) {
	res := &results{Started: time.Now().UTC(), Workers: cfg.workers, Rate: cfg.rate}
	if res.Workers == 0 {
		res.Workers = delivery.DefaultWorkers
	}
	var rcv *receiver
	var err error
	pprof.Do(ctx, driverLabels, func(context.Context) { rcv, err = startReceiver() })
	if err != nil {
		return nil, err
	}
	defer rcv.close()
	for _, w := range cfg.webhooks {
		fmt.Fprintf(log, "W=%d: fixed rate %.0f events/s\n", w, cfg.rate)
		wr := wResult{Webhooks: w}
		wr.Fixed, err = leastDisturbed(ctx, cfg, log, func(int) (fixedResult, error) {
			var fr fixedResult
			err := withRun(ctx, cfg, rcv, w, inProcess(cfg), func(r *run) error {
				quietOrSay(ctx, cfg, log)
				var err error
				fr, err = fixedRate(ctx, cfg, r)
				return err
			})
			return fr, err
		}, func(fr fixedResult) float64 { return others(fr.CPU) })
		if err != nil {
			return nil, fmt.Errorf("fixed rate, %d webhooks: %w", w, err)
		}
		fmt.Fprintf(log, "W=%d: saturation, %d publishers\n", w, cfg.publishers)
		prof := newProfiles(cfg, w, log)
		wr.Saturation, err = leastDisturbed(ctx, cfg, log, func(try int) (satResult, error) {
			var sr satResult
			err := withRun(ctx, cfg, rcv, w, inProcess(cfg), func(r *run) error {
				quietOrSay(ctx, cfg, log)
				var err error
				sr, err = saturation(ctx, cfg, r, prof.start(try))
				sr.try = try
				return err
			})
			return sr, err
		}, func(sr satResult) float64 { return max(others(sr.WindowCPU), others(sr.DrainCPU)) })
		prof.keep(wr.Saturation.try)
		if err != nil {
			return nil, fmt.Errorf("saturation, %d webhooks: %w", w, err)
		}
		res.Runs = append(res.Runs, wr)
	}
	if res.Backends, err = measureBackends(ctx, cfg, rcv, log); err != nil {
		return nil, fmt.Errorf("backends: %w", err)
	}
	s := rcv.delivery()
	if s == nil {
		return nil, errors.New("no delivery was received, nothing to copy for the ceiling")
	}
	fmt.Fprintf(log, "ceiling: plain client, %d concurrent\n", res.Workers)
	res.Ceiling, err = leastDisturbed(ctx, cfg, log, func(int) (c ceilingResult, err error) {
		quietOrSay(ctx, cfg, log)
		pprof.Do(ctx, driverLabels, func(ctx context.Context) {
			c, err = ceiling(ctx, cfg, rcv, s, rcv.signingSecret(), res.Workers)
		})
		return c, err
	}, func(c ceilingResult) float64 { return others(c.CPU) })
	if err != nil {
		return nil, fmt.Errorf("ceiling: %w", err)
	}
	return res, nil
}

// quietOrSay waits for a quiet machine (-quiet) and says when it waited
// in vain.
func quietOrSay(ctx context.Context, cfg *config, log io.Writer) {
	if !waitQuiet(ctx, cfg.quiet) {
		fmt.Fprintf(log, "other processes still use the CPU after %s: measuring anyway\n", cfg.quiet)
	}
}

// inProcess starts hookd in-process on SQLite (the W table's).
func inProcess(cfg *config) func(context.Context) (*hookd, error) {
	return func(ctx context.Context) (*hookd, error) { return startHookd(ctx, cfg.workers) }
}

// withRun starts a fresh hookd with w webhooks on the receiver, runs fn,
// and stops hookd. The receiver remembers the signing secret of the run's
// first webhook, for the ceiling.
func withRun(ctx context.Context, cfg *config, rcv *receiver, w int, start func(context.Context) (*hookd, error), fn func(*run) error) error {
	h, err := start(ctx)
	if err != nil {
		return err
	}
	defer h.stop()
	r := &run{h: h, rcv: rcv, webhooks: w}
	if r.secret, err = h.createWebhooks(ctx, w, rcv.url); err != nil {
		return err
	}
	rcv.setSigningSecret(r.secret)
	data, err := h.exampleData(ctx)
	if err != nil {
		return err
	}
	if r.pub, err = newPublisher(h, data, max(cfg.publishers, 64)); err != nil {
		return err
	}
	defer r.pub.close()
	_ = rcv.take()
	return fn(r)
}

// profiles are the CPU profiles of W's saturation phase, one per try
// (-cpuprofile), of which the one kept is renamed to the path asked for.
type profiles struct {
	path  string // "" without -cpuprofile
	w     int
	log   io.Writer
	tries map[int]string
}

func newProfiles(cfg *config, w int, log io.Writer) *profiles {
	p := &profiles{w: w, log: log, tries: map[int]string{}}
	if cfg.cpuProfile == "" {
		return p
	}
	p.path = cfg.cpuProfile
	if len(cfg.webhooks) > 1 {
		ext := filepath.Ext(p.path)
		p.path = fmt.Sprintf("%s-w%d%s", strings.TrimSuffix(p.path, ext), w, ext)
	}
	return p
}

// start returns what starts the profile of one try and returns its stop.
func (p *profiles) start(try int) func() func() {
	if p.path == "" {
		return func() func() { return func() {} }
	}
	path := fmt.Sprintf("%s.try%d", p.path, try)
	return func() func() {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(p.log, "benchdelivery: cpu profile:", err)
			return func() {}
		}
		p.tries[try] = path
		return func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}
	}
}

// keep renames the profile of try to the path asked for and removes the
// others.
func (p *profiles) keep(try int) {
	for t, path := range p.tries {
		if t != try {
			_ = os.Remove(path)
			continue
		}
		if err := os.Rename(path, p.path); err != nil {
			fmt.Fprintln(p.log, "benchdelivery: cpu profile:", err)
			continue
		}
		fmt.Fprintf(p.log, "W=%d: CPU profile in %s (hookd's side: go tool pprof -tagignore side=driver -top -cum %s)\n", p.w, p.path, p.path)
	}
}

// leastDisturbed runs a phase, and again (up to cfg.retries more times)
// while other processes used more than othersBusyCores during it; it keeps
// the least disturbed run.
func leastDisturbed[T any](ctx context.Context, cfg *config, log io.Writer, phase func(try int) (T, error), othersOf func(T) float64) (T, error) {
	var best T
	bestOthers := math.Inf(1)
	for try := 0; ; try++ {
		v, err := phase(try)
		if err != nil {
			return v, err
		}
		o := othersOf(v)
		if o < bestOthers {
			best, bestOthers = v, o
		}
		if o <= othersBusyCores || try >= cfg.retries {
			return best, nil
		}
		if ctx.Err() != nil {
			return best, ctx.Err()
		}
		fmt.Fprintf(log, "  other processes used %.2f cores: again (%d of %d)\n", o, try+1, cfg.retries)
	}
}

// others is the CPU other processes used (0 when unknown).
func others(c *cpuUse) float64 {
	if c == nil {
		return 0
	}
	return c.Others
}
