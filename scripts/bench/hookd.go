package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// goBuild builds package pkg of the module in src into out.
func goBuild(ctx context.Context, goCmd, src, pkg, out string) error {
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", out, pkg)
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// newAPIKey is a random key for this run's hookd.
func newAPIKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "hookd_bench_" + hex.EncodeToString(b)
}

// daemon is a process bench started and stops: hookd.
type daemon struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startHookd runs hookd on a free loopback port with a database in dir,
// the given API key, webhook URLs on loopback allowed and no rate limit (at
// N = 500 the default 100 requests/s would throttle Terraform), and
// returns it with its address, read from its JSON log.
func startHookd(ctx context.Context, bin, dir, apiKey string) (*daemon, string, error) {
	logPath := filepath.Join(dir, "hookd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "hookd.db"),
		"--api-key", apiKey, "--allow-private-destinations", "--rate-limit", "0", "--log-format", "json")
	cmd.Env = withoutVars(os.Environ(), "HOOKD_")
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	d := &daemon{name: "hookd", cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(d.exited) }()
	deadline := time.After(20 * time.Second)
	for {
		b, err := os.ReadFile(logPath)
		if err != nil {
			d.stop()
			return nil, "", err
		}
		if addr := hookdAddr(b); addr != "" {
			return d, addr, nil
		}
		select {
		case <-d.exited:
			return nil, "", fmt.Errorf("hookd exited before it listened; its log:\n%s", b)
		case <-deadline:
			d.stop()
			return nil, "", fmt.Errorf("hookd did not log %q within 20 s; its log:\n%s", "hookd started", b)
		case <-ctx.Done():
			d.stop()
			return nil, "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// hookdAddr returns the addr of the first "hookd started" record of hookd's
// JSON log, or "" while there is none.
func hookdAddr(log []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "hookd started" && rec.Addr != "" {
			return rec.Addr
		}
	}
	return ""
}

// pid is the daemon's process id.
func (d *daemon) pid() int { return d.cmd.Process.Pid }

// stop sends SIGTERM to the daemon's process group, waits up to 15 s for it
// to exit, then kills the group.
func (d *daemon) stop() {
	if d == nil {
		return
	}
	signalGroup(d.pid(), syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(15 * time.Second):
		fmt.Fprintf(os.Stderr, "bench: %s (pid %d) did not exit within 15 s; killing it\n", d.name, d.pid())
		signalGroup(d.pid(), syscall.SIGKILL)
		<-d.exited
	}
}

// withoutVars is env without the variables whose names start with one of
// the prefixes.
func withoutVars(env []string, prefixes ...string) []string {
	var out []string
next:
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// receiver is where the webhooks point: it answers 204 to anything (no
// event is published, so nothing should arrive).
type receiver struct {
	URL  string
	hits atomic.Int64
	srv  *http.Server
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{URL: "http://" + ln.Addr().String()}
	r.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			r.hits.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) close() { _ = r.srv.Close() }
