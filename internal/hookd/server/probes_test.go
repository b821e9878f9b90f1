package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// probe GETs path without an API key.
func probe(t *testing.T, s *hookdtest.Server, path string) (int, map[string]any) {
	t.Helper()
	res, err := contractClient(t).Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestProbes(t *testing.T) {
	sqliteOnly(t, "breaks the SQLite file under the server")
	s := hookdtest.Start(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if status, body := probe(t, s, path); status != http.StatusOK || body["status"] != "ok" {
			t.Fatalf("%s: %d %v", path, status, body)
		}
	}

	// The key check record gone (a database swapped underneath hookd):
	// alive, not ready.
	// (Over a connection that waits for hookd's own writes: its background
	// lister and checkpointer may hold the database a moment.)
	s.ExecSQL(t, `DELETE FROM key_check`)
	status, body := probe(t, s, "/readyz")
	want := "hookd is not ready: the encryption key is not verified: it does not open the database's key check record"
	if status != http.StatusServiceUnavailable || body["code"] != "not_ready" || body["detail"] != want {
		t.Fatalf("/readyz without a key check record: %d %v", status, body)
	}
	if status, _ := probe(t, s, "/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz: %d", status)
	}

	// The database closed: not ready, and the detail says so.
	if err := s.Store.Close(); err != nil {
		t.Fatal(err)
	}
	status, body = probe(t, s, "/readyz")
	want = "hookd is not ready: the database does not answer: sql: database is closed"
	if status != http.StatusServiceUnavailable || body["code"] != "not_ready" || body["detail"] != want {
		t.Fatalf("/readyz with the database closed: %d %v", status, body)
	}
	if status, _ := probe(t, s, "/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz with the database closed: %d", status)
	}
}

// A path with ".", ".." or empty segments is refused with problem+json,
// under the console's prefix as elsewhere: never a redirect with an HTML
// body (the console's mux would send /console/../v1/groups to /v1/groups).
func TestUncleanPathsRefused(t *testing.T) {
	s := hookdtest.Start(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/console/../v1/groups", "/console//webhooks", "/console/./webhooks", "/v1/../console/", "/v1//groups"} {
		req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Sent as written: the client would not clean it, but say so.
		req.URL.Opaque = path
		req.Header.Set("Authorization", "Bearer "+s.APIKey)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(fmt.Sprint(body["detail"]), `paths must not have ".", ".." or empty segments`) {
			t.Errorf("GET %s: %d %s %v, want 404 problem+json", path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
	// Canonical console paths still reach the console.
	res, err := client.Get(s.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode >= 400 || strings.Contains(ct, "problem") {
		t.Errorf("GET /console/: %d %s", res.StatusCode, ct)
	}
}
