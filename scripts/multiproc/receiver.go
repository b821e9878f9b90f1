package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
)

// Delivery headers hookd sends (internal/hookd/delivery/attempt.go).
const (
	headerDeliveryID = "Hookd-Delivery-Id"
	headerAttempt    = "Hookd-Attempt"
)

// sender is the hookd process a request came from: its index among the
// processes and its start (1 for the first run, 2 after a restart).
type sender struct{ proc, start int }

func (s sender) String() string {
	switch {
	case s == goneSender:
		return "a process that had died"
	case s.proc < 0:
		return "unknown"
	}
	return fmt.Sprintf("%c#%d", 'A'+s.proc, s.start)
}

var (
	unknownSender = sender{proc: -1}
	// goneSender is a process that died with the connection open: the
	// kernel still delivers what it had written.
	goneSender = sender{proc: -2}
)

// request is one delivery request the receiver got.
type request struct {
	DeliveryID string
	Attempt    int
	From       sender
	Start, End time.Time // End is zero while the handler runs
}

// receiver answers every delivery 200 after a random delay of up to
// maxDelay (so that attempts are in flight when a process is killed) and
// records each request. A request for a delivery that already has one in
// the handler is an overlap: two attempts of one delivery at once, which
// the leases must make impossible.
type receiver struct {
	delay func() time.Duration // how long to hold each request
	mu    sync.Mutex
	// whoSent names the hookd process that owns the client end of a
	// connection (its remote address here) accepted at a time; nil: not
	// attributed.
	whoSent  func(remote string, accepted time.Time) sender
	reqs     []request
	inFlight map[string]int // delivery id -> requests in the handler
	overlaps []string       // violations, described
	// keys is the signing secret of the webhook at each path (trust): every
	// request is verified with it by stripe-go and the Standard Webhooks
	// library (hookdtest.SignedBy); nil: not verified.
	keys       map[string]string
	verified   int
	unverified []string // failures, described
}

// conn is a connection the receiver accepted: when, and once a request
// came on it, the process that dialled it. Each is in its requests'
// context (connContext).
type conn struct {
	remote     string
	accepted   time.Time
	from       sender
	attributed bool
}

type connKey struct{}

func newReceiver(maxDelay time.Duration) *receiver {
	delay := func() time.Duration { return 0 }
	if maxDelay > 0 {
		delay = func() time.Duration { return rand.N(maxDelay) } //nolint:gosec // a delay, not a secret
	}
	return &receiver{delay: delay, inFlight: map[string]int{}}
}

// connContext notes when each connection was accepted. It runs in the
// server's accept loop, so it does no more than that: attributing the
// connection reads /proc, which its first request's handler does (sender).
func (rc *receiver) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, &conn{remote: c.RemoteAddr().String(), accepted: time.Now()})
}

// sender is the process that dialled the connection r came on, attributed
// on its first request.
func (rc *receiver) sender(r *http.Request) sender {
	c, ok := r.Context().Value(connKey{}).(*conn)
	rc.mu.Lock()
	whoSent := rc.whoSent
	rc.mu.Unlock()
	switch {
	case !ok || whoSent == nil:
		return unknownSender
	case c.attributed: // the connection's requests are served one at a time, by one goroutine
		return c.from
	}
	c.from, c.attributed = whoSent(c.remote, c.accepted), true
	return c.from
}

// attribute sets how connections are attributed to processes (the
// processes start after the receiver, which their webhooks point at).
func (rc *receiver) attribute(whoSent func(remote string, accepted time.Time) sender) {
	rc.mu.Lock()
	rc.whoSent = whoSent
	rc.mu.Unlock()
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get(headerDeliveryID)
	n, err := strconv.Atoi(r.Header.Get(headerAttempt))
	if id == "" || err != nil {
		http.Error(w, "no delivery id or attempt number", http.StatusBadRequest)
		return
	}
	start := time.Now()
	body, _ := io.ReadAll(r.Body)
	from := rc.sender(r)
	rc.verify(id, n, r, body)
	rc.mu.Lock()
	if rc.inFlight[id] > 0 {
		rc.overlaps = append(rc.overlaps, fmt.Sprintf("delivery %s attempt %d from %s arrived while %d request(s) of it were in flight", id, n, from, rc.inFlight[id]))
	}
	rc.inFlight[id]++
	idx := len(rc.reqs)
	rc.reqs = append(rc.reqs, request{DeliveryID: id, Attempt: n, From: from, Start: start})
	rc.mu.Unlock()

	time.Sleep(rc.delay())
	w.WriteHeader(http.StatusOK)

	rc.mu.Lock()
	rc.inFlight[id]--
	if rc.inFlight[id] == 0 {
		delete(rc.inFlight, id)
	}
	rc.reqs[idx].End = time.Now()
	rc.mu.Unlock()
}

// trust sets the secret of the webhook whose URL has path.
func (rc *receiver) trust(path, secret string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.keys == nil {
		rc.keys = map[string]string{}
	}
	rc.keys[path] = secret
}

// verify checks a request's signatures with the secret of its path.
func (rc *receiver) verify(id string, n int, r *http.Request, body []byte) {
	rc.mu.Lock()
	secret, ok := rc.keys[r.URL.Path]
	verifying := rc.keys != nil
	rc.mu.Unlock()
	if !verifying {
		return
	}
	err := errors.New("no webhook has this path")
	if ok {
		err = hookdtest.SignedBy(secret, r.Header, body)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		rc.unverified = append(rc.unverified, fmt.Sprintf("delivery %s attempt %d to %s: %v", id, n, r.URL.Path, err))
		return
	}
	rc.verified++
}

// signatures is how many requests verified, and the failures.
func (rc *receiver) signatures() (verified int, failures []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.verified, append([]string(nil), rc.unverified...)
}

// inHandler is how many requests of process from are in the handler now.
func (rc *receiver) inHandler(from sender) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, r := range rc.reqs {
		if r.From == from && r.End.IsZero() {
			n++
		}
	}
	return n
}

// atKill lists the requests of process from that were in the handler at
// kill time, or had been answered less than grace before it: hookd records
// an attempt after the answer, so those may have died unrecorded too.
func (rc *receiver) atKill(from sender, kill time.Time, grace time.Duration) (inHandler, recent []request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, r := range rc.reqs {
		if r.From != from || r.Start.After(kill) {
			continue
		}
		switch {
		case r.End.IsZero() || r.End.After(kill):
			inHandler = append(inHandler, r)
		case r.End.After(kill.Add(-grace)):
			recent = append(recent, r)
		}
	}
	return inHandler, recent
}

// count is the number of requests so far.
func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

// busy is the number of requests in the handler.
func (rc *receiver) busy() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, c := range rc.inFlight {
		n += c
	}
	return n
}

// snapshot copies the requests and the overlaps.
func (rc *receiver) snapshot() ([]request, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...), append([]string(nil), rc.overlaps...)
}

// waitIdle waits until no request is in the handler, up to d.
func (rc *receiver) waitIdle(ctx context.Context, d time.Duration) {
	deadline := time.Now().Add(d)
	for rc.busy() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
}

// serve runs the receiver on a free loopback port until stop.
func (rc *receiver) serve() (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: rc, ConnContext: rc.connContext, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
