package faultproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// Each kind does what it says to the request and to the server: answers
// without it, delays it, or drops the connection before or after it.
func TestKinds(t *testing.T) {
	var reached atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		reached.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(upstream.Close)
	target, _ := url.Parse(upstream.URL)
	var next atomic.Value
	p := New(target, Options{Latency: 20 * time.Millisecond, Choose: func(*http.Request) Kind {
		k, _ := next.Load().(Kind)
		return k
	}})
	t.Cleanup(p.Close)
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		kind       Kind
		status     int // 0: no answer
		retryAfter string
		reaches    bool
	}{
		{None, 200, "", true},
		{Status500, 500, "", false},
		{Status503, 503, "", false},
		{Status429, 429, "1", false},
		{Latency, 200, "", true},
		{DropBefore, 0, "", false},
		{DropAfter, 0, "", true},
	} {
		next.Store(tc.kind)
		before := reached.Load()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/groups", nil)
		req.Close = true // a new connection each time: no transport re-send
		res, err := http.DefaultClient.Do(req)
		status := 0
		if err == nil {
			status = res.StatusCode
			if got := res.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("%q: Retry-After %q, want %q", tc.kind, got, tc.retryAfter)
			}
			res.Body.Close()
		}
		if status != tc.status {
			t.Errorf("%q: status %d (%v), want %d", tc.kind, status, err, tc.status)
		}
		if got := reached.Load() > before; got != tc.reaches {
			t.Errorf("%q: reached the server %v, want %v", tc.kind, got, tc.reaches)
		}
	}
	st := p.Stats()
	if st.Requests != 7 || st.Total() != 6 || st.Faults[DropAfter] != 1 {
		t.Errorf("stats %v", st)
	}
	// The same request again after a failing fault is a retry (the 503, the
	// 429, the latency and the drop-after); after latency, no failure, the
	// drop-before is not.
	if st.Retries != 4 {
		t.Errorf("%d retries, want 4", st.Retries)
	}
}

// Rate is the share of faulted requests, drawn repeatably from Seed.
func TestRate(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(upstream.Close)
	target, _ := url.Parse(upstream.URL)
	p := New(target, Options{Rate: 0.2, Seed: 42, Kinds: []Kind{Status503}})
	t.Cleanup(p.Close)
	for range 2000 {
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/health", nil))
	}
	if n := p.Stats().Faults[Status503]; n < 340 || n > 460 {
		t.Errorf("%d faults in 2000 requests at 20 %%", n)
	}
}
