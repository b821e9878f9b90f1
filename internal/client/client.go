// Package client is the typed Go client of the Hooks API v1
// (api/openapi.yaml). It owns every HTTP concern of the provider: base URL,
// auth, user agent, retries with backoff and Retry-After, idempotency keys,
// pagination, typed errors and redacted logging.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "terraform-provider-hookd/dev"

// RetryPolicy bounds retries of failed calls.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first try (0: none).
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff with jitter.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter caps how long a Retry-After may make us wait.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is used unless WithRetryPolicy says otherwise.
var DefaultRetryPolicy = RetryPolicy{MaxRetries: 5, MinBackoff: 250 * time.Millisecond, MaxBackoff: 10 * time.Second, MaxRetryAfter: 60 * time.Second}

// Client calls one Hooks API server.
type Client struct {
	base      *url.URL
	apiKey    string
	http      *http.Client
	userAgent string
	retry     RetryPolicy
	log       Logger
	sleep     func(ctx context.Context, d time.Duration) error
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the HTTP client (for its transport or timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTimeout bounds each HTTP request (default 30s), keeping the client's
// own transport and its connection pool.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.http.Timeout = d } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithRetryPolicy sets the retry policy.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithLogger sets the logger of HTTP exchanges.
func WithLogger(l Logger) Option { return func(c *Client) { c.log = l } }

// ErrConfig is wrapped by New's errors.
var ErrConfig = errors.New("invalid client configuration")

// New returns a client of the API at endpoint (such as
// http://127.0.0.1:8080) authenticating with apiKey.
func New(endpoint, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: endpoint %q must be an absolute http or https URL such as http://127.0.0.1:8080", ErrConfig, rules.RedactUserinfo(endpoint))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: endpoint %q must not contain credentials, a query or a fragment", ErrConfig, redact(endpoint))
	}
	if apiKey == "" {
		return nil, fmt.Errorf("%w: the API key is empty", ErrConfig)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c := &Client{
		base: u, apiKey: apiKey, http: &http.Client{Timeout: 30 * time.Second, Transport: transport},
		userAgent: DefaultUserAgent, retry: DefaultRetryPolicy, log: nopLogger{}, sleep: sleepCtx,
	}
	for _, opt := range opts {
		opt(c)
	}
	return c, nil
}

// MaxIdleConnsPerHost is how many idle connections to the API the client
// keeps: enough for Terraform's default parallelism (10) and then some, so
// that concurrent resources reuse connections (and TLS sessions) instead
// of opening one per request, as Go's default of 2 makes them do.
const MaxIdleConnsPerHost = 32

// transport is Go's default transport with an idle pool sized for
// Terraform's parallelism, shared by every Client of the process (as
// http.DefaultTransport would be).
var transport = func() *http.Transport {
	t := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if d, ok := http.DefaultTransport.(*http.Transport); ok {
		t = d.Clone()
	}
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	if t.MaxIdleConns < MaxIdleConnsPerHost {
		t.MaxIdleConns = MaxIdleConnsPerHost
	}
	return t
}()

// CloseIdleConnections closes the idle connections of every Client's
// transport, as http.DefaultTransport.CloseIdleConnections does for the
// default one. Tests call it before stopping a server they talked to: a
// graceful shutdown waits 5 s for a connection dialed but never used.
func CloseIdleConnections() { transport.CloseIdleConnections() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call is one logical API call.
type call struct {
	method, path string
	query        url.Values
	body         any      // JSON-encoded when not nil
	contentType  string   // default application/json
	out          any      // decoded from a 2xx body when not nil
	secrets      []string // values to redact from logs and errors (a secret being set)
}

// do runs c with retries. Every POST carries one Idempotency-Key for all of
// its tries, so a retried create never creates twice; a DELETE retried
// after an answer that never came may find the object gone, and is done.
func (c *Client) do(ctx context.Context, cl call) error {
	var body []byte
	if cl.body != nil {
		var err error
		if body, err = json.Marshal(cl.body); err != nil {
			return fmt.Errorf("encode %s %s: %w", cl.method, cl.path, err)
		}
	}
	idempotencyKey := ""
	if cl.method == http.MethodPost {
		idempotencyKey = newIdempotencyKey()
	}
	secrets := append([]string{c.apiKey}, cl.secrets...)
	for attempt := 0; ; attempt++ {
		retryAfter, err := c.once(ctx, cl, body, idempotencyKey, secrets, attempt)
		if err == nil {
			return nil
		}
		if attempt > 0 && cl.method == http.MethodDelete && errors.Is(err, ErrNotFound) {
			// An earlier try may have deleted it and lost the answer: the
			// object is gone, which is what was asked.
			return nil
		}
		if !c.retryable(err) || attempt >= c.retry.MaxRetries || ctx.Err() != nil {
			return err
		}
		wait := c.backoff(attempt)
		if retryAfter > 0 {
			wait = min(retryAfter, c.retry.MaxRetryAfter)
		}
		c.log.Log(ctx, "hookd API call failed; retrying", LogEntry{
			Method: cl.method, Path: cl.path, Attempt: attempt + 1, Wait: wait, Error: redact(err.Error(), secrets...),
		})
		if sleepErr := c.sleep(ctx, wait); sleepErr != nil {
			return fmt.Errorf("%s %s: gave up waiting to retry: %w (last error: %w)", cl.method, cl.path, sleepErr, err)
		}
	}
}

// retryable: connection failures (no answer, or half of one), 429, 500 and
// 502-504, and a 409 that says the same idempotent call is still in flight.
// Never another 4xx. Retrying is safe for every call the client makes: GET,
// PUT and DELETE are idempotent by nature, a PATCH sends the same merge
// patch again, and a POST carries one Idempotency-Key for all of its tries,
// so the server replays the outcome of a try whose answer was lost.
func (c *Client) retryable(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch apiErr.StatusCode {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		case http.StatusConflict:
			return apiErr.Code == "idempotency_key_in_flight"
		}
		return false
	}
	var decodeErr *decodeError
	return !errors.As(err, &decodeErr)
}

func (c *Client) backoff(attempt int) time.Duration {
	d := float64(c.retry.MinBackoff) * math.Pow(2, float64(attempt))
	d = math.Min(d, float64(c.retry.MaxBackoff))
	// Full jitter: spreads retries of many clients apart.
	return time.Duration(d/2 + mathrand.Float64()*d/2)
}

type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// once makes one HTTP request; it returns the Retry-After of a failure.
func (c *Client) once(ctx context.Context, cl call, body []byte, idempotencyKey string, secrets []string, attempt int) (time.Duration, error) {
	u := *c.base
	u.Path += cl.path
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), reader)
	if err != nil {
		return 0, &decodeError{fmt.Errorf("build %s %s: %w", cl.method, cl.path, err)}
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json, application/problem+json")
	if body != nil {
		ct := cl.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	start := time.Now()
	res, err := c.http.Do(req)
	entry := LogEntry{Method: cl.method, Path: cl.path, Attempt: attempt + 1, Duration: time.Since(start)}
	if err != nil {
		entry.Error = redact(err.Error(), secrets...)
		c.log.Log(ctx, "hookd API request failed", entry)
		if ctx.Err() != nil {
			return 0, &decodeError{fmt.Errorf("%s %s: %w", cl.method, cl.path, ctx.Err())}
		}
		return 0, fmt.Errorf("%s %s: %w: %s", cl.method, cl.path, ErrUnreachable, redact(err.Error(), secrets...))
	}
	defer res.Body.Close()
	data, err := readBody(res)
	entry.Status = res.StatusCode
	entry.Duration = time.Since(start)
	entry.RequestID = res.Header.Get("X-Request-Id")
	if err != nil {
		entry.Error = redact(err.Error(), secrets...)
	}
	c.log.Log(ctx, "hookd API request", entry)
	if err != nil {
		// The connection dropped mid-answer: as unreachable as no answer.
		if ctx.Err() != nil {
			return 0, &decodeError{fmt.Errorf("%s %s: %w", cl.method, cl.path, ctx.Err())}
		}
		return 0, fmt.Errorf("%s %s: %w: reading the response: %s", cl.method, cl.path, ErrUnreachable, redact(err.Error(), secrets...))
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if cl.out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, cl.out); err != nil {
				// The decoder quotes what it could not parse (a time, a
				// number), and an answer may echo anything: its text is
				// redacted, not wrapped.
				return 0, &decodeError{fmt.Errorf("%s %s: decode the response: %s", cl.method, cl.path, redact(err.Error(), secrets...))}
			}
		}
		return 0, nil
	}
	apiErr := &APIError{StatusCode: res.StatusCode, Method: cl.method, Path: cl.path, RequestID: res.Header.Get("X-Request-Id")}
	if err := json.Unmarshal(data, apiErr); err != nil || apiErr.StatusCode == 0 {
		// Not a problem document (a proxy's error page): keep what we know.
		apiErr.StatusCode = res.StatusCode
		apiErr.Detail = strings.TrimSpace(string(data[:min(len(data), 200)]))
	}
	apiErr.StatusCode = res.StatusCode
	apiErr.redact(secrets)
	return parseRetryAfter(res.Header.Get("Retry-After")), apiErr
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "tf-" + hex.EncodeToString(b)
}

// maxResponseBody bounds what the client reads of one answer.
const maxResponseBody = 32 << 20

// readBody reads an answer of at most maxResponseBody into a buffer sized
// from its Content-Length when it has one: io.ReadAll grows its buffer by
// doubling, which for a page of 500 webhooks (about 450 KB) allocated 690
// KB more than the page (BenchmarkWebhookListPage).
func readBody(res *http.Response) ([]byte, error) {
	r := io.LimitReader(res.Body, maxResponseBody)
	if n := res.ContentLength; n > 0 && n <= maxResponseBody {
		// ReadFrom wants MinRead bytes free before each read, the last one
		// (which finds the end) included.
		buf := bytes.NewBuffer(make([]byte, 0, n+bytes.MinRead))
		_, err := buf.ReadFrom(r)
		return buf.Bytes(), err
	}
	return io.ReadAll(r)
}
