package acctest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Received is one request a Receiver got.
type Received struct {
	Header http.Header
	Body   []byte
}

// Receiver is a webhook endpoint on 127.0.0.1 that answers with a fixed
// status and records what it gets.
type Receiver struct {
	URL string

	mu       sync.Mutex
	status   int
	requests []Received
}

// NewReceiver starts a receiver answering status until the test ends.
func NewReceiver(t *testing.T, status int) *Receiver {
	t.Helper()
	r := &Receiver{status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, Received{Header: req.Header.Clone(), Body: body})
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, http.StatusText(status))
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/hooks"
	return r
}

// SetStatus changes the answer of later requests.
func (r *Receiver) SetStatus(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

// Requests returns a copy of what was received so far.
func (r *Receiver) Requests() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Received(nil), r.requests...)
}
