package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/contract"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/rules"

	"github.com/hookd/terraform-provider-hookd/internal/client/deliveries"
)

// newTestClient returns a client of a fresh in-process hookd whose traffic
// is checked against the contract; wrap can inject faults under it.
func newTestClient(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper, opts ...Option) (*Client, *hookdtest.Server) {
	t.Helper()
	s := hookdtest.Start(t)
	t.Cleanup(CloseIdleConnections) // before the server stops
	// Faults are injected above the contract check: what hookd sends must
	// match the contract, what a proxy in between might do need not.
	rt := contract.Transport(t, http.DefaultTransport)
	if wrap != nil {
		rt = wrap(rt)
	}
	opts = append([]Option{
		WithHTTPClient(&http.Client{Transport: rt}),
		WithRetryPolicy(RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetryAfter: time.Second}),
	}, opts...)
	c, err := New(s.URL, s.APIKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func ptr[T any](v T) *T { return &v }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestEveryOperation(t *testing.T) {
	ctx := t.Context()
	c, _ := newTestClient(t, nil)

	if v, err := c.Health(ctx); err != nil || v != "test" {
		t.Fatalf("Health: %q %v", v, err)
	}
	cat, err := c.EventCatalog(ctx)
	if err != nil || len(cat) != 31 {
		t.Fatalf("EventCatalog: %d %v", len(cat), err)
	}
	g, err := c.CreateGroup(ctx, CreateGroupRequest{Name: "payments", Description: ptr("money")})
	if err != nil || !strings.HasPrefix(g.ID, "grp_") || *g.Description != "money" {
		t.Fatalf("CreateGroup: %+v %v", g, err)
	}
	if got, err := c.GetGroup(ctx, g.ID); err != nil || got.Name != "payments" {
		t.Fatalf("GetGroup: %+v %v", got, err)
	}
	if got, err := c.UpdateGroup(ctx, g.ID, UpdateGroupRequest{Description: Null[string]()}); err != nil || got.Description != nil {
		t.Fatalf("UpdateGroup: %+v %v", got, err)
	}
	if page, err := c.ListGroups(ctx, GroupListOptions{ListOptions: ListOptions{Limit: 10}}); err != nil || len(page.Data) != 1 || page.NextCursor != nil {
		t.Fatalf("ListGroups: %+v %v", page, err)
	}

	rcv := newReceiver(t)
	acct, err := c.CreateAccountWebhook(ctx, CreateWebhookRequest{URL: rcv, Events: []string{"transfer.*"}, AuthToken: ptr("tok"), Headers: map[string]string{"X-A": "1"}})
	if err != nil || !strings.HasPrefix(acct.Secret, "whsec_") || !acct.AuthTokenSet || acct.Scope != ScopeAccount {
		t.Fatalf("CreateAccountWebhook: %+v %v", acct, err)
	}
	if acct.SecretFingerprint != rules.Fingerprint(acct.Secret) || acct.PreviousSecretFingerprint != nil ||
		acct.AuthTokenFingerprint == nil || *acct.AuthTokenFingerprint != rules.Fingerprint("tok") {
		t.Fatalf("CreateAccountWebhook fingerprints: secret %q previous %v token %v", acct.SecretFingerprint, acct.PreviousSecretFingerprint, acct.AuthTokenFingerprint)
	}
	grp, err := c.CreateGroupWebhook(ctx, g.ID, CreateWebhookRequest{URL: rcv, Events: []string{"*"}, Name: ptr("g")})
	if err != nil || grp.GroupID == nil || *grp.GroupID != g.ID {
		t.Fatalf("CreateGroupWebhook: %+v %v", grp, err)
	}
	if got, err := c.GetWebhook(ctx, acct.ID); err != nil || got.URL != rcv || got.SecretFingerprint != acct.SecretFingerprint {
		t.Fatalf("GetWebhook: %+v %v", got, err)
	}
	upd, err := c.UpdateWebhook(ctx, acct.ID, UpdateWebhookRequest{
		Name: Set("audit"), Events: []string{"transfer.created", "workspace.*"}, Active: ptr(true),
		Headers: Set(map[string]*string{"X-A": nil, "X-B": ptr("2")}), AuthToken: Null[string](),
	})
	if err != nil || *upd.Name != "audit" || upd.AuthTokenSet || upd.AuthTokenFingerprint != nil || upd.Headers["X-B"] != "2" || len(upd.Headers) != 1 {
		t.Fatalf("UpdateWebhook: %+v %v", upd, err)
	}
	var listed int
	for wh, err := range c.AllWebhooks(ctx, WebhookListOptions{Scope: ScopeGroup, GroupID: g.ID}) {
		if err != nil {
			t.Fatal(err)
		}
		if wh.ID != grp.ID {
			t.Fatalf("listed %s", wh.ID)
		}
		listed++
	}
	if listed != 1 {
		t.Fatalf("AllWebhooks listed %d", listed)
	}
	own, err := rules.NewSigningSecret(rules.DefaultSecretBytes)
	if err != nil {
		t.Fatal(err)
	}
	rot, err := c.RotateSecret(ctx, acct.ID, RotateSecretRequest{Secret: &own, GracePeriodHours: ptr(1)})
	if err != nil || rot.SecretVersion != 2 || rot.Secret != own || rot.PreviousSecretExpiresAt == nil {
		t.Fatalf("RotateSecret: %+v %v", rot, err)
	}
	if rot.SecretFingerprint != rules.Fingerprint(own) || rot.PreviousSecretFingerprint == nil || *rot.PreviousSecretFingerprint != acct.SecretFingerprint {
		t.Fatalf("RotateSecret fingerprints: secret %q previous %v", rot.SecretFingerprint, rot.PreviousSecretFingerprint)
	}
	if got, err := c.GetWebhook(ctx, acct.ID); err != nil || got.SecretFingerprint != rot.SecretFingerprint ||
		got.PreviousSecretFingerprint == nil || *got.PreviousSecretFingerprint != acct.SecretFingerprint {
		t.Fatalf("GetWebhook after the rotation: %+v %v", got, err)
	}
	res, err := c.TestWebhook(ctx, acct.ID, "")
	if err != nil || !res.Succeeded || *res.ResponseStatusCode != 200 {
		t.Fatalf("TestWebhook: %+v %v", res, err)
	}
	var example json.RawMessage
	for _, et := range cat {
		if et.Type == "transfer.created" {
			example = et.Example
		}
	}
	acc, err := c.PublishEvent(ctx, PublishEventRequest{Type: "transfer.created", GroupID: g.ID, Data: example})
	if err != nil || acc.Deliveries != 2 {
		t.Fatalf("PublishEvent: %+v %v", acc, err)
	}
	var delivered *Delivery
	deadline := time.Now().Add(5 * time.Second)
	for delivered == nil && time.Now().Before(deadline) {
		page, err := c.ListDeliveries(ctx, acct.ID, DeliveryListOptions{Filter: deliveries.Filter{Status: "succeeded", IsTest: ptr(false)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) == 1 {
			delivered = &page.Data[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if delivered == nil {
		t.Fatal("no succeeded delivery")
	}
	detail, err := c.GetDelivery(ctx, delivered.ID)
	if err != nil || len(detail.Attempts) != 1 {
		t.Fatalf("GetDelivery: %+v %v", detail, err)
	}
	if _, err := c.RetryDelivery(ctx, delivered.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("RetryDelivery of a succeeded delivery: %v, want ErrConflict", err)
	}
	replay, err := c.ReplayDelivery(ctx, delivered.ID)
	if err != nil || replay.ReplayOf == nil || *replay.ReplayOf != delivered.ID {
		t.Fatalf("ReplayDelivery: %+v %v", replay, err)
	}
	n := 0
	for _, err := range c.AllDeliveries(ctx, acct.ID, DeliveryListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 { // the test, the event, the replay
		t.Fatalf("AllDeliveries: %d", n)
	}
	for _, id := range []string{acct.ID, grp.ID} {
		if err := c.DeleteWebhook(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetGroup(ctx, g.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetGroup after delete: %v", err)
	}
}

func newReceiver(t *testing.T) string {
	t.Helper()
	s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })}
	ln := listen(t)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return "http://" + ln.Addr().String() + "/hook"
}

func TestErrorsMapToSentinels(t *testing.T) {
	ctx := t.Context()
	c, s := newTestClient(t, nil)
	_, err := c.GetWebhook(ctx, "wh_nope")
	var apiErr *APIError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &apiErr) || apiErr.RequestID == "" || apiErr.Code != "not_found" {
		t.Fatalf("404: %v", err)
	}
	_, err = c.CreateAccountWebhook(contract.Invalid(ctx), CreateWebhookRequest{URL: "https://example.com", Events: []string{"transfer.craeted"}})
	if !errors.Is(err, ErrValidation) || !errors.As(err, &apiErr) || apiErr.Errors[0].Pointer != "/events/0" {
		t.Fatalf("422: %v", err)
	}
	if !strings.Contains(err.Error(), `did you mean "transfer.created"?`) {
		t.Errorf("422 message %q lacks the suggestion", err)
	}
	bad, _ := New(s.URL, "wrong-key", WithHTTPClient(&http.Client{Transport: contract.Transport(t, nil)}))
	if _, err := bad.ListGroups(ctx, GroupListOptions{}); !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound) {
		t.Fatalf("401: %v", err)
	}
	// hookd has no 403; a gateway in front of it might.
	forbidden, _ := New(s.URL, "k", WithHTTPClient(&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 403, Header: http.Header{"Content-Type": {"application/problem+json"}},
			Body: io.NopCloser(strings.NewReader(`{"status":403,"code":"forbidden","detail":"no","request_id":"r1"}`)), Request: r}, nil
	})}))
	if _, err := forbidden.GetWebhook(ctx, "wh_x"); !errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound) {
		t.Fatalf("403: %v", err)
	}
}

