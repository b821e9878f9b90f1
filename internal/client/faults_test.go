package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// No server at the endpoint: the error wraps ErrUnreachable (not an
// *APIError), after the configured retries.
func TestUnreachable(t *testing.T) {
	ln := listen(t)
	endpoint := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more
	var lines atomic.Int32
	c, err := New(endpoint, "k", WithRetryPolicy(RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}),
		WithLogger(LoggerFunc(func(_ context.Context, msg string, _ LogEntry) {
			if msg == "hookd API request failed" {
				lines.Add(1)
			}
		})))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetGroup(t.Context(), "grp_x")
	var apiErr *APIError
	if !errors.Is(err, ErrUnreachable) || errors.As(err, &apiErr) || errors.Is(err, ErrNotFound) {
		t.Fatalf("err %v, want ErrUnreachable", err)
	}
	if lines.Load() != 3 {
		t.Fatalf("%d tries, want 1 + 2 retries", lines.Load())
	}
}

// A connection that drops in the middle of the answer is unreachable too,
// and retried.
func TestDroppedResponseBodyIsRetried(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			res, err := next.RoundTrip(r)
			if err == nil && calls.Add(1) == 1 {
				res.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"data": [`), failingReader{}))
			}
			return res, err
		})
	})
	if _, err := c.ListGroups(t.Context(), GroupListOptions{}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d calls, want 2", calls.Load())
	}
	c.retry.MaxRetries = 0
	calls.Store(0)
	if _, err := c.ListGroups(t.Context(), GroupListOptions{}); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("without retries: %v, want ErrUnreachable", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

// A 409 saying that the same idempotent call is still in flight is retried
// with the same key; a 409 about the data is not.
func TestInFlightConflictIsRetried(t *testing.T) {
	var calls atomic.Int32
	keys := make(chan string, 4)
	c, _ := newTestClient(t, func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			keys <- r.Header.Get("Idempotency-Key")
			if calls.Add(1) == 1 {
				res := problemResponse(r, http.StatusConflict, "1")
				res.Body = io.NopCloser(strings.NewReader(`{"type":"https://hookd.dev/problems/idempotency_key_in_flight","title":"x","status":409,"detail":"in flight","code":"idempotency_key_in_flight","request_id":"req_fault"}`))
				return res, nil
			}
			return next.RoundTrip(r)
		})
	})
	if _, err := c.CreateGroup(t.Context(), CreateGroupRequest{Name: "g"}); err != nil {
		t.Fatal(err)
	}
	if first, second := <-keys, <-keys; first == "" || first != second {
		t.Fatalf("keys %q and %q, want one key for both tries", first, second)
	}
	calls.Store(10) // no more faults
	_, err := c.CreateGroup(t.Context(), CreateGroupRequest{Name: "g"})
	if !errors.Is(err, ErrConflict) || calls.Load() != 11 {
		t.Fatalf("duplicate name: %v after %d calls, want one ErrConflict", err, calls.Load()-10)
	}
}

// Retry-After is honoured up to MaxRetryAfter, not beyond.
func TestRetryAfterIsCapped(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				return problemResponse(r, 429, "3600"), nil
			}
			return next.RoundTrip(r)
		})
	}, WithRetryPolicy(RetryPolicy{MaxRetries: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: 2 * time.Second}))
	var waited []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }
	if _, err := c.ListGroups(t.Context(), GroupListOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(waited) != 1 || waited[0] != 2*time.Second {
		t.Fatalf("waited %v, want the cap of 2s", waited)
	}
	// Out of retries: the 429 comes back as ErrRateLimited.
	calls.Store(0)
	c.retry.MaxRetries = 0
	if _, err := c.ListGroups(t.Context(), GroupListOptions{}); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err %v, want ErrRateLimited", err)
	}
}

// Every request carries the user agent, the API key and JSON accept
// headers; failed calls return no value.
func TestRequestHeaders(t *testing.T) {
	seen := make(chan http.Header, 1)
	c, s := newTestClient(t, func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			select {
			case seen <- r.Header.Clone():
			default:
			}
			return next.RoundTrip(r)
		})
	}, WithUserAgent("terraform-provider-hookd/1.2.3 (+https://www.terraform.io) Terraform/1.14.0"))
	g, err := c.GetGroup(t.Context(), "grp_missing")
	if g != nil || !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetGroup of a missing group: %v, %v; want nil, ErrNotFound", g, err)
	}
	h := <-seen
	if h.Get("User-Agent") != "terraform-provider-hookd/1.2.3 (+https://www.terraform.io) Terraform/1.14.0" || h.Get("Authorization") != "Bearer "+s.APIKey {
		t.Fatalf("headers %v", h)
	}
	if d, _ := New("http://127.0.0.1:1", "k"); d.userAgent != DefaultUserAgent || !strings.HasPrefix(DefaultUserAgent, "terraform-provider-hookd/") {
		t.Fatalf("default user agent %q", d.userAgent)
	}
}
