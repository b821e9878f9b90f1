package main

import (
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
)

// Delivery headers hookd sets besides the signature (see
// internal/hookd/delivery/attempt.go).
const (
	headerDeliveryID = "Hookd-Delivery-Id"
	headerAttempt    = "Hookd-Attempt"
)

// receipt is one request the receiver got.
type receipt struct {
	EventID    string
	DeliveryID string
	At         time.Time
}

// receiver answers every POST with 204 at once and records when it got
// which delivery. hookd's deliveries and the ceiling's plain requests get
// exactly the same treatment, so that the ceiling is a fair one.
type receiver struct {
	srv *http.Server
	url string

	mu       sync.Mutex
	receipts []receipt
	sample   *sample // the first request: a delivery from hookd, for the ceiling
	secret   string  // a webhook's signing secret, for the ceiling
}

// sample is a delivery as hookd sent it.
type sample struct {
	Body   []byte
	Header http.Header
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/hook"}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	rc := receipt{EventID: req.Header.Get(signing.HeaderID), DeliveryID: req.Header.Get(headerDeliveryID), At: at}
	r.mu.Lock()
	r.receipts = append(r.receipts, rc)
	needSample := r.sample == nil
	r.mu.Unlock()
	if needSample {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.sample = &sample{Body: body, Header: req.Header.Clone()}
		r.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

// take returns the receipts since the last take and forgets them.
func (r *receiver) take() []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.receipts
	r.receipts = make([]receipt, 0, max(1024, len(out)))
	return out
}

func (r *receiver) delivery() *sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sample
}

// setSigningSecret keeps the signing secret of a webhook pointing here.
func (r *receiver) setSigningSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *receiver) signingSecret() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.secret
}

func (r *receiver) close() { _ = r.srv.Close() }
