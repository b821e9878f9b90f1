package acctest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
)

// Counter is a reverse proxy in front of hookd that counts requests by
// "METHOD /path", so tests can assert how many API calls an operation made,
// and keeps their query strings.
type Counter struct {
	URL string

	mu      sync.Mutex
	counts  map[string]int
	queries map[string][]url.Values
}

// CounterOption changes what a Counter does to the requests it passes on.
type CounterOption func(*counterOptions)

type counterOptions struct {
	pageSize int
}

// PageSize makes list pages at most n items long whatever larger limit the
// client asks for, as a server with a smaller page size may (the contract says to
// follow next_cursor until it is null, however full a page is): a list
// then spans several pages without thousands of objects.
func PageSize(n int) CounterOption { return func(o *counterOptions) { o.pageSize = n } }

// NewCounter proxies to e until the test ends.
func (e *Env) NewCounter(t *testing.T, opts ...CounterOption) *Counter {
	t.Helper()
	var o counterOptions
	for _, opt := range opts {
		opt(&o)
	}
	target, err := url.Parse(e.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c := &Counter{counts: map[string]int{}, queries: map[string][]url.Values{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		q := r.URL.Query()
		c.mu.Lock()
		c.counts[key]++
		c.queries[key] = append(c.queries[key], r.URL.Query())
		c.mu.Unlock()
		if o.pageSize > 0 && q.Has("limit") {
			if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > o.pageSize {
				q.Set("limit", strconv.Itoa(o.pageSize))
				r.URL.RawQuery = q.Encode()
			}
		}
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

// Queries are the query strings of the requests made to method and path so
// far, in order, as the client sent them (before PageSize lowered a limit).
func (c *Counter) Queries(method, path string) []url.Values {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]url.Values(nil), c.queries[method+" "+path]...)
}
