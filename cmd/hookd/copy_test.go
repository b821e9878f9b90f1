package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/contract"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
)

// apiKeyOf is the API key a hookd process generated and printed at its
// first start.
func apiKeyOf(t *testing.T, p *process) string {
	t.Helper()
	for _, line := range strings.Split(p.output(), "\n") {
		if s := strings.TrimSpace(line); strings.HasPrefix(s, "hookd_") {
			return s
		}
	}
	t.Fatalf("no generated API key printed:\n%s", p.output())
	return ""
}

// apiCaller calls the API with key, checks the status and decodes the
// answer; requests and answers are checked against the contract.
func apiCaller(t *testing.T, key string) func(base, method, path, body string, want int) map[string]any {
	client := &http.Client{Transport: contract.Transport(t, nil)}
	t.Cleanup(client.CloseIdleConnections)
	return func(base, method, path, body string, want int) map[string]any {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, res.StatusCode, want, out)
		}
		return out
	}
}

// field is m[key] as a T, or the test fails.
func field[T any](t *testing.T, m map[string]any, key string) T {
	t.Helper()
	v, ok := m[key].(T)
	if !ok {
		t.Fatalf("%q is %T (%v), want a %T, in %v", key, m[key], m[key], *new(T), m)
	}
	return v
}

// signedRequest is one request a receiver got.
type signedRequest struct {
	header http.Header
	body   []byte
}

// recordingReceiver answers 204 and keeps what it got.
func recordingReceiver(t *testing.T) (url string, got func() []signedRequest) {
	var mu sync.Mutex
	var reqs []signedRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, signedRequest{r.Header.Clone(), body})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []signedRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]signedRequest(nil), reqs...)
	}
}

// waitFor polls cond every 20 ms for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hookd copy moves a SQLite database, as hookd serve left it, into a new
// SQLite file or a PostgreSQL database: the hookd serving the copy
// accepts the same API key, serves the same group, webhook and delivery
// history, and signs its deliveries with the same secret (verified by
// stripe-go and the Standard Webhooks library), so no receiver and no
// Terraform state notices the move. It refuses while a hookd serves the source, and into
// a database that holds data.
func TestCopyDatabase(t *testing.T) {
	et, _ := catalog.Default().Lookup("transfer.created")
	event := `{"type": "transfer.created", "data": ` + string(et.Example) + `}`
	for _, target := range []string{"sqlite", "postgres"} {
		t.Run(target, func(t *testing.T) {
			rcv, received := recordingReceiver(t)
			src := filepath.Join(t.TempDir(), "hookd.db")
			p := startHookd(t, "--db", src, "--allow-private-destinations")
			base := p.url()
			key := apiKeyOf(t, p)
			api := apiCaller(t, key)
			g := api(base, "POST", "/v1/groups", `{"name": "payments"}`, http.StatusCreated)
			wh := api(base, "POST", "/v1/webhooks/account", `{"url": "`+rcv+`", "events": ["transfer.*"]}`, http.StatusCreated)
			whID, secret := field[string](t, wh, "id"), field[string](t, wh, "secret")
			api(base, "POST", "/v1/events", event, http.StatusAccepted)
			waitFor(t, "the source's delivery", func() bool { return len(received()) == 1 })

			var out, errb bytes.Buffer
			t.Setenv("HOOKD_ENCRYPTION_KEY", "") // the key comes from the file beside the source
			to := filepath.Join(t.TempDir(), "copy.db")
			if target == "postgres" {
				to = pgtest.Database(t)
			}
			if code := run([]string{"copy", "--from", src, "--to", to}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "stop the other hookd first") {
				t.Fatalf("copy while hookd serves the source: exit %d, stderr %q", code, errb.String())
			}
			p.stop(syscall.SIGTERM)

			out.Reset()
			errb.Reset()
			if code := run([]string{"copy", "--from", src, "--to", to}, &out, &errb); code != 0 {
				t.Fatalf("copy: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
			}
			for _, want := range []string{"hookd: copied webhooks ", "hookd: copied deliveries ", "hookd: copied " + src + " to "} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("copy's output lacks %q:\n%s", want, out.String())
				}
			}
			fileKey, err := os.ReadFile(src + ".key")
			if err != nil {
				t.Fatal(err)
			}
			var env []string
			if target == "postgres" {
				if want := "the key in " + src + ".key as HOOKD_ENCRYPTION_KEY"; !strings.Contains(out.String(), want) {
					t.Errorf("copy's output lacks %q:\n%s", want, out.String())
				}
				env = []string{"HOOKD_ENCRYPTION_KEY=" + strings.TrimSpace(string(fileKey))}
			} else if copied, err := os.ReadFile(to + ".key"); err != nil || !bytes.Equal(copied, fileKey) {
				t.Fatalf("the copy's key file: %q, %v; want the source's", copied, err)
			}

			p = startHookdEnv(t, env, "--db", to, "--allow-private-destinations")
			base = p.url()
			if strings.Contains(p.output(), "generated the first API key") {
				t.Fatalf("hookd generated an API key on the copy, which holds the source's:\n%s", p.output())
			}
			if got := api(base, "GET", "/v1/groups/"+field[string](t, g, "id"), "", http.StatusOK); got["name"] != "payments" {
				t.Errorf("the group in the copy: %v", got)
			}
			got := api(base, "GET", "/v1/webhooks/"+whID, "", http.StatusOK)
			if got["secret_fingerprint"] != wh["secret_fingerprint"] || got["url"] != rcv {
				t.Errorf("the webhook in the copy: %v, want the source's %v", got, wh)
			}
			history := field[[]any](t, api(base, "GET", "/v1/webhooks/"+whID+"/deliveries", "", http.StatusOK), "data")
			if len(history) != 1 {
				t.Errorf("the delivery history in the copy: %v, want the one delivery", history)
			} else if first, _ := history[0].(map[string]any); first["status"] != "succeeded" {
				t.Errorf("the delivery in the copy: %v, want it succeeded", first)
			}
			api(base, "POST", "/v1/events", event, http.StatusAccepted)
			waitFor(t, "the copy's delivery", func() bool { return len(received()) == 2 })
			for i, r := range received() {
				// stripe-go and the Standard Webhooks library, each given
				// the secret as the source's API returned it.
				if err := hookdtest.SignedBy(secret, r.header, r.body); err != nil {
					t.Errorf("delivery %d (%s) does not verify with the secret the source created: %v", i+1, []string{"the source's", "the copy's"}[i], err)
				}
			}
			p.stop(syscall.SIGTERM)

			out.Reset()
			errb.Reset()
			if code := run([]string{"copy", "--from", src, "--to", to}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "the target database already holds data (groups 1, webhooks 1,") {
				t.Errorf("copy into a database that holds data: exit %d, stderr %q", code, errb.String())
			}
		})
	}
}

