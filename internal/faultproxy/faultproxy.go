// Package faultproxy is a reverse proxy that makes an API flaky on purpose:
// it answers a share of the requests with an error of its own (500, 503, a
// 429 with Retry-After), delays them, or drops the connection before or
// after the request reached the server. Tests put it between a client and a
// real hookd; `make chaos` (scripts/chaos) puts it between Terraform and a
// hookd process. It counts what it did, so a run can say how many faults
// its client went through.
package faultproxy

import (
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kind is one way of failing a request.
type Kind string

const (
	// None passes the request on untouched.
	None Kind = ""
	// Status500 answers 500 internal_error without asking the server.
	Status500 Kind = "500"
	// Status503 answers 503 unavailable without asking the server.
	Status503 Kind = "503"
	// Status429 answers 429 rate_limited with Retry-After: 1.
	Status429 Kind = "429"
	// Latency passes the request on after a delay.
	Latency Kind = "latency"
	// DropBefore closes the connection without passing the request on: the
	// server never sees it.
	DropBefore Kind = "drop-before"
	// DropAfter passes the request on, waits for the server's whole answer
	// and closes the connection instead of sending it: the server did the
	// work, the client never learns of it.
	DropAfter Kind = "drop-after"
)

// Kinds is every fault, in the order reports list them.
var Kinds = []Kind{Status500, Status503, Status429, Latency, DropBefore, DropAfter}

// Options configures a Proxy.
type Options struct {
	// Rate is the share of requests faulted, from 0 to 1.
	Rate float64
	// Kinds are the faults drawn from, uniformly; nil means all of Kinds.
	Kinds []Kind
	// Seed makes the draws repeatable; 0 picks one at random.
	Seed uint64
	// Latency is the delay a Latency fault adds (default 500 ms), with up to
	// as much again of jitter.
	Latency time.Duration
	// Choose, when set, decides each request's fault instead of Rate and
	// Kinds (a test that wants a given fault on a given request).
	Choose func(r *http.Request) Kind
}

// Proxy is an http.Handler in front of one server.
type Proxy struct {
	opts  Options
	proxy *httputil.ReverseProxy
	rt    *http.Transport

	mu       sync.Mutex
	rnd      *mathrand.Rand
	requests int
	faults   map[Kind]int
	retries  int
	// unreachable counts the requests the server did not answer (502).
	unreachable int
	// failed holds the requests (by identity) that a fault failed and that
	// have not been sent again yet.
	failed map[string]bool
}

// identity names a request so that its retry is recognised: the same
// method, URL and Idempotency-Key (a POST's retry keeps its key).
func identity(r *http.Request) string {
	return r.Method + " " + r.URL.String() + " " + r.Header.Get("Idempotency-Key")
}

// New proxies to target (such as http://127.0.0.1:8080).
func New(target *url.URL, opts Options) *Proxy {
	if opts.Latency <= 0 {
		opts.Latency = 500 * time.Millisecond
	}
	if len(opts.Kinds) == 0 {
		opts.Kinds = Kinds
	}
	seed := opts.Seed
	if seed == 0 {
		seed = mathrand.Uint64()
	}
	// Its own transport: the proxy's leg to the server must not share idle
	// connections with the clients a test runs in the same process.
	rt := &http.Transport{Proxy: nil, MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	p := &Proxy{
		opts:   opts,
		rt:     rt,
		rnd:    mathrand.New(mathrand.NewPCG(seed, seed>>1|1)),
		faults: map[Kind]int{},
		failed: map[string]bool{},
	}
	p.proxy = &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target); r.Out.Host = target.Host },
		Transport: rt,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// The server is down (a crash test killed it): a gateway's answer.
			p.mu.Lock()
			p.unreachable++
			p.failed[identity(r)] = true
			p.mu.Unlock()
			writeProblem(w, r, http.StatusBadGateway, "bad_gateway", "faultproxy: "+err.Error(), "")
		},
	}
	return p
}

