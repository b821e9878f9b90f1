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
	return "hookd_chaos_" + hex.EncodeToString(b)
}

// hookd is the hookd process chaos started, on one database in dir.
type hookd struct {
	bin, dir, apiKey string
	addr             string // 127.0.0.1:port, kept across restarts
	cmd              *exec.Cmd
	exited           chan struct{}
	starts           int
}

// start runs hookd on addr (127.0.0.1:0 the first time: a free port, read
// from its JSON log; the same port after that) with webhook URLs on
// loopback allowed and no rate limit.
func (h *hookd) start(ctx context.Context) error {
	if h.addr == "" {
		h.addr = "127.0.0.1:0"
	}
	h.starts++
	logPath := filepath.Join(h.dir, fmt.Sprintf("hookd-%d.log", h.starts))
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(h.bin, "serve", "--addr", h.addr, "--db", filepath.Join(h.dir, "hookd.db"),
		"--api-key", h.apiKey, "--allow-private-destinations", "--rate-limit", "0", "--log-format", "json")
	cmd.Env = withoutVars(os.Environ(), "HOOKD_")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	h.cmd, h.exited = cmd, make(chan struct{})
	exited := h.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.After(20 * time.Second)
	for {
		b, err := os.ReadFile(logPath)
		if err != nil {
			h.kill()
			return err
		}
		if addr := startedAddr(b); addr != "" {
			h.addr = addr
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("hookd exited before it listened; its log:\n%s", b)
		case <-deadline:
			h.kill()
			return fmt.Errorf("hookd did not start within 20 s; its log:\n%s", b)
		case <-ctx.Done():
			h.kill()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startedAddr is the addr of the "hookd started" record of a JSON log.
func startedAddr(log []byte) string {
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

func (h *hookd) pid() int { return h.cmd.Process.Pid }

// kill sends SIGKILL to hookd, by its pid, and waits until it is gone: no
// shutdown, whatever was running is cut where it was.
func (h *hookd) kill() {
	if h.cmd == nil {
		return
	}
	_ = syscall.Kill(h.pid(), syscall.SIGKILL)
	<-h.exited
}

// stop asks hookd to shut down (SIGTERM), and kills it after 15 s.
func (h *hookd) stop() {
	if h.cmd == nil {
		return
	}
	_ = syscall.Kill(h.pid(), syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(15 * time.Second):
		h.kill()
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

// serve runs h on 127.0.0.1 at a free port until the returned stop.
func serve(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
