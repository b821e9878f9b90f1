package delivery

import (
	"net/http"
	"testing"
	"time"
)

// The documented defaults: 128 workers, 16 of them at most on one webhook,
// a 15 s attempt timeout, 30 days of retention; and the transport gives up
// waiting for response headers no later than the attempt timeout.
func TestDefaults(t *testing.T) {
	e := New(Config{})
	if e.cfg.Workers != 128 || e.cfg.PerWebhook != 16 || e.cfg.AttemptTimeout != 15*time.Second || e.cfg.Retention != 30*24*time.Hour {
		t.Fatalf("defaults: workers %d, per webhook %d, attempt timeout %v, retention %v", e.cfg.Workers, e.cfg.PerWebhook, e.cfg.AttemptTimeout, e.cfg.Retention)
	}
	// The per-webhook default is half the workers, up to 16.
	for workers, want := range map[int]int{1: 1, 8: 4, 32: 16, 40: 16} {
		if got := New(Config{Workers: workers}).cfg.PerWebhook; got != want {
			t.Errorf("%d workers: per webhook %d, want %d", workers, got, want)
		}
	}
	if got := New(Config{Workers: 8, PerWebhook: 8}).cfg.PerWebhook; got != 8 {
		t.Errorf("an explicit per-webhook bound became %d", got)
	}
	tr, ok := e.client.Transport.(*http.Transport)
	if !ok || tr.ResponseHeaderTimeout != 15*time.Second || tr.Proxy != nil {
		t.Fatalf("transport %+v", e.client.Transport)
	}
	if e.client.CheckRedirect == nil || e.client.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Fatal("redirects would be followed")
	}
}

// A Retry-After given as an HTTP date is read against the engine's clock.
func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"120":                           2 * time.Minute,
		"-5":                            0,
		"soon":                          0,
		"Tue, 24 Nov 2026 12:10:00 GMT": 10 * time.Minute,
		"Tue, 24 Nov 2026 11:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(http.Header{"Retry-After": {v}}, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
}

// A lease outlasts its attempt by twice the attempt timeout, from 5 s to
// 30 s: 45 s in all by default.
func TestLeaseMargin(t *testing.T) {
	for timeout, want := range map[time.Duration]time.Duration{
		100 * time.Millisecond: 5 * time.Second,
		time.Second:            5 * time.Second,
		5 * time.Second:        10 * time.Second,
		DefaultAttemptTimeout:  30 * time.Second,
		25 * time.Second:       30 * time.Second,
	} {
		if got := LeaseMargin(timeout); got != want {
			t.Errorf("LeaseMargin(%s) = %s, want %s", timeout, got, want)
		}
	}
	e := New(Config{AttemptTimeout: 5 * time.Second})
	if got := e.leaseLength(); got != 15*time.Second {
		t.Errorf("lease of a 5 s attempt timeout: %s, want 15s", got)
	}
}
