package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

// hookd as a child process: the benchmark runs its own executable again
// with childEnv set, and that runs hookd (server.New and Serve, as
// cmd/hookd does) instead of the driver. A separate process per hookd is
// what "two processes" means: two Go runtimes, two connection pools, two
// delivery engines, wake-ups between them through the database only.
const (
	childEnv        = "BENCHDELIVERY_HOOKD_CHILD" // "1": run as hookd
	childDBEnv      = "BENCHDELIVERY_HOOKD_DB"
	childWorkersEnv = "BENCHDELIVERY_HOOKD_WORKERS"
	childModeEnv    = "BENCHDELIVERY_HOOKD_MODE" // a childMode
	encryptionEnv   = "HOOKD_ENCRYPTION_KEY"
	listeningPrefix = "listening "
	heldLine        = "held"
	childStartLimit = time.Minute // migrations on a fresh database included
	childStopLimit  = 10 * time.Second
)

// childMode is how a hookd child starts.
type childMode string

const (
	// serveMode: hookd as `hookd serve` runs it.
	serveMode childMode = ""
	// loadMode: the delivery engine is stopped before the API listens (no
	// delivery was stored yet, so none was claimed): an event published
	// through the API is stored with its deliveries, in the transaction
	// POST /v1/events always runs, and none is attempted. The drain
	// phase's backlog is published so.
	loadMode childMode = "load"
	// holdMode: the process starts, says heldLine, and waits for a line on
	// stdin before it opens the database; released together, the processes
	// of a drain phase start on the backlog at the same moment.
	holdMode childMode = "hold"
)

// isChild reports whether this process was started as a hookd child.
func isChild() bool { return os.Getenv(childEnv) == "1" }

// runChild is the child's main: hookd on 127.0.0.1:0, its address on
// stdout, until stdin ends (the parent closed it, or died).
func runChild() int {
	ctx := context.Background()
	workers, _ := strconv.Atoi(os.Getenv(childWorkersEnv))
	mode := childMode(os.Getenv(childModeEnv))
	stdin := bufio.NewReader(os.Stdin)
	if mode == holdMode {
		fmt.Println(heldLine)
		if _, err := stdin.ReadString('\n'); err != nil {
			return 0 // stopped before it was released
		}
	}
	srv, err := server.New(ctx, server.Config{
		DBPath: os.Getenv(childDBEnv), APIKey: apiKey, EncryptionKey: os.Getenv(encryptionEnv),
		AllowPrivateDestinations: true, DeliveryWorkers: workers, Version: "bench",
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchdelivery hookd:", err)
		return 1
	}
	if mode == loadMode {
		if err := srv.Engine.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "benchdelivery hookd:", err)
			return 1
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchdelivery hookd:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Printf("%shttp://%s\n", listeningPrefix, ln.Addr())
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "benchdelivery hookd:", err)
		return 1
	}
	return 0
}

// child is one hookd child process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	logPth string
	lines  chan string // what it says on stdout: heldLine, then its address
	exited chan struct{}
}

// startChildren starts n hookd processes on db (a SQLite file or a
// postgres:// URL) one after the other (the first creates the schema), each
// with workers delivery workers and the same encryption key, and returns
// their API addresses. In holdMode they are held before they open the
// database, and have no address until releaseChildren.
func startChildren(ctx context.Context, db string, n, workers int, key, dir string, mode childMode) ([]*child, []string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	var kids []*child
	var urls []string
	for i := range n {
		c, err := startChild(exe, db, workers, key, filepath.Join(dir, fmt.Sprintf("hookd-%d.log", i)), mode)
		if err == nil {
			kids = append(kids, c)
			want := listeningPrefix
			if mode == holdMode {
				want = heldLine
			}
			var said string
			if said, err = c.await(ctx, want); err == nil && mode != holdMode {
				urls = append(urls, said)
			}
		}
		if err != nil {
			stopChildren(kids)
			return nil, nil, fmt.Errorf("hookd process %d: %w", i+1, err)
		}
	}
	return kids, urls, nil
}

// releaseChildren lets held children go, all at once (one line each, one
// after the other, before waiting for any), and returns their API
// addresses once every one listens.
func releaseChildren(ctx context.Context, kids []*child) ([]string, error) {
	for i, c := range kids {
		if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
			return nil, fmt.Errorf("release hookd process %d: %w", i+1, err)
		}
	}
	urls := make([]string, len(kids))
	for i, c := range kids {
		var err error
		if urls[i], err = c.await(ctx, listeningPrefix); err != nil {
			return nil, fmt.Errorf("hookd process %d: %w", i+1, err)
		}
	}
	return urls, nil
}

func startChild(exe, db string, workers int, key, logPath string, mode childMode) (*child, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1", childDBEnv+"="+db,
		childWorkersEnv+"="+strconv.Itoa(workers), encryptionEnv+"="+key, childModeEnv+"="+string(mode))
	cmd.Stderr = logFile
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, logPth: logPath, lines: make(chan string, 2), exited: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); line == heldLine || strings.HasPrefix(line, listeningPrefix) {
				c.lines <- line
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// await waits for the child to say want (heldLine, or listeningPrefix and
// its address, which it returns), and stops it when it does not in time.
func (c *child) await(ctx context.Context, want string) (string, error) {
	timer := time.NewTimer(childStartLimit)
	defer timer.Stop()
	var err error
	select {
	case line := <-c.lines:
		if rest, ok := strings.CutPrefix(line, want); ok {
			return rest, nil
		}
		err = fmt.Errorf("said %q, not %q", line, want)
	case <-c.exited:
		err = fmt.Errorf("exited before saying %q", strings.TrimSpace(want))
	case <-timer.C:
		err = fmt.Errorf("did not say %q within %s", strings.TrimSpace(want), childStartLimit)
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.stop()
	logged, _ := os.ReadFile(c.logPth)
	return "", fmt.Errorf("%w\n%s", err, strings.TrimSpace(string(logged)))
}

// stop closes the child's stdin (it shuts down) and kills it if it has not
// exited within childStopLimit.
func (c *child) stop() {
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(childStopLimit):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

func stopChildren(kids []*child) {
	for _, c := range kids {
		c.stop()
	}
}

func pids(kids []*child) []int {
	out := make([]int, len(kids))
	for i, c := range kids {
		out[i] = c.cmd.Process.Pid
	}
	return out
}
