package client

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// At Terraform's parallelism (10 requests at a time), the client reuses
// its connections: 200 requests open about 10, where Go's default pool of
// 2 idle connections per host opened one for most of them.
func TestConnectionsReused(t *testing.T) {
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"grp_1","name":"g","description":null,"created_at":"2026-11-30T00:00:00Z","updated_at":"2026-11-30T00:00:00Z"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "hookd_test")
	if err != nil {
		t.Fatal(err)
	}
	const parallelism, rounds = 10, 20
	for range rounds {
		var wg sync.WaitGroup
		for range parallelism {
			wg.Go(func() {
				if _, err := c.GetGroup(context.Background(), "grp_1"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	// A request that waits for a connection may start a dial that then
	// goes unused (Go's transport races the dial against a connection
	// coming back), so a few more than the parallelism can open under
	// load; a pool too small opens one for most requests (146 of 200 with
	// Go's default of 2).
	if n := opened.Load(); n > 2*parallelism {
		t.Errorf("%d requests opened %d connections, want at most %d", parallelism*rounds, n, 2*parallelism)
	}
}

// WithTimeout sets the request timeout and keeps the client's transport.
func TestWithTimeout(t *testing.T) {
	c, err := New("http://127.0.0.1:1", "k", WithTimeout(7*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := c.http.Transport.(*http.Transport)
	if c.http.Timeout != 7*time.Second || !ok || tr.MaxIdleConnsPerHost != MaxIdleConnsPerHost {
		t.Fatalf("timeout %s, transport %T", c.http.Timeout, c.http.Transport)
	}
}
