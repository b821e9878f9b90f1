package acctest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// Counter is a reverse proxy in front of hookd that counts requests by
// "METHOD /path", so tests can assert how many API calls an operation made.
type Counter struct {
	URL string

	mu     sync.Mutex
	counts map[string]int
}

// NewCounter proxies to e until the test ends.
func (e *Env) NewCounter(t *testing.T) *Counter {
	t.Helper()
	target, err := url.Parse(e.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c := &Counter{counts: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.counts[r.Method+" "+r.URL.Path]++
		c.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

// Count is how many requests were made to method and path so far.
func (c *Counter) Count(method, path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[method+" "+path]
}