// hookd copy's bad input: each refusal names what is wrong and what to do.
func TestCopyRefusals(t *testing.T) {
	t.Setenv("HOOKD_ENCRYPTION_KEY", "")
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no flags", nil, "hookd: give the database to copy from (--from) and the one to copy to (--to)\n"},
		{"same file", []string{"--from", filepath.Join(dir, "a.db"), "--to", dir + "/./a.db"}, "hookd: --from and --to are the same database (" + filepath.Join(dir, "a.db") + ")\n"},
		{"no key file", []string{"--from", filepath.Join(dir, "a.db"), "--to", filepath.Join(dir, "b.db")},
			"hookd: --from: the key file " + filepath.Join(dir, "a.db") + ".key is missing: set HOOKD_ENCRYPTION_KEY to the key the database " + filepath.Join(dir, "a.db") + " was created with\n"},
		{"postgres without a key", []string{"--from", "postgres://hookd:secret@127.0.0.1:1/hookd", "--to", filepath.Join(dir, "b.db")},
			"hookd: HOOKD_ENCRYPTION_KEY is required to copy from PostgreSQL (postgres://hookd:xxxxx@127.0.0.1:1/hookd): set it to the key its hookd processes are given\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(append([]string{"copy"}, tc.args...), &out, &errb); code != 1 || errb.String() != tc.want {
				t.Errorf("exit %d, stderr:\n%q\nwant:\n%q", code, errb.String(), tc.want)
			}
		})
	}
}

// hookd copy and the key files: a wrong key file of the source is named
// as such; a target key file that holds the same key is used (and the
// command says so), one that holds another is refused, and so is a target
// database sealed with another key. Nothing is copied in the refusals.
func TestCopyKeyFiles(t *testing.T) {
	t.Setenv("HOOKD_ENCRYPTION_KEY", "")
	src, keyFile := startedDatabase(t)
	good, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)) + "\n"
	copyTo := func(to string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run([]string{"copy", "--from", src, "--to", to}, &out, &errb)
		return code, out.String(), errb.String()
	}
	dir := t.TempDir()

	if err := os.WriteFile(keyFile, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, msg := copyTo(filepath.Join(dir, "a.db"))
	want := "hookd: --from: the key file " + keyFile + " does not open the database " + src + " (its secrets were sealed with another key): " +
		"put back the key file the database was created with, or set HOOKD_ENCRYPTION_KEY to that key\n"
	if code != 1 || msg != want {
		t.Errorf("wrong source key file: exit %d, stderr:\n%s\nwant:\n%s", code, msg, want)
	}
	if err := os.WriteFile(keyFile, good, 0o600); err != nil {
		t.Fatal(err)
	}

	held := filepath.Join(dir, "held.db")
	if err := os.WriteFile(held+".key", []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, msg = copyTo(held)
	want = "hookd: --to: the key file " + held + ".key holds another key than " + src + "'s: copy into a new file, or remove both " + held + " and " + held + ".key if that database is not needed\n"
	if code != 1 || msg != want {
		t.Errorf("target key file of another key: exit %d, stderr:\n%s\nwant:\n%s", code, msg, want)
	}

	c, err := secrets.NewCipher(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed := filepath.Join(dir, "sealed.db")
	st, err := store.OpenSQLite(sealed, c)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	code, _, msg = copyTo(sealed)
	want = "hookd: --to: the database " + sealed + " was created with another encryption key than " + src + "'s, so it is not a new database: copy into a new, empty one\n"
	if code != 1 || msg != want {
		t.Errorf("target of another key: exit %d, stderr:\n%s\nwant:\n%s", code, msg, want)
	}
	if _, err := os.Stat(sealed + ".key"); err == nil {
		t.Error("a refused copy wrote a key file")
	}

	same := filepath.Join(dir, "same.db")
	if err := os.WriteFile(same+".key", good, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, msg := copyTo(same)
	if want := "hookd: its key is in " + same + ".key; start hookd serve --db " + same + "\n"; code != 0 || !strings.HasSuffix(out, want) {
		t.Errorf("target key file of the same key: exit %d, stdout:\n%s\nstderr: %s\nwant it to end with:\n%s", code, out, msg, want)
	}
}
