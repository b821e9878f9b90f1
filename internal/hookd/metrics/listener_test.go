package metrics

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The metrics' own listener serves GET and HEAD /metrics; every other
// request gets a problem document, as from the API, saying what this
// listener serves and where the API is.
func TestListener(t *testing.T) {
	srv := httptest.NewServer(New(Config{Stats: &fakeStats{}}).Listener())
	t.Cleanup(srv.Close)
	do := func(method, path string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, body
	}
	res, body := do(http.MethodGet, "/metrics")
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "hookd_build_info") {
		t.Fatalf("GET /metrics: %d %.200s", res.StatusCode, body)
	}
	if res, body := do(http.MethodHead, "/metrics"); res.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("HEAD /metrics: %d with %d bytes", res.StatusCode, len(body))
	}
	for _, c := range []struct {
		method, path string
		status       int
		code, detail string
	}{
		{"GET", "/v1/groups", 404, "not_found", "no such endpoint: GET /v1/groups; this listener (--metrics-addr) serves only GET /metrics, without an API key: the Hooks API and the console are on the --addr listener"},
		{"GET", "/", 404, "not_found", "no such endpoint: GET /; this listener (--metrics-addr) serves only GET /metrics, without an API key: the Hooks API and the console are on the --addr listener"},
		{"GET", "/metrics/", 404, "not_found", "no such endpoint: GET /metrics/; this listener (--metrics-addr) serves only GET /metrics, without an API key: the Hooks API and the console are on the --addr listener"},
		{"POST", "/metrics", 405, "method_not_allowed", "POST is not allowed on /metrics; allowed: GET, HEAD"},
	} {
		res, body := do(c.method, c.path)
		var p struct {
			Type, Title, Detail, Code, Instance string
			Status                              int
			RequestID                           string `json:"request_id"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("%s %s: %v: %s", c.method, c.path, err, body)
		}
		if res.StatusCode != c.status || res.Header.Get("Content-Type") != "application/problem+json" || p.Status != c.status ||
			p.Code != c.code || p.Detail != c.detail || p.Type != "https://hookd.dev/problems/"+c.code || p.Title == "" ||
			p.Instance != c.path || p.RequestID == "" || p.RequestID != res.Header.Get("X-Request-Id") {
			t.Errorf("%s %s: %d %s %s", c.method, c.path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if c.status == 405 && res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q", c.method, c.path, res.Header.Get("Allow"))
		}
	}
}
