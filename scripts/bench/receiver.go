package main

import (
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// receiver is where the webhooks point: it answers 204 to anything (no
// event is published, so nothing should arrive).
type receiver struct {
	URL  string
	hits atomic.Int64
	srv  *http.Server
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{URL: "http://" + ln.Addr().String()}
	r.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			r.hits.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) close() { _ = r.srv.Close() }
