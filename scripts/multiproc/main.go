// Command multiproc is `make multiproc`: several hookd processes share one
// PostgreSQL database, one dies mid-load, and no delivery is lost, doubled
// beyond what the kill explains, or attempted twice at once.
//
// It starts PostgreSQL (internal/pgtest: Debian's postgresql package, a
// temporary cluster on 127.0.0.1), builds hookd, and starts -procs hookd
// processes on one database with one encryption key and API key. A
// loopback receiver answers every delivery 200 after a random delay of up
// to -delay, records each request (delivery id, Hookd-Attempt, start, end,
// and which process sent it, from the client socket's owner in /proc) and
// flags a request for a delivery that already has one in flight. Then:
//
//   - -webhooks account webhooks, created round-robin through the
//     processes, and -events events published round-robin through them by
//     -publishers goroutines (client-given event ids, so a publish cut by
//     the kill is retried without a second event);
//   - halfway (-kill-at), process B gets SIGKILL (by pid); its share of
//     the publishes goes to the next live process meanwhile; it is
//     started again on the same database and port once every lease live
//     at the kill has run out (-attempt-timeout, hookd's, 5 s, plus the
//     lease's margin, 10 s) and 3 s more, so that the others take over
//     what it held;
//   - a wait (up to -drain) until no delivery is pending or retrying;
//   - the checks: the kill interrupted attempts (some of B's leases
//     resumed only after running out) and another process took over at
//     least one of them; every delivery succeeded and was received; no
//     overlap;
//     every recorded attempt (attempts table) was received, and every
//     request received beyond the recorded attempts came from the killed
//     process, for a delivery it held then (sent before the kill, or
//     received after it on a connection no live process holds: the kernel
//     delivers what the dead process had written); duplicates at
//     the receiver no more than the attempts in flight on it at the kill
//     (the leases live at the kill whose delivery was attempted again only
//     once the lease had run out);
//   - a wake-up phase on the idle cluster: -quiet single events through
//     one process, the latency of each delivery by the process that made
//     it.
//
// Exit status: 0 every check holds; 1 a check failed or the run did; 2
// bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (*config, time.Duration, error) {
	fs := flag.NewFlagSet("multiproc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{killed: 1}
	fs.IntVar(&c.procs, "procs", 3, "hookd processes")
	fs.IntVar(&c.webhooks, "webhooks", 10, "webhooks, each subscribed to every event")
	fs.IntVar(&c.events, "events", 5000, "events published")
	fs.IntVar(&c.publishers, "publishers", 6, "concurrent publishers")
	fs.DurationVar(&c.maxDelay, "delay", 20*time.Millisecond, "the receiver's longest answer delay (uniform from 0)")
	fs.Float64Var(&c.killAt, "kill-at", 0.5, "share of the events published when process B is killed")
	fs.IntVar(&c.quiet, "quiet", 20, "single events of the wake-up phase (0: none)")
	fs.DurationVar(&c.attemptTimeout, "attempt-timeout", 5*time.Second, "hookd's --attempt-timeout: the killed process's deliveries are taken over once it and the lease's margin (twice it, 5 s to 30 s) have run out; 15s is hookd's default")
	fs.DurationVar(&c.drainTimeout, "drain", 3*time.Minute, "how long after the last publish every delivery must be terminal")
	fs.StringVar(&c.goCmd, "go", "go", "the go command that builds hookd")
	fs.StringVar(&c.src, "src", ".", "the module to build")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (hookd's logs)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up on the whole run after this long")
	if err := fs.Parse(args); err != nil {
		return nil, 0, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, 0, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.procs < 2:
		return nil, 0, errors.New("-procs: at least 2 (one is killed, another must take over)")
	case c.webhooks < 1 || c.events < 1 || c.publishers < 1:
		return nil, 0, errors.New("-webhooks, -events and -publishers: at least 1")
	case c.killAt <= 0 || c.killAt >= 1:
		return nil, 0, errors.New("-kill-at: between 0 and 1, exclusive")
	case c.quiet < 0:
		return nil, 0, errors.New("-quiet: not negative")
	}
	return c, *timeout, nil
}

func cli(args []string, stdout, stderr io.Writer) int {
	cfg, timeout, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "multiproc: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rep, err := run(ctx, *cfg, stdout)
	rep.print(stdout)
	if err != nil {
		fmt.Fprintf(stderr, "multiproc: FAIL: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "multiproc: PASS")
	return 0
}