// SetRate changes the share of faulted requests from now on.
func (p *Proxy) SetRate(rate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opts.Rate = rate
}

// Close closes the idle connections to the server.
func (p *Proxy) Close() { p.rt.CloseIdleConnections() }

func (p *Proxy) choose(r *http.Request) Kind {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	id := identity(r)
	if p.failed[id] {
		p.retries++
		delete(p.failed, id)
	}
	k := None
	if p.opts.Choose != nil {
		k = p.opts.Choose(r)
	} else if p.rnd.Float64() < p.opts.Rate {
		k = p.opts.Kinds[p.rnd.IntN(len(p.opts.Kinds))]
	}
	if k != None {
		p.faults[k]++
	}
	if k != None && k != Latency {
		p.failed[id] = true
	}
	return k
}

func (p *Proxy) jitter() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Duration(p.rnd.Int64N(int64(p.opts.Latency) + 1))
}

// ServeHTTP passes r on to the server, or fails it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch k := p.choose(r); k {
	case Status500:
		writeProblem(w, r, http.StatusInternalServerError, "internal_error", "faultproxy: injected 500", "")
	case Status503:
		writeProblem(w, r, http.StatusServiceUnavailable, "unavailable", "faultproxy: injected 503", "")
	case Status429:
		writeProblem(w, r, http.StatusTooManyRequests, "rate_limited", "faultproxy: injected 429", "1")
	case Latency:
		select {
		case <-time.After(p.opts.Latency + p.jitter()):
		case <-r.Context().Done():
			return
		}
		p.proxy.ServeHTTP(w, r)
	case DropBefore:
		// Read the request first, as a server that died mid-way would have.
		_, _ = io.Copy(io.Discard, r.Body)
		drop(w)
	case DropAfter:
		p.dropAfter(w, r)
	default:
		p.proxy.ServeHTTP(w, r)
	}
}

// dropAfter lets the server answer in full, then drops the connection.
func (p *Proxy) dropAfter(w http.ResponseWriter, r *http.Request) {
	rec := &discardWriter{header: http.Header{}}
	p.proxy.ServeHTTP(rec, r)
	drop(w)
}

// drop closes the client's connection without an answer.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot be hijacked: abort the stream instead.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// discardWriter takes the server's answer and forgets it.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// writeProblem answers as hookd does (api/openapi.yaml, Problem).
func writeProblem(w http.ResponseWriter, r *http.Request, status int, code, detail, retryAfter string) {
	body, _ := json.Marshal(map[string]any{
		"type": "https://hookd.dev/problems/" + code, "title": http.StatusText(status), "status": status,
		"detail": detail, "instance": r.URL.Path, "code": code, "request_id": "req_faultproxy",
	})
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Request-Id", "req_faultproxy")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Stats is what a Proxy did so far.
type Stats struct {
	Requests int
	Faults   map[Kind]int
	// Retries counts the requests that repeated one a fault had failed
	// (whoever sent them again: the client's retry, or Go's transport
	// re-sending a request whose connection dropped before any answer),
	// or one the server did not answer.
	Retries int
	// Unreachable counts the requests answered 502 because the server did
	// not answer them (it was down); they are not faults.
	Unreachable int
}

// Stats returns a copy of the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{Requests: p.requests, Faults: make(map[Kind]int, len(p.faults)), Retries: p.retries, Unreachable: p.unreachable}
	for k, n := range p.faults {
		s.Faults[k] = n
	}
	return s
}

// Total is the number of faults injected.
func (s Stats) Total() int {
	n := 0
	for _, v := range s.Faults {
		n += v
	}
	return n
}

// String is "1200 requests, 240 faults (500: 40, 503: 41, ...), 200 retries".
func (s Stats) String() string {
	parts := make([]string, 0, len(s.Faults))
	for k, n := range s.Faults {
		parts = append(parts, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d requests, %d faults (%s), %d retries", s.Requests, s.Total(), strings.Join(parts, ", "), s.Retries)
}