func TestRetriesOn503ThenSuccess(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) <= 2 {
				return problemResponse(r, 503, ""), nil
			}
			return next.RoundTrip(r)
		})
	})
	if _, err := c.CreateGroup(t.Context(), CreateGroupRequest{Name: "g"}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d calls, want 3", calls.Load())
	}
}

func TestRetryAfterOn429(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				return problemResponse(r, 429, "7"), nil
			}
			return next.RoundTrip(r)
		})
	}, WithRetryPolicy(RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: time.Minute}))
	var waited []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }
	if _, err := c.ListGroups(t.Context(), GroupListOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(waited) != 1 || waited[0] != 7*time.Second {
		t.Fatalf("waited %v, want the Retry-After of 7s", waited)
	}
}

func TestNoRetryOnOther4xx(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls.Add(1)
			return next.RoundTrip(r)
		})
	})
	_, err := c.CreateGroup(contract.Invalid(t.Context()), CreateGroupRequest{Name: strings.Repeat("x", 101)})
	if !errors.Is(err, ErrValidation) || calls.Load() != 1 {
		t.Fatalf("%v after %d calls", err, calls.Load())
	}
}

// The connection drops after the server committed the create: the retry
// carries the same Idempotency-Key, so exactly one webhook exists.
func TestDroppedConnectionAfterCommit(t *testing.T) {
	var dropped atomic.Bool
	keys := map[string]int{}
	var mu sync.Mutex
	c, _ := newTestClient(t, func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPost {
				mu.Lock()
				keys[r.Header.Get("Idempotency-Key")]++
				mu.Unlock()
			}
			res, err := next.RoundTrip(r)
			if err == nil && r.Method == http.MethodPost && dropped.CompareAndSwap(false, true) {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				return nil, errors.New("connection reset by peer")
			}
			return res, err
		})
	})
	wh, err := c.CreateAccountWebhook(t.Context(), CreateWebhookRequest{URL: "https://example.com/h", Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(wh.Secret, "whsec_") {
		t.Fatal("the replayed create lost its secret")
	}
	n := 0
	for _, err := range c.AllWebhooks(t.Context(), WebhookListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d webhooks after a retried create, want 1", n)
	}
	if len(keys) != 1 {
		t.Fatalf("idempotency keys used: %v, want one key for both tries", keys)
	}
	for _, count := range keys {
		if count != 2 {
			t.Fatalf("the key was sent %d times, want 2", count)
		}
	}
}

// A context cancelled while the client waits to retry ends the call at
// once (within 100 ms), not when the 30 s Retry-After is over.
func TestContextCancelledDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var cancelledAt atomic.Int64
	c, _ := newTestClient(t, func(http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			// Cancel once the client is about to wait for the retry.
			time.AfterFunc(20*time.Millisecond, func() { cancelledAt.Store(time.Now().UnixNano()); cancel() })
			return problemResponse(r, 503, "30"), nil
		})
	}, WithRetryPolicy(RetryPolicy{MaxRetries: 5, MinBackoff: time.Minute, MaxBackoff: time.Minute, MaxRetryAfter: time.Minute}))
	_, err := c.ListGroups(ctx, GroupListOptions{})
	returned := time.Now()
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrServer) {
		t.Fatalf("err %v, want context.Canceled wrapping the last 503", err)
	}
	if elapsed := returned.Sub(time.Unix(0, cancelledAt.Load())); cancelledAt.Load() == 0 || elapsed > 100*time.Millisecond {
		t.Fatalf("returned %v after the cancellation, want at most 100ms", elapsed)
	}
}

