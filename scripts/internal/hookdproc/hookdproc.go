// Package hookdproc is what the project's scripts share to run hookd as a
// real process: build it, start it on a loopback port and read that port
// from its JSON log, stop or kill it by its process id, and prepare a
// clean environment for the commands they run.
package hookdproc

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// GoBuild builds package pkg of the module in src into out, with the build
// flags given (-tags ...).
func GoBuild(ctx context.Context, goCmd, src, pkg, out string, flags ...string) error {
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// NewAPIKey is a random API key for one run, prefix first.
func NewAPIKey(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b)
}

// WithoutVars is env without the variables whose names start with one of
// the prefixes.
func WithoutVars(env []string, prefixes ...string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) })
	})
}

// StartedAddr is the addr of the first "hookd started" record of hookd's
// JSON log (--log-format json), "" while there is none.
func StartedAddr(log io.Reader) (string, error) {
	sc := bufio.NewScanner(log)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "hookd started" && rec.Addr != "" {
			return rec.Addr, nil
		}
	}
	return "", sc.Err()
}

// Hookd is a hookd process on one database in Dir, with webhook URLs on
// loopback allowed and no rate limit. It can be started again after a stop
// or a kill, on the same database and port.
type Hookd struct {
	Bin, Dir, APIKey string
	// DB, when set, is the database (a postgres:// URL, with its key in
	// Env); hookd.db in Dir otherwise.
	DB string
	// Env is added to hookd's environment (whose HOOKD_ variables are
	// otherwise cleared), HOOKD_ENCRYPTION_KEY=... for instance.
	Env []string
	// Addr is 127.0.0.1:port once started; "" before: a free port is
	// chosen the first time and kept across restarts.
	Addr string
	// Prepare, when set, adjusts the command before it starts (a process
	// group of its own, for instance).
	Prepare func(*exec.Cmd)
	// Started, when set, is called with the pid as soon as the process
	// runs, before Start waits for it to listen.
	Started func(pid int)

	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// Start runs hookd and waits (up to 20 s) until it listens. Its output
// goes to hookd-<n>.log in Dir, n counting the starts.
func (h *Hookd) Start(ctx context.Context) error {
	addr := h.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	h.starts++
	logPath := filepath.Join(h.Dir, fmt.Sprintf("hookd-%d.log", h.starts))
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close() // the child holds its own descriptor
	db := h.DB
	if db == "" {
		db = filepath.Join(h.Dir, "hookd.db")
	}
	cmd := exec.Command(h.Bin, "serve", "--addr", addr, "--db", db,
		"--api-key", h.APIKey, "--allow-private-destinations", "--rate-limit", "0", "--log-format", "json")
	cmd.Env = append(WithoutVars(os.Environ(), "HOOKD_"), h.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if h.Prepare != nil {
		h.Prepare(cmd)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	h.cmd, h.exited = cmd, make(chan struct{})
	if h.Started != nil {
		h.Started(cmd.Process.Pid)
	}
	exited := h.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.After(20 * time.Second)
	for {
		b, err := os.ReadFile(logPath)
		if err != nil {
			h.Kill()
			return err
		}
		if got, _ := StartedAddr(strings.NewReader(string(b))); got != "" {
			h.Addr = got
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("hookd exited before it listened; its log:\n%s", b)
		case <-deadline:
			h.Kill()
			return fmt.Errorf("hookd did not log %q within 20 s; its log:\n%s", "hookd started", b)
		case <-ctx.Done():
			h.Kill()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// PID is the process id of the hookd last started.
func (h *Hookd) PID() int { return h.cmd.Process.Pid }

// Kill sends SIGKILL to hookd, by its pid, and waits until it is gone: no
// shutdown, whatever was running is cut where it was.
func (h *Hookd) Kill() {
	if h == nil || h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Kill()
	<-h.exited
}

// Stop asks hookd to shut down (SIGTERM), and kills it after 15 s.
func (h *Hookd) Stop() {
	if h == nil || h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(15 * time.Second):
		fmt.Fprintf(os.Stderr, "hookd (pid %d) did not exit within 15 s; killing it\n", h.PID())
		h.Kill()
	}
}

// ServeLoopback serves h on 127.0.0.1 at a free port until the returned
// stop.
func ServeLoopback(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// CallJSON makes one request of hookd's API at base (http://host:port)
// with apiKey through hc, body (when not nil) sent as JSON, and decodes a
// 2xx answer into out (when not nil). Any other status is an error quoting
// the answer.
func CallJSON(ctx context.Context, hc *http.Client, base, apiKey, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(raw))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}
