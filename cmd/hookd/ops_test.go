package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// startedDatabase runs hookd once on a new database and stops it: the
// database then holds data (the generated API key) and its key file.
func startedDatabase(t *testing.T) (db, keyFile string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "hookd.db")
	p := startHookd(t, "--db", db)
	p.url()
	p.stop(syscall.SIGTERM)
	return db, db + ".key"
}

// A missing or wrong key stops hookd before it listens, with a message
// that names the file or variable at fault and what to do; no key file is
// made up for a database that holds data.
func TestKeyProblemsStopTheStart(t *testing.T) {
	db, keyFile := startedDatabase(t)
	good, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	serve := func() (int, string) {
		var out, errb bytes.Buffer
		code := run([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, &out, &errb)
		return code, errb.String()
	}

	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	code, msg := serve()
	want := "hookd: the database " + db + " holds data but its key file " + keyFile + " is missing: restore that file from a backup, " +
		"or set HOOKD_ENCRYPTION_KEY to the key the database was created with " +
		"(hookd does not create a new key for a database that holds data: it could not decrypt the secrets stored there)\n"
	if code != 1 || msg != want {
		t.Errorf("missing key file: exit %d, stderr:\n%s\nwant:\n%s", code, msg, want)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Error("hookd created a key file next to a database that holds data")
	}

	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	if err := os.WriteFile(keyFile, []byte(other+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, msg = serve()
	want = "hookd: the key file " + keyFile + " does not open the database " + db + " (its secrets were sealed with another key): " +
		"put back the key file the database was created with, or set HOOKD_ENCRYPTION_KEY to that key\n"
	if code != 1 || msg != want {
		t.Errorf("wrong key file: exit %d, stderr:\n%s\nwant:\n%s", code, msg, want)
	}

	if err := os.WriteFile(keyFile, good, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOOKD_ENCRYPTION_KEY", other)
	code, msg = serve()
	want = "hookd: HOOKD_ENCRYPTION_KEY does not open the database " + db + " (its secrets were sealed with another key): " +
		"set HOOKD_ENCRYPTION_KEY to the key the database was created with, or unset it to use the key file " + keyFile + "\n"
	if code != 1 || msg != want {
		t.Errorf("wrong HOOKD_ENCRYPTION_KEY: exit %d, stderr:\n%s\nwant:\n%s", code, msg, want)
	}
}

// --metrics-addr serves /metrics on its own listener without a key; the
// API listener then has no /metrics. Probes need no key on the API listener.
func TestMetricsAddrAndProbes(t *testing.T) {
	p := startHookd(t, "--db", filepath.Join(t.TempDir(), "hookd.db"), "--metrics-addr", "127.0.0.1:0")
	base := p.url()
	metricsAddr := <-p.metricsAddr
	if metricsAddr == "" {
		t.Fatalf("no metrics_addr in the start record:\n%s", p.output())
	}
	get := func(url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("http://" + metricsAddr + "/metrics"); code != http.StatusOK || !strings.Contains(body, "hookd_deliveries_due 0") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("GET /metrics on --metrics-addr: %d\n%.500s", code, body)
	}
	key := ""
	for _, line := range strings.Split(p.output(), "\n") {
		if s := strings.TrimSpace(line); strings.HasPrefix(s, "hookd_") {
			key = s
		}
	}
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on --addr with --metrics-addr set: %d, want 404", res.StatusCode)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(base + path); code != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
	}
	p.stop(syscall.SIGTERM)
}