func TestPagination2500(t *testing.T) {
	c, _ := newTestClient(t, nil)
	ctx := t.Context()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	errs := make(chan error, 2500)
	for i := range 2500 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := c.CreateAccountWebhook(ctx, CreateWebhookRequest{URL: fmt.Sprintf("https://example.com/%d", i), Events: []string{"*"}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var pages int
	counting := &http.Client{Transport: contract.Transport(t, roundTripFunc(func(r *http.Request) (*http.Response, error) {
		pages++
		return http.DefaultTransport.RoundTrip(r)
	}))}
	c.http = counting
	seen := map[string]bool{}
	for wh, err := range c.AllWebhooks(ctx, WebhookListOptions{ListOptions: ListOptions{Limit: 1000}}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[wh.ID] {
			t.Fatalf("%s twice", wh.ID)
		}
		seen[wh.ID] = true
	}
	if len(seen) != 2500 || pages != 3 {
		t.Fatalf("%d webhooks in %d pages, want 2500 in 3", len(seen), pages)
	}
}

// No log line and no error carries the API key, a secret or an auth token.
func TestLogsHoldNoSecrets(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	var entries []LogEntry
	logger := LoggerFunc(func(_ context.Context, msg string, entry LogEntry) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf("%s %+v", msg, entry))
		entries = append(entries, entry)
	})
	var fail atomic.Bool
	c, s := newTestClient(t, func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if fail.CompareAndSwap(true, false) {
				return nil, errors.New("dial failed for Bearer " + r.Header.Get("Authorization"))
			}
			return next.RoundTrip(r)
		})
	}, WithLogger(logger))
	secret := "whsec_" + strings.Repeat("QUJD", 8)
	fail.Store(true)
	wh, err := c.CreateAccountWebhook(t.Context(), CreateWebhookRequest{URL: "https://example.com/h", Events: []string{"*"}, AuthToken: ptr("tok-secret-123"), Secret: ptr(secret)})
	if err != nil {
		t.Fatal(err)
	}
	rot, err := c.RotateSecret(t.Context(), wh.ID, RotateSecretRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAccountWebhook(contract.Invalid(t.Context()), CreateWebhookRequest{URL: "http://example.com", Events: []string{"*"}, Secret: ptr("whsec_bad"), AuthToken: ptr("tok-secret-123")})
	if err == nil {
		t.Fatal("want an error")
	}
	all := strings.Join(lines, "\n") + err.Error()
	for _, s := range []string{s.APIKey, secret, rot.Secret, "tok-secret-123", "whsec_bad"} {
		if strings.Contains(all, s) {
			t.Errorf("logs or errors contain %q:\n%s", s, all)
		}
	}
	if len(lines) < 3 {
		t.Fatalf("expected request log lines, got:\n%s", all)
	}
	// The dropped first attempt, its retry decision, then the answered retry.
	first, retry, second := entries[0], entries[1], entries[2]
	if first.Method != http.MethodPost || first.Path != "/v1/webhooks/account" || first.Attempt != 1 || first.Status != 0 || first.Error == "" {
		t.Errorf("first entry %+v, want a failed POST /v1/webhooks/account attempt 1 without status", first)
	}
	if retry.Attempt != 1 || retry.Wait <= 0 || retry.Error == "" {
		t.Errorf("retry entry %+v, want attempt 1 with a wait and the error", retry)
	}
	if second.Attempt != 2 || second.Status != http.StatusCreated || second.RequestID == "" || second.Duration <= 0 || second.Error != "" {
		t.Errorf("second entry %+v, want attempt 2 answered 201 with a request id and a duration", second)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for _, tc := range []struct{ endpoint, key string }{
		{"", "k"}, {"localhost:8080", "k"}, {"ftp://x", "k"}, {"http://u:p@x", "k"}, {"http://x", ""},
	} {
		if _, err := New(tc.endpoint, tc.key); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%q, %q): %v, want ErrConfig", tc.endpoint, tc.key, err)
		}
	}
}

func problemResponse(r *http.Request, status int, retryAfter string) *http.Response {
	h := http.Header{"Content-Type": {"application/problem+json"}, "X-Request-Id": {"req_fault"}}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	body := fmt.Sprintf(`{"type":"https://hookd.dev/problems/x","title":"x","status":%d,"detail":"injected","code":"internal_error","request_id":"req_fault"}`, status)
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r}
}
