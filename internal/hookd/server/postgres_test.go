package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
)

// pgAPIKey is the API key of the hookd processes startOn runs.
const pgAPIKey = "hookd_pg-test-key-0123456789"

// startOn runs a hookd on the PostgreSQL database dsn with key (and
// pgAPIKey) until the test ends, and returns its URL.
func startOn(t *testing.T, dsn, key string, opts ...func(*server.Config)) string {
	t.Helper()
	cfg := server.Config{DBPath: dsn, EncryptionKey: key, APIKey: pgAPIKey, Version: "test"}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := server.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("start hookd on PostgreSQL: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// On PostgreSQL the key is given to every process (there is no file beside
// the database): without it hookd refuses to start and says what to do,
// and a key other than the database's is refused as on SQLite.
func TestPostgresKeyRequiredAndChecked(t *testing.T) {
	dsn := pgtest.Database(t)
	_, err := server.New(t.Context(), server.Config{DBPath: dsn, Version: "test"})
	if !errors.Is(err, server.ErrEncryptionKeyRequired) || !strings.Contains(err.Error(), "openssl rand -base64 32") {
		t.Fatalf("no key: %v, want ErrEncryptionKeyRequired with how to make one", err)
	}
	startOn(t, dsn, newKey('a'))
	_, err = server.New(t.Context(), server.Config{DBPath: dsn, EncryptionKey: newKey('b'), Version: "test"})
	if !errors.Is(err, server.ErrWrongEncryptionKey) || !strings.Contains(err.Error(), "the one the other hookd processes are given") {
		t.Fatalf("another key: %v, want ErrWrongEncryptionKey", err)
	}
}

// Two processes on one database serve one API: what is created through
// one is read through the other, and a create retried with the same
// Idempotency-Key on the other process replays the first answer instead of
// creating a second webhook with a second secret.
func TestPostgresTwoServersShareOneDatabase(t *testing.T) {
	dsn := pgtest.Database(t)
	a := startOn(t, dsn, newKey('a'))
	b := startOn(t, dsn, newKey('a'))

	do := func(base, method, path, body, idem string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+pgAPIKey)
		req.Header.Set("Content-Type", "application/json")
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}
	create := `{"url":"https://example.com/hooks","events":["*"]}`
	code, first := do(a, http.MethodPost, "/v1/webhooks/account", create, "create-1")
	if code != http.StatusCreated {
		t.Fatalf("create on A: %d %s", code, first)
	}
	code, again := do(b, http.MethodPost, "/v1/webhooks/account", create, "create-1")
	if code != http.StatusCreated || !bytes.Equal(again, first) {
		t.Fatalf("the same create retried on B: %d %s\nwant the replay of A's answer %s", code, again, first)
	}
	code, list := do(b, http.MethodGet, "/v1/webhooks", "", "")
	if code != http.StatusOK || bytes.Count(list, []byte(`"id":"wh_`)) != 1 {
		t.Fatalf("list on B: %d %s, want the one webhook created on A", code, list)
	}
}

// The rate limits hold across processes: two hookd on one database allow
// one API key what one hookd would, and count one address's failed
// authentications together.
func TestPostgresRateLimitsShared(t *testing.T) {
	dsn := pgtest.Database(t)
	clock := clockwork.NewFakeClock()
	limited := func(c *server.Config) {
		c.RateLimit, c.RateBurst = 1, 4
		c.AuthFailureLimit, c.AuthFailureBurst = 1, 3
		c.Clock = clock
	}
	urls := []string{startOn(t, dsn, newKey('a'), limited), startOn(t, dsn, newKey('a'), limited)}
	get := func(i int, key string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, urls[i%2]+"/v1/groups", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i := range 4 {
		if code := get(i, pgAPIKey); code != http.StatusOK {
			t.Fatalf("request %d of a burst of 4, alternating processes: %d", i+1, code)
		}
	}
	if code := get(4, pgAPIKey); code != http.StatusTooManyRequests {
		t.Fatalf("5th request within the second, on either process: %d, want 429", code)
	}
	clock.Advance(time.Second)
	if code := get(5, pgAPIKey); code != http.StatusOK {
		t.Fatalf("a second later: %d, want 200", code)
	}

	for i := range 3 {
		if code := get(i, "hookd_wrong-key-0123456789"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d of a burst of 3: %d, want 401", i+1, code)
		}
	}
	if code := get(3, pgAPIKey); code != http.StatusTooManyRequests {
		t.Fatalf("after 3 failures through both processes, even the right key: %d, want 429", code)
	}
}

// The API key set is the database's: the first process on an empty
// database generates the first key, a second one generates none and
// accepts it.
func TestPostgresAPIKeysShared(t *testing.T) {
	dsn := pgtest.Database(t)
	first, err := server.New(t.Context(), server.Config{DBPath: dsn, EncryptionKey: newKey('a'), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Shutdown(context.Background()) })
	if first.GeneratedAPIKey == "" {
		t.Fatal("the first process on an empty database generated no API key")
	}
	second, err := server.New(t.Context(), server.Config{DBPath: dsn, EncryptionKey: newKey('a'), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Shutdown(context.Background()) })
	if second.GeneratedAPIKey != "" {
		t.Fatal("a second process generated a key of its own")
	}
	for _, tc := range []struct {
		key  string
		want int
	}{{first.GeneratedAPIKey, http.StatusOK}, {"hookd_not-the-key-0123456789", http.StatusUnauthorized}} {
		req := httptest.NewRequest(http.MethodGet, "/v1/groups", nil)
		req.Header.Set("Authorization", "Bearer "+tc.key)
		rec := httptest.NewRecorder()
		second.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("key on the second process: %d %s, want %d", rec.Code, rec.Body, tc.want)
		}
	}
}
