// Command hookd is the reference server of the Hooks API v1: it stores
// groups and webhooks in SQLite (one process) or PostgreSQL (several
// processes sharing the work), delivers events, and serves the event
// catalog.
//
//	hookd serve [flags]     run the server
//	hookd migrate [--db X]  bring the database's schema up to date and exit
//	hookd copy --from X --to Y  copy a database into a new, empty one
//	hookd version           print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/httpapi"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := serve(ctx, args[1:], stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "hookd: %v\n", err)
			return 1
		}
		return 0
	case "migrate":
		if err := migrateCmd(context.Background(), args[1:], stdout, stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "hookd: %v\n", err)
			return 1
		}
		return 0
	case "copy":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := copyCmd(ctx, args[1:], stdout, stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "hookd: %v\n", err)
			return 1
		}
		return 0
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "hookd %s\n", version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "hookd: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: hookd <command> [flags]

commands:
  serve     run the Hooks API server (hookd serve -h for its flags)
  migrate   bring the database's schema up to date and exit (hookd serve does it too)
  copy      copy every webhook, secret and delivery into a new, empty database (SQLite or PostgreSQL, either way)
  version   print the version
`)
}

type serveFlags struct {
	addr, metricsAddr, db, apiKey, catalog string
	logLevel, logFormat                    string
	allowPrivate, console                  bool
	rateLimit, authFailureLimit            float64
	rateBurst, workers                     int
	retention, attemptTimeout              time.Duration
	perWebhook                             int
	trustedProxies                         []netip.Prefix
}

// parseServeFlags reads flags; each has an environment twin HOOKD_<NAME>
// that sets its default, so a flag on the command line wins.
func parseServeFlags(args []string, stderr io.Writer) (*serveFlags, error) {
	fs := flag.NewFlagSet("hookd serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &serveFlags{}
	var errs []error
	str := func(p *string, name, def, help string) {
		fs.StringVar(p, name, envOr(name, def), help+" (env "+envName(name)+")")
	}
	str(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	str(&f.metricsAddr, "metrics-addr", "", "address of a separate listener serving GET /metrics without an API key; when empty, /metrics is served on --addr and requires the API key")
	str(&f.db, "db", "./hookd.db", dbHelp)
	str(&f.apiKey, "api-key", "", "the API key clients must send; when empty, keys stored in the database apply and a first one is generated and printed once")
	str(&f.catalog, "catalog", "", "JSON file replacing the built-in event catalog")
	str(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	str(&f.logFormat, "log-format", "text", "text or json")
	var trusted string
	str(&trusted, "trusted-proxies", "", "IP addresses and CIDR prefixes of the proxies in front of hookd (a TLS-terminating proxy, a load balancer), comma-separated: a request from one of them counts failed authentications against the client its X-Forwarded-For names, not the proxy's address")
	allow, err := strconv.ParseBool(envOr("allow-private-destinations", "false"))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: must be true or false", envName("allow-private-destinations")))
	}
	fs.BoolVar(&f.allowPrivate, "allow-private-destinations", allow, "accept webhook URLs on loopback and private hosts, plain http included (env HOOKD_ALLOW_PRIVATE_DESTINATIONS)")
	console, err := strconv.ParseBool(envOr("console", "true"))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: must be true or false", envName("console")))
	}
	fs.BoolVar(&f.console, "console", console, "serve the web console under /console/ on --addr; sign in with an API key (env HOOKD_CONSOLE)")
	limit, err := strconv.ParseFloat(envOr("rate-limit", "100"), 64)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: must be a number", envName("rate-limit")))
	}
	fs.Float64Var(&f.rateLimit, "rate-limit", limit, "requests per second per API key, 0 for no limit (env HOOKD_RATE_LIMIT)")
	burst, err := strconv.Atoi(envOr("rate-burst", "200"))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: must be an integer", envName("rate-burst")))
	}
	fs.IntVar(&f.rateBurst, "rate-burst", burst, "burst size of the rate limit (env HOOKD_RATE_BURST)")
	authLimit, err := strconv.ParseFloat(envOr("auth-failure-limit", "1"), 64)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: must be a number", envName("auth-failure-limit")))
	}
	fs.Float64Var(&f.authFailureLimit, "auth-failure-limit", authLimit, "failed authentications per second per client address, after a burst of 10; past it the address gets 429 (a negative number disables the limit; env HOOKD_AUTH_FAILURE_LIMIT)")
	workers, err := strconv.Atoi(envOr("workers", strconv.Itoa(delivery.DefaultWorkers)))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: must be an integer", envName("workers")))
	}
	fs.IntVar(&f.workers, "workers", workers, "concurrent delivery attempts (env HOOKD_WORKERS)")
	perWebhook, err := strconv.Atoi(envOr("webhook-concurrency", "0"))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: must be an integer", envName("webhook-concurrency")))
	}
	fs.IntVar(&f.perWebhook, "webhook-concurrency", perWebhook, "concurrent delivery attempts of one webhook, 0 for half the workers, at most 16 (env HOOKD_WEBHOOK_CONCURRENCY)")
	retention, err := time.ParseDuration(envOr("retention", "720h"))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: must be a duration such as 720h", envName("retention")))
	}
	fs.DurationVar(&f.retention, "retention", retention, "how long deliveries and events are kept (env HOOKD_RETENTION)")
	attemptTimeout, err := time.ParseDuration(envOr("attempt-timeout", delivery.DefaultAttemptTimeout.String()))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: must be a duration such as 15s", envName("attempt-timeout")))
	}
	fs.DurationVar(&f.attemptTimeout, "attempt-timeout", attemptTimeout, fmt.Sprintf("how long one delivery attempt may take to get its answer, %s to %s; the deliveries a process that died was attempting are taken over by another once this and a margin have passed (env HOOKD_ATTEMPT_TIMEOUT)", minAttemptTimeout, maxAttemptTimeout))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	hideSecretDefaults(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if f.attemptTimeout < minAttemptTimeout || f.attemptTimeout > maxAttemptTimeout {
		return nil, fmt.Errorf("--attempt-timeout (or %s): %s is out of range: choose from %s to %s (a test event's request waits for its attempt, and the provider's request_timeout is 30 s by default)",
			envName("attempt-timeout"), f.attemptTimeout, minAttemptTimeout, maxAttemptTimeout)
	}
	if f.trustedProxies, err = httpapi.ParseTrustedProxies(trusted); err != nil {
		return nil, fmt.Errorf("--trusted-proxies (or %s): %w", envName("trusted-proxies"), err)
	}
	return f, nil
}

// Bounds of --attempt-timeout. POST /v1/webhooks/{id}/test answers once
// its attempt has: the longest attempt must fit in the provider's default
// request timeout (30 s). Below 2 s an attempt held up for 1 s between its
// claim and its request (a busy machine) would be given back (the
// engine's rule: less than half the timeout left).
const (
	minAttemptTimeout = 2 * time.Second
	maxAttemptTimeout = 25 * time.Second
)

// shutdownGrace is how long a shutdown waits for requests in flight and
// running attempts: 20 s, or an attempt timeout and 5 s to record it when
// that is longer, so that an attempt started just before the signal ends
// and is recorded.
func shutdownGrace(attemptTimeout time.Duration) time.Duration {
	return max(20*time.Second, attemptTimeout+5*time.Second)
}

const dbHelp = "SQLite database file (its encryption key is kept beside it as <db>.key unless HOOKD_ENCRYPTION_KEY is set), " +
	"or a postgres:// URL of a PostgreSQL database that several hookd processes share (HOOKD_ENCRYPTION_KEY required; pool_max_conns=N sets the connection pool, default 16)"

// migrateCmd applies the schema steps the database lacks, for operators who
// migrate as a step of their own before starting a new version. It needs
// no encryption key: migrations never read secrets.
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hookd migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr("db", "./hookd.db"), dbHelp+" (env HOOKD_DB)")
	hideSecretDefaults(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	applied, latest, err := store.Migrate(ctx, *db)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "hookd: %s is up to date (schema version %d)\n", store.RedactURL(*db), latest)
		return nil
	}
	fmt.Fprintf(stdout, "hookd: migrated %s to schema version %d (applied %v)\n", store.RedactURL(*db), latest, applied)
	return nil
}

// hideSecretDefaults keeps what the environment gave --db and --api-key
// out of -h: flag prints a flag's default, and the environment twin is
// the default, so HOOKD_DB's password and HOOKD_API_KEY would be shown.
func hideSecretDefaults(fs *flag.FlagSet) {
	if f := fs.Lookup("db"); f != nil {
		f.DefValue = store.RedactURL(f.DefValue)
	}
	if f := fs.Lookup("api-key"); f != nil && f.DefValue != "" {
		f.DefValue = "from " + envName("api-key") + ", not shown"
	}
}

func envName(flagName string) string {
	return "HOOKD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func envOr(flagName, def string) string {
	if v, ok := os.LookupEnv(envName(flagName)); ok {
		return v
	}
	return def
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	f, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	s, err := server.New(ctx, server.Config{
		DBPath: f.db, APIKey: f.apiKey, EncryptionKey: os.Getenv("HOOKD_ENCRYPTION_KEY"),
		CatalogPath: f.catalog, AllowPrivateDestinations: f.allowPrivate,
		RateLimit: f.rateLimit, RateBurst: f.rateBurst, AuthFailureLimit: f.authFailureLimit, TrustedProxies: f.trustedProxies, DeliveryWorkers: f.workers, DeliveryPerWebhook: f.perWebhook,
		Retention: f.retention, AttemptTimeout: f.attemptTimeout, MetricsOwnListener: f.metricsAddr != "", DisableConsole: !f.console,
		Version: version, Logger: log,
	})
	if err != nil {
		return err
	}
	if s.GeneratedAPIKey != "" {
		// Printed once, outside the logs: only its hash is stored.
		fmt.Fprintf(stderr, "\nhookd: generated the first API key; it is shown only this once, store it now:\n\n    %s\n\n", s.GeneratedAPIKey)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		_ = s.Shutdown(context.Background())
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	errc := make(chan error, 2)
	serving := 1
	metricsAddr := ""
	if f.metricsAddr != "" {
		mln, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			_ = ln.Close()
			_ = s.Shutdown(context.Background())
			return fmt.Errorf("listen on %s (--metrics-addr): %w", f.metricsAddr, err)
		}
		metricsAddr = mln.Addr().String()
		serving++
		go func() { errc <- s.ServeMetrics(mln) }()
	}
	consoleURL := ""
	if f.console {
		consoleURL = "http://" + ln.Addr().String() + "/console/"
	}
	log.Info("hookd started", "version", version, "addr", ln.Addr().String(), "metrics_addr", metricsAddr, "console", consoleURL, "db", store.RedactURL(f.db), "allow_private_destinations", f.allowPrivate)
	go func() { errc <- s.Serve(ln) }()
	select {
	case err := <-errc:
		_ = s.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace(f.attemptTimeout))
	defer cancel()
	if err := s.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// Serve returns nil once Shutdown closed it; anything else is a failure
	// that happened while shutting down.
	var errs []error
	for range serving {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}
