package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
)

// The test binary doubles as hookd: with HOOKD_TEST_MAIN=1 it runs main, so
// that tests can start the real command and send it signals.
func TestMain(m *testing.M) {
	if os.Getenv("HOOKD_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(pgtest.Main(m))
}

func TestVersionAndUsage(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"version"}, 0, "hookd dev\n", ""},
		{[]string{"--version"}, 0, "hookd dev\n", ""},
		{[]string{"help"}, 0, "usage: hookd", ""},
		{nil, 2, "", "usage: hookd"},
		{[]string{"serv"}, 2, "", `unknown command "serv"`},
		{[]string{"serve", "extra"}, 1, "", `unexpected argument "extra"`},
		{[]string{"serve", "--log-format", "xml"}, 1, "", `--log-format: "xml" is not text or json`},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.err) {
			t.Errorf("hookd %v: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, out.String(), errb.String(), tc.code, tc.out, tc.err)
		}
	}
}

// hookd migrate brings a database's schema up to date and exits, without
// the encryption key, and says so again (with nothing to apply) the second
// time; on SQLite it refuses while a hookd serves the file.
// migratedTo is hookd migrate's line on a database it migrated; the
// version is whatever this binary's latest is, which the second run must
// report as up to date.
var migratedTo = regexp.MustCompile(`hookd: migrated .* to schema version (\d+) \(applied \[`)

