package main

import (
	"bufio"
	"context"
	"errors"
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
	encryptionEnv   = "HOOKD_ENCRYPTION_KEY"
	listeningPrefix = "listening "
	childStartLimit = time.Minute // migrations on a fresh database included
	childStopLimit  = 10 * time.Second
)

// isChild reports whether this process was started as a hookd child.
func isChild() bool { return os.Getenv(childEnv) == "1" }

// runChild is the child's main: hookd on 127.0.0.1:0, its address on
// stdout, until stdin ends (the parent closed it, or died).
func runChild() int {
	ctx := context.Background()
	workers, _ := strconv.Atoi(os.Getenv(childWorkersEnv))
	srv, err := server.New(ctx, server.Config{
		DBPath: os.Getenv(childDBEnv), APIKey: apiKey, EncryptionKey: os.Getenv(encryptionEnv),
		AllowPrivateDestinations: true, DeliveryWorkers: workers, Version: "bench",
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchdelivery hookd:", err)
		return 1
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
		_, _ = io.Copy(io.Discard, os.Stdin)
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
	stdin  io.Closer
	logPth string
	exited chan struct{}
}

// startChildren starts n hookd processes on db (a SQLite file or a
// postgres:// URL) one after the other (the first creates the schema), each
// with workers delivery workers and the same encryption key.
func startChildren(ctx context.Context, db string, n, workers int, key, dir string) ([]*child, []string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	var kids []*child
	var urls []string
	for i := range n {
		c, url, err := startChild(ctx, exe, db, workers, key, filepath.Join(dir, fmt.Sprintf("hookd-%d.log", i)))
		if err != nil {
			stopChildren(kids)
			return nil, nil, fmt.Errorf("hookd process %d: %w", i+1, err)
		}
		kids = append(kids, c)
		urls = append(urls, url)
	}
	return kids, urls, nil
}

func startChild(ctx context.Context, exe, db string, workers int, key, logPath string) (*child, string, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1", childDBEnv+"="+db,
		childWorkersEnv+"="+strconv.Itoa(workers), encryptionEnv+"="+key)
	cmd.Stderr = logFile
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	c := &child{cmd: cmd, stdin: stdin, logPth: logPath, exited: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), listeningPrefix); ok {
				lines <- line
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(c.exited)
	}()
	timer := time.NewTimer(childStartLimit)
	defer timer.Stop()
	select {
	case url := <-lines:
		return c, url, nil
	case <-c.exited:
		err = errors.New("exited before listening")
	case <-timer.C:
		err = fmt.Errorf("not listening after %s", childStartLimit)
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.stop()
	logged, _ := os.ReadFile(logPath)
	return nil, "", fmt.Errorf("%w\n%s", err, strings.TrimSpace(string(logged)))
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
