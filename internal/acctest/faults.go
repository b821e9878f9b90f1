package acctest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/faultproxy"
)

// Fault makes a Faults proxy answer matching requests itself, with a
// problem document as hookd writes them (api/openapi.yaml, Problem), instead
// of passing them on to hookd.
type Fault struct {
	// Method matches the request method; empty matches any.
	Method string
	// Path matches the request path, such as ^/v1/groups/grp_[^/]+$.
	Path *regexp.Regexp
	// Status and Code are the answer's HTTP status and problem code.
	Status int
	Code   string
	// Detail is the problem's detail, what a user reads.
	Detail string
	// RequestID is sent as request_id and X-Request-Id.
	RequestID string
}

// Forbidden answers method requests to paths matching path with 403 and
// code forbidden, as a hookd whose API key may not make them would. hookd
// itself has one all-powerful key and never answers 403.
func Forbidden(method, path, detail string) Fault {
	return Fault{
		Method:    method,
		Path:      regexp.MustCompile(path),
		Status:    http.StatusForbidden,
		Code:      "forbidden",
		Detail:    detail,
		RequestID: "req_faultforbidden",
	}
}

// Faults is a reverse proxy in front of hookd that answers the requests
// matching its faults itself and passes every other request on.
type Faults struct {
	URL string

	mu     sync.Mutex
	faults []Fault
	hits   int
}

// NewFaults proxies to e, with no fault yet, until the test ends. Point the
// provider at it with e.Via(faults.URL).
func (e *Env) NewFaults(t *testing.T) *Faults {
	t.Helper()
	target, err := url.Parse(e.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	f := &Faults{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fault, ok := f.match(r); ok {
			writeFault(w, r, fault)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Set replaces the faults; Set() passes every request on again.
func (f *Faults) Set(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append([]Fault(nil), faults...)
}

// Hits is how many requests a fault answered so far.
func (f *Faults) Hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

func (f *Faults) match(r *http.Request) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fault := range f.faults {
		if (fault.Method == "" || fault.Method == r.Method) && fault.Path.MatchString(r.URL.Path) {
			f.hits++
			return fault, true
		}
	}
	return Fault{}, false
}

// writeFault writes the problem document hookd's own writer would.
func writeFault(w http.ResponseWriter, r *http.Request, f Fault) {
	body, err := json.Marshal(map[string]any{
		"type":       "https://hookd.dev/problems/" + f.Code,
		"title":      problemTitle(f.Code),
		"status":     f.Status,
		"detail":     f.Detail,
		"instance":   r.URL.Path,
		"code":       f.Code,
		"request_id": f.RequestID,
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Request-Id", f.RequestID)
	w.WriteHeader(f.Status)
	_, _ = w.Write(body)
}

// problemTitle is "Forbidden" for forbidden, "Not found" for not_found.
func problemTitle(code string) string {
	title := strings.ReplaceAll(code, "_", " ")
	if title == "" {
		return "Error"
	}
	return strings.ToUpper(title[:1]) + title[1:]
}

// Via is e with the provider pointed at endpoint (a proxy in front of e);
// Client still talks to e directly.
func (e *Env) Via(endpoint string) *Env {
	v := *e
	v.Endpoint = endpoint
	return &v
}

// NewFlaky puts a fault-injecting proxy (internal/faultproxy) in front of
// e until the test ends: a share of the requests fail with 500, 503 or 429,
// are delayed, or lose their connection before or after reaching hookd.
// It returns the proxy, for its Stats, and its URL; point the provider at
// it with e.Via(url), with max_retries to match the fault rate.
func (e *Env) NewFlaky(t *testing.T, opts faultproxy.Options) (*faultproxy.Proxy, string) {
	t.Helper()
	target, err := url.Parse(e.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.New(target, opts)
	srv := httptest.NewServer(p)
	t.Cleanup(p.Close)
	t.Cleanup(srv.Close)
	return p, srv.URL
}
