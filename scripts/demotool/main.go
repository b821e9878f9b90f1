// Command demotool does the HTTP work of scripts/demo.sh, so that the demo
// needs nothing but go and terraform:
//
//	demotool receive -secrets DIR -addr-file FILE
//	    a webhook receiver on 127.0.0.1 that prints every delivery and
//	    verifies its signatures with the secret in DIR/<last path segment>;
//	    a delivery that arrives before its secret is held and verified as
//	    soon as the file appears. GET / answers its counters as JSON.
//	demotool wait -receiver URL [-min N] [-timeout 20s]
//	    waits until the receiver has seen at least N deliveries and holds
//	    none; fails if a signature did not verify.
//	demotool addr (-hookd-log FILE | -file FILE) [-pid PID] [-timeout 20s]
//	    waits for hookd's "hookd started" JSON log line (and prints its
//	    addr) or for a non-empty FILE (and prints it), while PID lives.
//	demotool secrets -dir DIR < secrets.json
//	    writes each member of a JSON object of strings (terraform output
//	    -json of a map) to DIR/<name>, mode 0600, atomically.
//	demotool publish -category C [-n N] [-group-id ID] [-wait 30s]
//	    publishes N events of the category's catalog types, each with the
//	    catalog example as data, and waits until hookd has delivered them
//	    all. Endpoint and key come from HOOKD_ENDPOINT and HOOKD_API_KEY.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usageText = `usage: demotool <command> [flags]

commands:
  receive   run a webhook receiver that verifies signatures
  wait      wait until a receiver has verified its deliveries
  addr      wait for hookd's listen address (or a file) and print it
  secrets   write the signing secrets of a JSON object into a directory
  publish   publish events of one catalog category and wait for delivery

demotool <command> -h shows a command's flags.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "receive":
		err = receiveCmd(ctx, args[1:], stdout, stderr)
	case "wait":
		err = waitCmd(ctx, args[1:], stdout, stderr)
	case "addr":
		err = addrCmd(ctx, args[1:], stdout, stderr)
	case "secrets":
		err = secretsCmd(args[1:], stdin, stdout, stderr)
	case "publish":
		err = publishCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		fmt.Fprintf(stderr, "demotool: unknown command %q\n%s", args[0], usageText)
		return 2
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "demotool %s: %v\n", args[0], err)
		return 1
	}
}

// errUsage is returned after a flag error, which the flag package has
// already printed.
var errUsage = errors.New("usage error")

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}

// pollInterval is how often the waiting commands look again.
const pollInterval = 100 * time.Millisecond

// addrCmd waits for a process to say where it listens.
func addrCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demotool addr", flag.ContinueOnError)
	hookdLog := fs.String("hookd-log", "", `hookd's log (--log-format json): wait for its "hookd started" line and print its addr`)
	file := fs.String("file", "", "wait until this file is not empty and print its content")
	pid := fs.Int("pid", 0, "give up when this process exits")
	timeout := fs.Duration("timeout", 20*time.Second, "give up after this long")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if (*hookdLog == "") == (*file == "") {
		fmt.Fprintln(stderr, "demotool addr: give one of -hookd-log and -file")
		return errUsage
	}
	find := func() (string, error) { return readAddrFile(*file) }
	what := *file
	if *hookdLog != "" {
		find = func() (string, error) { return hookdAddr(*hookdLog) }
		what = `a "hookd started" line in ` + *hookdLog
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	for {
		addr, err := find()
		if err != nil {
			return err
		}
		if addr != "" {
			fmt.Fprintln(stdout, addr)
			return nil
		}
		if *pid > 0 && !alive(*pid) {
			return fmt.Errorf("process %d exited before writing %s", *pid, what)
		}
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("interrupted while waiting for %s", what)
			}
			return fmt.Errorf("no %s after %s", what, *timeout)
		case <-time.After(pollInterval):
		}
	}
}

// hookdAddr returns the addr of the first "hookd started" record of a JSON
// log, or "" while there is none.
func hookdAddr(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	return hookdproc.StartedAddr(f)
}

func readAddrFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	return strings.TrimSpace(string(b)), err
}

// alive reports whether process pid still runs (signal 0 checks without
// sending anything).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

// secretsCmd writes the members of a JSON object of strings to files.
func secretsCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demotool secrets", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory to write DIR/<name> into (created if missing)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "demotool secrets: -dir is required")
		return errUsage
	}
	var secrets map[string]string
	if err := json.NewDecoder(stdin).Decode(&secrets); err != nil {
		return fmt.Errorf("standard input is not a JSON object of strings (terraform output -json NAME): %w", err)
	}
	names, err := writeSecrets(*dir, secrets)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote the signing secrets of %s to %s\n", strings.Join(names, ", "), *dir)
	return nil
}

// writeSecrets writes each secret to dir/<name> through a rename, so that
// a receiver never reads half a secret, and returns the names written.
func writeSecrets(dir string, secrets map[string]string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(secrets))
	for name, secret := range secrets {
		if !validName(name) {
			return nil, fmt.Errorf("%q is not a usable file name (letters, digits, '-', '_' and '.')", name)
		}
		tmp, err := os.CreateTemp(dir, ".tmp-")
		if err != nil {
			return nil, err
		}
		_, werr := tmp.WriteString(secret + "\n")
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			os.Remove(tmp.Name())
			return nil, err
		}
		if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
			os.Remove(tmp.Name())
			return nil, err
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}