func TestMigrate(t *testing.T) {
	for _, tc := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string {
			// An empty file stands for a database an older hookd created.
			path := filepath.Join(t.TempDir(), "hookd.db")
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}},
		{"postgres", func(t *testing.T) string { return pgtest.Database(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.db(t)
			t.Setenv("HOOKD_ENCRYPTION_KEY", "")
			var out, errb bytes.Buffer
			code := run([]string{"migrate", "--db", db}, &out, &errb)
			m := migratedTo.FindStringSubmatch(out.String())
			if code != 0 || m == nil {
				t.Fatalf("first migrate: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
			}
			out.Reset()
			if code := run([]string{"migrate", "--db", db}, &out, &errb); code != 0 || !strings.Contains(out.String(), "is up to date (schema version "+m[1]+")") {
				t.Fatalf("second migrate: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run([]string{"migrate", "--db", filepath.Join(t.TempDir(), "missing.db")}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "hookd serve creates it") {
		t.Fatalf("missing file: exit %d, stderr %q", code, errb.String())
	}
	c, err := secrets.NewCipher(bytes.Repeat([]byte{1}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hookd.db")
	st, err := store.OpenSQLite(path, c) // as a running hookd holds it
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if code := run([]string{"migrate", "--db", path}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "stop the other hookd first") {
		t.Fatalf("while served: exit %d, stderr %q", code, errb.String())
	}
}

// A catalog file that does not validate stops hookd before it listens, with
// a message that names the file and the problem.
func TestBadCatalogIsAStartupError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.json")
	if err := os.WriteFile(path, []byte(`{"data": [{"type": "Transfer.Created"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "hookd.db"), "--catalog", path}, &out, &errb)
	msg := errb.String()
	if code != 1 || !strings.Contains(msg, "hookd: event catalog: "+path) || !strings.Contains(msg, `"Transfer.Created"`) || strings.Contains(msg, "hookd started") {
		t.Fatalf("exit %d, stderr:\n%s", code, msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "hookd.db")); err == nil {
		t.Error("a database was created although the catalog is bad")
	}
	code = run([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "hookd.db"), "--catalog", filepath.Join(dir, "missing.json")}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "missing.json") {
		t.Fatalf("missing catalog: exit %d, stderr:\n%s", code, errb.String())
	}
}

// Every flag has an environment twin that sets its default; the flag wins.
func TestFlagsAndEnvironment(t *testing.T) {
	t.Setenv("HOOKD_ADDR", "127.0.0.1:9999")
	t.Setenv("HOOKD_RETENTION", "48h")
	t.Setenv("HOOKD_ALLOW_PRIVATE_DESTINATIONS", "true")
	t.Setenv("HOOKD_RATE_LIMIT", "5")
	t.Setenv("HOOKD_CATALOG", "/etc/hookd/catalog.json")
	t.Setenv("HOOKD_METRICS_ADDR", "127.0.0.1:9100")
	f, err := parseServeFlags([]string{"--addr", "127.0.0.1:7777", "--workers", "3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.addr != "127.0.0.1:7777" || f.metricsAddr != "127.0.0.1:9100" || f.retention != 48*time.Hour || !f.allowPrivate || f.rateLimit != 5 || f.workers != 3 || f.catalog != "/etc/hookd/catalog.json" || f.db != "./hookd.db" {
		t.Fatalf("flags %+v", f)
	}
	t.Setenv("HOOKD_TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.1")
	if f, err = parseServeFlags(nil, io.Discard); err != nil || fmt.Sprint(f.trustedProxies) != "[10.0.0.0/8 192.0.2.1/32]" {
		t.Fatalf("HOOKD_TRUSTED_PROXIES: %v, %v", f, err)
	}
	if _, err := parseServeFlags([]string{"--trusted-proxies", "10.0.0.0/8,lb.internal"}, io.Discard); err == nil ||
		err.Error() != `--trusted-proxies (or HOOKD_TRUSTED_PROXIES): "lb.internal" is not an IP address or a CIDR prefix such as 10.0.0.0/8` {
		t.Fatalf("bad --trusted-proxies: %v", err)
	}
	t.Setenv("HOOKD_ATTEMPT_TIMEOUT", "5s")
	if f, err = parseServeFlags(nil, io.Discard); err != nil || f.attemptTimeout != 5*time.Second {
		t.Fatalf("HOOKD_ATTEMPT_TIMEOUT: %v, %v", f, err)
	}
	if f, err = parseServeFlags([]string{"--attempt-timeout", "2s"}, io.Discard); err != nil || f.attemptTimeout != 2*time.Second {
		t.Fatalf("--attempt-timeout: %v, %v", f, err)
	}
	for _, bad := range []string{"0s", "1.5s", "26s", "1m0s"} {
		want := "--attempt-timeout (or HOOKD_ATTEMPT_TIMEOUT): " + bad + " is out of range: choose from 2s to 25s (a test event's request waits for its attempt, and the provider's request_timeout is 30 s by default)"
		if _, err := parseServeFlags([]string{"--attempt-timeout", bad}, io.Discard); err == nil || err.Error() != want {
			t.Errorf("--attempt-timeout %s: %v\nwant %s", bad, err, want)
		}
	}
	if shutdownGrace(delivery.DefaultAttemptTimeout) != 20*time.Second || shutdownGrace(25*time.Second) != 30*time.Second {
		t.Errorf("shutdown grace: %s with the default attempt timeout, %s with 25 s; want 20s, 30s", shutdownGrace(delivery.DefaultAttemptTimeout), shutdownGrace(25*time.Second))
	}
	t.Setenv("HOOKD_ATTEMPT_TIMEOUT", "soon")
	if _, err := parseServeFlags(nil, io.Discard); err == nil || err.Error() != "HOOKD_ATTEMPT_TIMEOUT: must be a duration such as 15s" {
		t.Fatalf("bad HOOKD_ATTEMPT_TIMEOUT: %v", err)
	}
	t.Setenv("HOOKD_ATTEMPT_TIMEOUT", "")
	t.Setenv("HOOKD_RETENTION", "a month")
	if _, err := parseServeFlags(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "HOOKD_RETENTION") {
		t.Fatalf("bad HOOKD_RETENTION: %v", err)
	}
}

// -h shows each flag's default, which its environment twin sets: a
// password in HOOKD_DB and the key in HOOKD_API_KEY must not show.
func TestHelpHidesSecretsFromTheEnvironment(t *testing.T) {
	t.Setenv("HOOKD_DB", "postgres://hookd:s3cr%40t%2Fpw@127.0.0.1:5432/hookd?sslmode=disable")
	t.Setenv("HOOKD_API_KEY", "hookd_supersecretkey123")
	for _, args := range [][]string{{"serve", "-h"}, {"migrate", "-h"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 {
			t.Fatalf("hookd %v: exit %d: %s", args, code, errb.String())
		}
		help := out.String() + errb.String()
		for _, secret := range []string{"s3cr", "supersecretkey"} {
			if strings.Contains(help, secret) {
				t.Errorf("hookd %v shows %q:\n%s", args, secret, help)
			}
		}
		if !strings.Contains(help, `(default "postgres://hookd:xxxxx@127.0.0.1:5432/hookd?sslmode=disable")`) {
			t.Errorf("hookd %v: the redacted URL is not the default shown:\n%s", args, help)
		}
		if args[0] == "serve" && !strings.Contains(help, `(default "from HOOKD_API_KEY, not shown")`) {
			t.Errorf("hookd serve -h does not say the key comes from HOOKD_API_KEY:\n%s", help)
		}
	}
	// The values themselves are still the environment's.
	f, err := parseServeFlags(nil, io.Discard)
	if err != nil || f.apiKey != "hookd_supersecretkey123" || !strings.Contains(f.db, "s3cr%40t") {
		t.Fatalf("flags changed: %+v, %v", f, err)
	}
}

// process is hookd running as a child process.
type process struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	addr  chan string
	// metricsAddr is the --metrics-addr listener's address, "" without one.
	metricsAddr chan string
	exit        chan error
}

func startHookd(t *testing.T, args ...string) *process {
	t.Helper()
	return startHookdEnv(t, nil, args...)
}

// startHookdEnv is startHookd with env (NAME=value) added to the process's
// environment.
func startHookdEnv(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	cmd.Env = append([]string{"HOOKD_TEST_MAIN=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, cmd: cmd, addr: make(chan string, 1), metricsAddr: make(chan string, 1), exit: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.lines = append(p.lines, line)
			p.mu.Unlock()
			var rec struct {
				Msg         string `json:"msg"`
				Addr        string `json:"addr"`
				MetricsAddr string `json:"metrics_addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "hookd started" {
				p.metricsAddr <- rec.MetricsAddr
				p.addr <- rec.Addr
			}
		}
		p.exit <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return p
}

func (p *process) url() string {
	p.t.Helper()
	select {
	case addr := <-p.addr:
		return "http://" + addr
	case err := <-p.exit:
		p.t.Fatalf("hookd exited before listening: %v\n%s", err, p.output())
	case <-time.After(10 * time.Second):
		p.t.Fatalf("hookd did not start:\n%s", p.output())
	}
	return ""
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// stop sends sig and requires a clean exit.
func (p *process) stop(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	select {
	case err := <-p.exit:
		if err != nil {
			p.t.Fatalf("hookd exited with %v after %v:\n%s", err, sig, p.output())
		}
	case <-time.After(10 * time.Second):
		p.t.Fatalf("hookd did not stop on %v:\n%s", sig, p.output())
	}
}

// `hookd serve` prints a generated API key once, serves the API, stops
// cleanly on SIGTERM and SIGINT, and finds its data and key again.
func TestServeRestartAndSignals(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hookd.db")
	p := startHookd(t, "--db", db)
	base := p.url()
	key := apiKeyOf(t, p)
	call := apiCaller(t, key)
	g := call(base, "POST", "/v1/groups", `{"name": "payments"}`, http.StatusCreated)
	p.stop(syscall.SIGTERM)
	out := p.output()
	if !strings.Contains(out, `"msg":"shutting down"`) {
		t.Fatalf("no graceful shutdown in the logs:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		// The key is printed once, on its own line; never in a log record.
		if strings.HasPrefix(line, "{") && strings.Contains(line, key) {
			t.Errorf("a log record holds the API key: %s", line)
		}
	}

	p = startHookd(t, "--db", db)
	base = p.url()
	if strings.Contains(p.output(), "generated the first API key") {
		t.Fatal("a second API key was generated on restart")
	}
	gid, _ := g["id"].(string)
	if got := call(base, "GET", "/v1/groups/"+gid, "", http.StatusOK); got["name"] != "payments" {
		t.Fatalf("after restart: %v", got)
	}
	p.stop(syscall.SIGINT)
	t.Logf("hookd's logs:\n%s", p.output())
}

// The README's table of hookd serve's flags lists every flag -h shows,
// each with its environment twin, and no flag that is gone.
func TestREADMEListsEveryServeFlag(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "-h"}, &out, &errb); code != 0 {
		t.Fatalf("hookd serve -h: exit %d: %s", code, errb.String())
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(out.String()+errb.String(), -1) {
		flags[m[1]] = true
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The table of "## Running hookd", up to its first subsection: other
	// tables (of other commands) are not serve's.
	_, section, ok := strings.Cut(string(readme), "\n## Running hookd\n")
	if section, _, _ = strings.Cut(section, "\n### "); !ok {
		t.Fatal(`README: no "## Running hookd" section`)
	}
	listed := map[string]bool{}
	for _, row := range regexp.MustCompile("(?m)^\\| (`--[a-z-]+`(?: / `--[a-z-]+`)*) \\| ([^|]*) \\|").FindAllStringSubmatch(section, -1) {
		names := regexp.MustCompile("`--([a-z-]+)`").FindAllStringSubmatch(row[1], -1)
		for _, n := range names {
			listed[n[1]] = true
			if env := envName(n[1]); !strings.Contains(row[2], "`"+env+"`") {
				t.Errorf("README: the row of --%s does not name %s", n[1], env)
			}
		}
	}
	if len(flags) < 10 {
		t.Fatalf("read %d flags from -h:\n%s", len(flags), out.String()+errb.String())
	}
	for f := range flags {
		if !listed[f] {
			t.Errorf("README: hookd serve's flag table has no --%s", f)
		}
	}
	for f := range listed {
		if !flags[f] {
			t.Errorf("README: the flag table lists --%s, which hookd serve does not have", f)
		}
	}
}
