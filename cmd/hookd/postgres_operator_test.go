package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
)

// runHookdEnv runs `hookd args...` as a process of its own with only env
// (NAME=value) besides PATH and HOME, and returns its stdout, stderr and
// exit code. Unlike run, the environment is the process's: what HOOKD_DB
// and HOOKD_ENCRYPTION_KEY say is what hookd reads.
func runHookdEnv(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...) // killed by its PID at the timeout
	cmd.Env = append([]string{"HOOKD_TEST_MAIN=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("hookd %v did not exit within 30 s:\n%s%s", args, out.String(), errb.String())
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// noPassword fails the test if output holds password, as typed or as the
// URL spells it.
func noPassword(t *testing.T, what, output, password string) {
	t.Helper()
	for _, form := range []string{password, url.UserPassword("u", password).String()[2:], url.QueryEscape(password)} {
		if strings.Contains(output, form) {
			t.Errorf("%s shows the database password (%q):\n%s", what, form, output)
		}
	}
}

// The README's "Several processes on PostgreSQL", followed as written on
// Debian's PostgreSQL: a role made by createuser --pwprompt (a LOGIN role
// and nothing more) owns a database made by createdb -O; its password is
// required (scram-sha-256, as Debian's pg_hba.conf has it for TCP);
// HOOKD_ENCRYPTION_KEY is `openssl rand -base64 32`'s form; HOOKD_DB is
// the URL, and no --db is given. `hookd migrate` migrates as that role,
// then two `hookd serve` on different --addr ("on one machine, for a
// try") serve the API: a webhook made through one is delivered an event
// published through the other, signed with its secret. A wrong password
// stops migrate and serve with PostgreSQL's reason and the URL without the
// password; no output of any process shows the password.
func TestPostgresOperatorSetup(t *testing.T) {
	db := pgtest.OwnedDatabase(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	env := []string{"HOOKD_DB=" + db.DSN(), "HOOKD_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(key)}
	redacted := "postgres://" + db.Role + ":xxxxx@127.0.0.1:"

	out, errOut, code := runHookdEnv(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "hookd: migrated "+redacted) || !strings.Contains(out, "to schema version ") {
		t.Fatalf("hookd migrate with HOOKD_DB: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	noPassword(t, "hookd migrate", out+errOut, db.Password)
	if out, _, code := runHookdEnv(t, env, "migrate"); code != 0 || !strings.Contains(out, "is up to date") {
		t.Errorf("hookd migrate again: exit %d, stdout %q", code, out)
	}

	rcv, received := recordingReceiver(t)
	a := startHookdEnv(t, env, "--allow-private-destinations")
	baseA := a.url()
	apiKey := apiKeyOf(t, a)
	b := startHookdEnv(t, env, "--allow-private-destinations")
	baseB := b.url()
	if strings.Contains(b.output(), "generated the first API key") {
		t.Errorf("the second process generated an API key; the first one's is in the database:\n%s", b.output())
	}
	api := apiCaller(t, apiKey)
	wh := api(baseA, "POST", "/v1/webhooks/account", `{"url": "`+rcv+`", "events": ["transfer.*"]}`, http.StatusCreated)
	et, _ := catalog.Default().Lookup("transfer.created")
	api(baseB, "POST", "/v1/events", `{"type": "transfer.created", "data": `+string(et.Example)+`}`, http.StatusAccepted)
	waitFor(t, "the delivery", func() bool { return len(received()) >= 1 })
	for _, r := range received() {
		if err := hookdtest.SignedBy(field[string](t, wh, "secret"), r.header, r.body); err != nil {
			t.Errorf("the delivery does not verify with the webhook's secret: %v", err)
		}
	}
	a.stop(syscall.SIGTERM)
	b.stop(syscall.SIGTERM)
	noPassword(t, "hookd serve (first process)", a.output(), db.Password)
	noPassword(t, "hookd serve (second process)", b.output(), db.Password)
	if !strings.Contains(a.output(), `"db":"`+redacted) {
		t.Errorf("hookd serve's start record does not name the database without its password:\n%s", a.output())
	}

	wrong := pgtest.NewPassword()
	badEnv := []string{"HOOKD_DB=" + db.DSNWithPassword(wrong), env[1]}
	for _, args := range [][]string{{"migrate"}, {"serve", "--addr", "127.0.0.1:0"}} {
		out, errOut, code := runHookdEnv(t, badEnv, args...)
		all := out + errOut
		want := "connect to " + redacted // serve says "open database <URL>: " first
		if code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, `password authentication failed for user "`+db.Role+`"`) {
			t.Errorf("hookd %s with a wrong password: exit %d, stderr %q; want 1, %q and PostgreSQL's reason", args[0], code, errOut, want)
		}
		if strings.Contains(all, "panic") || strings.Contains(all, "goroutine ") {
			t.Errorf("hookd %s with a wrong password panicked:\n%s", args[0], all)
		}
		noPassword(t, "hookd "+args[0]+" with a wrong password", all, wrong)
		noPassword(t, "hookd "+args[0]+" with a wrong password", all, db.Password)
	}
}
