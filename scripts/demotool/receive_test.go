package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
	"github.com/hookd/terraform-provider-hookd/internal/testlog"
)

// testClock is the receiver's clock, moved by the test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type receiverEnv struct {
	r     *receiver
	url   string // http://127.0.0.1:port
	dir   string
	out   *testlog.Buffer
	clock *testClock
}

// startReceiver serves a receiver on 127.0.0.1 with an empty secrets
// directory and a clock that stands still unless the test moves it, far
// from the real time, so that only the receiver's clock makes timestamps
// pass.
func startReceiver(t *testing.T) *receiverEnv {
	t.Helper()
	env := &receiverEnv{dir: t.TempDir(), out: &testlog.Buffer{}, clock: &testClock{t: time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)}}
	env.r = newReceiver(env.dir, env.out)
	env.r.now = env.clock.now
	srv := httptest.NewServer(env.r)
	t.Cleanup(srv.Close)
	env.url = srv.URL
	return env
}

func (env *receiverEnv) writeSecret(t *testing.T, name string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(env.dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// post sends a delivery signed the way hookd signs it, with the given
// secrets (or "whsk_" private keys, for a v1a webhook), at time ts.
func (env *receiverEnv) post(t *testing.T, path, id string, ts time.Time, test bool, signWith ...string) int {
	t.Helper()
	body := []byte(`{"id":"` + id + `","type":"workspace.created","created_at":"2026-11-24T10:15:00Z","group_id":null,"data":{}}`)
	req, err := http.NewRequest(http.MethodPost, env.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sign := signing.Headers
	if len(signWith) > 0 && strings.HasPrefix(signWith[0], signing.PrivateKeyPrefix) {
		sign = signing.HeadersAsymmetric
	}
	signed, err := sign(id, ts, body, signWith...)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range signed {
		req.Header[name] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Hookd-Attempt", "1")
	if test {
		req.Header.Set("Hookd-Test-Delivery", "true")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (env *receiverEnv) stats(t *testing.T) receiverStats {
	t.Helper()
	s, err := receiverStatus(context.Background(), env.url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (env *receiverEnv) wantOutput(t *testing.T, want ...string) {
	t.Helper()
	out := env.out.String()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("the receiver's output lacks %q; it is:\n%s", w, out)
		}
	}
}

func TestReceiverVerifiesKnownSecret(t *testing.T) {
	env := startReceiver(t)
	secret := secrets.NewSecret()
	env.writeSecret(t, "audit", secret)

	if got := env.post(t, "/hooks/audit", "evt_1", env.clock.now(), true, secret); got != http.StatusNoContent {
		t.Fatalf("status = %d, want 204", got)
	}
	if got, want := env.stats(t), (receiverStats{Received: 1, Verified: 1}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
	env.wantOutput(t, "[receiver] /hooks/audit webhook-id=evt_1 type=workspace.created Hookd-Test-Delivery=true attempt=1: signature verified\n")
}

func TestReceiverRejectsOtherSecret(t *testing.T) {
	env := startReceiver(t)
	env.writeSecret(t, "audit", secrets.NewSecret())

	if got := env.post(t, "/audit", "evt_1", env.clock.now(), false, secrets.NewSecret()); got != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", got)
	}
	if got, want := env.stats(t), (receiverStats{Received: 1, Failed: 1}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
	env.wantOutput(t, "Hookd-Test-Delivery=false", "signature FAILED: webhook-signature: "+signing.ErrNoMatch.Error(), "Hookd-Signature: "+signing.ErrNoMatch.Error())
}

func TestReceiverRejectsStaleTimestamp(t *testing.T) {
	env := startReceiver(t)
	secret := secrets.NewSecret()
	env.writeSecret(t, "audit", secret)

	if got := env.post(t, "/audit", "evt_1", env.clock.now().Add(-10*time.Minute), false, secret); got != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", got)
	}
	env.wantOutput(t, "signature FAILED", signing.ErrTimestampTooOld.Error())
}

// During a rotation the file holds the new and the previous secret, and a
// delivery verifies with either.
func TestReceiverAcceptsAnySecretOfTheFile(t *testing.T) {
	env := startReceiver(t)
	current, previous := secrets.NewSecret(), secrets.NewSecret()
	env.writeSecret(t, "audit", current, previous)

	if got := env.post(t, "/audit", "evt_old", env.clock.now(), false, previous); got != http.StatusNoContent {
		t.Errorf("signed with the previous secret: status = %d, want 204", got)
	}
	if got := env.post(t, "/audit", "evt_both", env.clock.now(), false, current, previous); got != http.StatusNoContent {
		t.Errorf("signed with both: status = %d, want 204", got)
	}
	if got, want := env.stats(t), (receiverStats{Received: 2, Verified: 2}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}

// For a v1a webhook the file holds public keys; a delivery verifies with
// either during a rotation, and not with a key of another webhook.
func TestReceiverVerifiesV1aWithPublicKeys(t *testing.T) {
	env := startReceiver(t)
	current, previous := signing.NewSigningKey(), signing.NewSigningKey()
	pubCurrent, _ := signing.PublicKey(current)
	pubPrevious, _ := signing.PublicKey(previous)
	env.writeSecret(t, "audit", pubCurrent, pubPrevious)

	if got := env.post(t, "/audit", "evt_both", env.clock.now(), false, current, previous); got != http.StatusNoContent {
		t.Errorf("signed with both keys: status = %d, want 204", got)
	}
	if got := env.post(t, "/audit", "evt_other", env.clock.now(), false, signing.NewSigningKey()); got != http.StatusUnauthorized {
		t.Errorf("signed with another key: status = %d, want 401", got)
	}
	if got, want := env.stats(t), (receiverStats{Received: 2, Verified: 1, Failed: 1}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
	env.wantOutput(t, "signature FAILED: webhook-signature: "+signing.ErrNoMatch.Error())
}

// A test_on_apply delivery arrives before its secret can be known: it is
// answered 2xx, held, and verified once the file appears, with its
// timestamp checked against the time it arrived.
func TestReceiverHoldsUntilSecretAppears(t *testing.T) {
	env := startReceiver(t)
	secret := secrets.NewSecret()
	arrived := env.clock.now()

	if got := env.post(t, "/hooks/billing", "evt_test", arrived, true, secret); got != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", got)
	}
	if got, want := env.stats(t), (receiverStats{Received: 1, Held: 1}); got != want {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
	env.wantOutput(t, `webhook-id=evt_test type=workspace.created Hookd-Test-Delivery=true attempt=1: held: no secret for "billing" yet`)

	// Nothing changes while the secret is missing.
	env.r.retryHeld()
	if got := env.stats(t); got.Held != 1 {
		t.Fatalf("stats = %+v, want it still held", got)
	}

	// Terraform took its time: the secret appears 10 minutes later, far
	// past the timestamp tolerance from now, but not from arrival.
	env.clock.advance(10 * time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go env.r.watch(ctx, 10*time.Millisecond)
	if _, err := writeSecrets(env.dir, map[string]string{"billing": secret}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return env.stats(t).Held == 0 })

	if got, want := env.stats(t), (receiverStats{Received: 1, Verified: 1}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
	env.wantOutput(t, "/hooks/billing webhook-id=evt_test type=workspace.created Hookd-Test-Delivery=true attempt=1: signature verified (held 10m0s until its secret was known)")
}

func TestReceiverHeldDeliveryWithOtherSecretFails(t *testing.T) {
	env := startReceiver(t)
	if got := env.post(t, "/billing", "evt_test", env.clock.now(), true, secrets.NewSecret()); got != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", got)
	}
	env.writeSecret(t, "billing", secrets.NewSecret())
	env.r.retryHeld()

	if got, want := env.stats(t), (receiverStats{Received: 1, Failed: 1}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
	env.wantOutput(t, "signature FAILED (held 0s until its secret was known): webhook-signature: "+signing.ErrNoMatch.Error())
}

// Several held deliveries of different webhooks are released one by one,
// each when its own secret appears.
func TestReceiverReleasesEachHeldDeliveryWithItsOwnSecret(t *testing.T) {
	env := startReceiver(t)
	audit, billing := secrets.NewSecret(), secrets.NewSecret()
	env.post(t, "/audit", "evt_a", env.clock.now(), true, audit)
	env.post(t, "/billing", "evt_b", env.clock.now(), true, billing)
	env.post(t, "/audit", "evt_c", env.clock.now(), false, audit)

	env.writeSecret(t, "audit", audit)
	env.r.retryHeld()
	if got, want := env.stats(t), (receiverStats{Received: 3, Verified: 2, Held: 1}); got != want {
		t.Fatalf("after the audit secret: stats = %+v, want %+v", got, want)
	}
	env.writeSecret(t, "billing", billing)
	env.r.retryHeld()
	if got, want := env.stats(t), (receiverStats{Received: 3, Verified: 3}); got != want {
		t.Fatalf("after the billing secret: stats = %+v, want %+v", got, want)
	}
}

func TestReceiverRefusesPathWithoutName(t *testing.T) {
	env := startReceiver(t)
	if got := env.post(t, "/", "evt_1", env.clock.now(), false, secrets.NewSecret()); got != http.StatusNotFound {
		t.Errorf("status = %d, want 404", got)
	}
	if got := env.stats(t); got.Failed != 1 {
		t.Errorf("stats = %+v, want one failure", got)
	}
}

func TestWaitCmd(t *testing.T) {
	env := startReceiver(t)
	secret := secrets.NewSecret()
	env.post(t, "/audit", "evt_1", env.clock.now(), true, secret)

	wait := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := waitCmd(context.Background(), append([]string{"-receiver", env.url}, args...), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	// Held: the wait times out, saying so.
	if out, err := wait("-timeout", "300ms"); err == nil || !strings.Contains(err.Error(), "1 of them held") {
		t.Fatalf("wait with a held delivery: err = %v, output %q; want a timeout naming it", err, out)
	}
	env.writeSecret(t, "audit", secret)
	env.r.retryHeld()
	if out, err := wait("-min", "1", "-timeout", "1s"); err != nil || !strings.Contains(out, "all 1 delivery\n") {
		t.Fatalf("wait after verification: err = %v, output %q", err, out)
	}
	if _, err := wait("-min", "2", "-timeout", "300ms"); err == nil {
		t.Fatal("wait for more deliveries than arrived: want a timeout")
	}
	env.post(t, "/audit", "evt_2", env.clock.now(), false, secrets.NewSecret())
	if _, err := wait("-timeout", "1s"); err == nil || !strings.Contains(err.Error(), "1 of 2 deliveries did not verify") {
		t.Fatalf("wait after a failure: err = %v, want it to name the failure", err)
	}
}

func TestAddrCmd(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "hookd.log")
	addr := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := addrCmd(context.Background(), args, &out, &errOut)
		return out.String(), err
	}

	// hookd has not written its line yet, then does.
	if err := os.WriteFile(log, []byte(`{"time":"2026-01-01T00:00:00Z","level":"INFO","msg":"migrated","version":3}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := addr("-hookd-log", log, "-timeout", "200ms"); err == nil {
		t.Fatal("want a timeout before the started line")
	}
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"time":"2026-01-01T00:00:00Z","level":"INFO","msg":"hookd started","version":"dev","addr":"127.0.0.1:43210","db":"x"}` + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := addr("-hookd-log", log, "-timeout", "1s"); err != nil || got != "127.0.0.1:43210\n" {
		t.Errorf("addr = %q, %v; want 127.0.0.1:43210", got, err)
	}

	file := filepath.Join(dir, "receiver.addr")
	if err := writeFileAtomic(file, "http://127.0.0.1:5555\n"); err != nil {
		t.Fatal(err)
	}
	if got, err := addr("-file", file, "-timeout", "1s"); err != nil || got != "http://127.0.0.1:5555\n" {
		t.Errorf("addr -file = %q, %v", got, err)
	}

	// A process that has exited ends the wait at once.
	exited := exitedPID(t)
	start := time.Now()
	if _, err := addr("-file", filepath.Join(dir, "never"), "-pid", exited, "-timeout", "5s"); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("addr with an exited pid: err = %v, want it to say the process exited", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("addr with an exited pid took %s", d)
	}

	if _, err := addr("-timeout", "1s"); !errors.Is(err, errUsage) {
		t.Errorf("addr without -hookd-log or -file: err = %v, want a usage error", err)
	}
}

func TestWriteSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	names, err := writeSecrets(dir, map[string]string{"billing": "whsec_b", "audit": "whsec_a"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "audit,billing" {
		t.Errorf("names = %v", names)
	}
	for name, want := range map[string]string{"audit": "whsec_a\n", "billing": "whsec_b\n"} {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", name, fi.Mode().Perm(), err)
		}
	}
	if _, err := writeSecrets(dir, map[string]string{"../escape": "whsec_x"}); err == nil {
		t.Error("a name with a slash: want an error")
	}
}

func TestSecretsCmdRejectsNonObject(t *testing.T) {
	var out, errOut bytes.Buffer
	err := secretsCmd([]string{"-dir", t.TempDir()}, strings.NewReader(`"whsec_x"`), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "terraform output -json") {
		t.Errorf("err = %v, want it to say what input it expects", err)
	}
}

// waitFor polls cond for up to a second.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 1s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
