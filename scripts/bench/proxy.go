package main

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// catalogRoute is the request that fetches the event catalog.
const catalogRoute = "GET /v1/webhooks/events"

// route names a request by method and hookd's route pattern, ids replaced:
// "GET /v1/webhooks/{id}". It follows hookd's routes (internal/hookd/httpapi);
// other paths are kept as they are.
func route(method, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) >= 3 && segs[0] == "v1" {
		switch segs[1] {
		case "webhooks":
			switch {
			case len(segs) == 3 && (segs[2] == "account" || segs[2] == "events"):
			case len(segs) == 4 && segs[2] == "group":
				segs[3] = "{group_id}"
			default:
				segs[2] = "{id}"
			}
		case "groups":
			segs[2] = "{group_id}"
		case "deliveries":
			segs[2] = "{delivery_id}"
		}
	}
	return method + " /" + strings.Join(segs, "/")
}

// tally is what the proxy saw during one Terraform command.
type tally struct {
	mu       sync.Mutex
	requests map[string]int // by route()
	errors   map[string]int // responses of status 400 and above, by "route status"
	conns    int            // TCP connections accepted
}

func newTally() *tally {
	return &tally{requests: map[string]int{}, errors: map[string]int{}}
}

// counts is a tally's content, copied.
type counts struct {
	Requests map[string]int
	Errors   map[string]int
	Conns    int
}

func (t *tally) snapshot() counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := counts{Requests: make(map[string]int, len(t.requests)), Errors: make(map[string]int, len(t.errors)), Conns: t.conns}
	for k, v := range t.requests {
		c.Requests[k] = v
	}
	for k, v := range t.errors {
		c.Errors[k] = v
	}
	return c
}

// countingProxy is a reverse proxy in front of hookd that counts requests,
// error responses and accepted connections into the current tally.
type countingProxy struct {
	URL string

	srv *http.Server
	cur atomic.Pointer[tally]
}

// startProxy proxies 127.0.0.1:<free port> to target.
func startProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{URL: "http://" + ln.Addr().String()}
	p.cur.Store(newTally())
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) },
		// Enough idle connections to hookd that the proxy's own leg never
		// churns connections at any parallelism the bench uses.
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		},
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode >= 400 {
				p.countError(route(resp.Request.Method, resp.Request.URL.Path), resp.StatusCode)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.countError(route(r.Method, r.URL.Path), http.StatusBadGateway)
			http.Error(w, "bench proxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t := p.cur.Load()
			t.mu.Lock()
			t.requests[route(r.Method, r.URL.Path)]++
			t.mu.Unlock()
			rp.ServeHTTP(w, r)
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				t := p.cur.Load()
				t.mu.Lock()
				t.conns++
				t.mu.Unlock()
			}
		},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *countingProxy) countError(route string, status int) {
	t := p.cur.Load()
	t.mu.Lock()
	t.errors[route+" "+strconv.Itoa(status)]++
	t.mu.Unlock()
}

// begin starts a new tally; what arrives from now on counts into it.
func (p *countingProxy) begin() { p.cur.Store(newTally()) }

// end returns what arrived since begin and starts a tally for whatever
// comes between commands (nothing should).
func (p *countingProxy) end() counts {
	return p.cur.Swap(newTally()).snapshot()
}

func (p *countingProxy) close() { _ = p.srv.Close() }
