package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/contract"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// client talks to a real in-process hookd through the contract validator.
type client struct {
	t    *testing.T
	base string
	key  string
	http *http.Client
}

func newClient(t *testing.T, s *hookdtest.Server) *client {
	t.Helper()
	return &client{t: t, base: s.URL, key: s.APIKey, http: &http.Client{Transport: contract.Transport(t, nil)}}
}

// req is one call; body is a string (sent as is) or a value (sent as JSON).
type req struct {
	method, path string
	body         any
	headers      map[string]string
	invalid      bool // deliberately outside the contract
	noAuth       bool
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (c *client) do(r req) resp {
	c.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = bytes.NewBufferString(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	ctx := context.Background()
	if r.invalid {
		ctx = contract.Invalid(ctx)
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if !r.noAuth {
		hr.Header.Set("Authorization", "Bearer "+c.key)
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	res, err := c.http.Do(hr)
	if err != nil {
		c.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	// The signing keys it answers are trusted for the receiver at the
	// webhook's URL, which verifies every delivery it gets with them.
	hookdtest.ObserveAPI(r.method, r.path, res.StatusCode, data)
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

// ok calls and requires the given status, returning the decoded body.
func (c *client) ok(r req, status int) map[string]any {
	c.t.Helper()
	res := c.do(r)
	if res.status != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", r.method, r.path, res.status, status, res.body)
	}
	if len(res.body) == 0 {
		return nil
	}
	var out map[string]any
	if err := json.Unmarshal(res.body, &out); err != nil {
		c.t.Fatalf("%s %s: body is not a JSON object: %v: %s", r.method, r.path, err, res.body)
	}
	return out
}

type problemDoc struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Pointer string `json:"pointer"`
		Detail  string `json:"detail"`
	} `json:"errors"`
}

// problem calls and requires a problem+json with status and code.
func (c *client) problem(r req, status int, code string) problemDoc {
	c.t.Helper()
	res := c.do(r)
	if res.status != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", r.method, r.path, res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
		c.t.Fatalf("%s %s: Content-Type %q, want application/problem+json", r.method, r.path, ct)
	}
	var p problemDoc
	if err := json.Unmarshal(res.body, &p); err != nil {
		c.t.Fatalf("problem body: %v: %s", err, res.body)
	}
	if p.Code != code || p.Status != status {
		c.t.Fatalf("%s %s: problem code %q status %d, want %q %d: %s", r.method, r.path, p.Code, p.Status, code, status, res.body)
	}
	if p.RequestID == "" || p.RequestID != res.header.Get("X-Request-Id") {
		c.t.Fatalf("problem request_id %q does not match X-Request-Id %q", p.RequestID, res.header.Get("X-Request-Id"))
	}
	return p
}

func (c *client) createGroup(name string) map[string]any {
	c.t.Helper()
	return c.ok(req{method: "POST", path: "/v1/groups", body: map[string]any{"name": name}}, http.StatusCreated)
}

func (c *client) createAccountWebhook(body map[string]any) map[string]any {
	c.t.Helper()
	return c.ok(req{method: "POST", path: "/v1/webhooks/account", body: body}, http.StatusCreated)
}

// count returns how many webhooks exist (all pages).
func (c *client) countWebhooks() int {
	c.t.Helper()
	n, cursor := 0, ""
	for {
		path := "/v1/webhooks?limit=1000"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		page := c.ok(req{method: "GET", path: path}, http.StatusOK)
		n += len(field[[]any](c.t, page, "data"))
		next, _ := page["next_cursor"].(string)
		if next == "" {
			return n
		}
		cursor = next
	}
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, body)
	}
	return out
}

// field returns m[key] as a T, failing the test when it is missing or of
// another type.
func field[T any](t testing.TB, m map[string]any, key string) T {
	t.Helper()
	v, ok := m[key].(T)
	if !ok {
		t.Fatalf("member %q is %T (%v), want %T", key, m[key], m[key], v)
	}
	return v
}

// as returns v as a T, failing the test when it is of another type.
func as[T any](t testing.TB, v any) T {
	t.Helper()
	out, ok := v.(T)
	if !ok {
		t.Fatalf("value is %T (%v), want %T", v, v, out)
	}
	return out
}

// waitFor polls cond every 5 ms for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
