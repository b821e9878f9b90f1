package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hookd/terraform-provider-hookd/internal/contract"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

// start is epoch of the fake clock in these tests.
var start = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// env is a hookd with a fake clock and no jitter, plus an API caller whose
// traffic is checked against api/openapi.yaml.
type env struct {
	t     *testing.T
	s     *hookdtest.Server
	clock *clockwork.FakeClock
	http  *http.Client
}

func newEnv(t *testing.T, opts ...hookdtest.Option) *env {
	t.Helper()
	clock := clockwork.NewFakeClockAt(start)
	opts = append([]hookdtest.Option{hookdtest.WithClock(clock), hookdtest.WithConfig(func(c *server.Config) {
		c.Jitter = func() float64 { return 0 }
	})}, opts...)
	return &env{t: t, s: hookdtest.Start(t, opts...), clock: clock, http: contractClient(t)}
}

// contractClient validates every request and response against the contract.
func contractClient(t testing.TB) *http.Client {
	return &http.Client{Transport: contract.Transport(t, nil)}
}

// call makes an API call and decodes the JSON answer into out (if not nil).
func (e *env) call(method, path string, body any, want int, out any) {
	e.t.Helper()
	e.do(context.Background(), method, path, body, want, out)
}

// callInvalid makes a call that is deliberately outside the contract (its
// response must still match it).
func (e *env) callInvalid(method, path string, body any, want int, out any) {
	e.t.Helper()
	e.do(contract.Invalid(context.Background()), method, path, body, want, out)
}

func (e *env) do(ctx context.Context, method, path string, body any, want int, out any) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.s.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.s.APIKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	hookdtest.ObserveAPI(method, path, res.StatusCode, data)
	if res.StatusCode != want {
		e.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

type webhook struct {
	ID     string  `json:"id"`
	Secret string  `json:"secret"`
	Status string  `json:"status"`
	Reason *string `json:"disabled_reason"`
}

func (e *env) webhook(scope string, body map[string]any) webhook {
	e.t.Helper()
	var wh webhook
	e.call("POST", "/v1/webhooks/"+scope, body, http.StatusCreated, &wh)
	return wh
}

func (e *env) publish(body map[string]any) int {
	e.t.Helper()
	var out struct {
		Deliveries int `json:"deliveries"`
	}
	e.call("POST", "/v1/events", body, http.StatusAccepted, &out)
	return out.Deliveries
}

type deliveryJSON struct {
	ID                     string     `json:"id"`
	Status                 string     `json:"status"`
	AttemptCount           int        `json:"attempt_count"`
	CreatedAt              time.Time  `json:"created_at"`
	NextAttemptAt          *time.Time `json:"next_attempt_at"`
	LastError              *string    `json:"last_error"`
	LastResponseStatusCode *int       `json:"last_response_status_code"`
	EventID                string     `json:"event_id"`
	EventType              string     `json:"event_type"`
	Trigger                string     `json:"trigger"`
	ReplayOf               *string    `json:"replay_of"`
	IsTest                 bool       `json:"is_test"`
	Attempts               []struct {
		Number         int               `json:"number"`
		Trigger        string            `json:"trigger"`
		StartedAt      time.Time         `json:"started_at"`
		RequestHeaders map[string]string `json:"request_headers"`
		ResponseBody   string            `json:"response_body"`
	} `json:"attempts"`
}

func (e *env) deliveries(webhookID, query string) []deliveryJSON {
	e.t.Helper()
	var out struct {
		Data []deliveryJSON `json:"data"`
	}
	e.call("GET", "/v1/webhooks/"+webhookID+"/deliveries"+query, nil, http.StatusOK, &out)
	return out.Data
}

func (e *env) delivery(id string) deliveryJSON {
	e.t.Helper()
	var d deliveryJSON
	e.call("GET", "/v1/deliveries/"+id, nil, http.StatusOK, &d)
	return d
}

// eventually polls cond for up to 15 s of real time (attempts are real HTTP
// calls on loopback; no test waits for a schedule in real time). A passing
// condition returns at once; the bound only has to outlast a loaded CI
// machine running every package under -race.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// advance moves the fake clock once every attempt made so far is recorded
// and the engine's scheduler is waiting on the clock. A worker is freed as
// soon as its receiver answers, before the attempt is recorded: moving the
// clock past the attempt's lease then would let the engine claim the
// delivery again and send it twice (at least once, as promised, but not
// what a test that counts requests expects).
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	eventually(e.t, "every attempt recorded", func() bool { return e.attemptsInFlight() == 0 })
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	if err := e.clock.BlockUntilContext(ctx, 1); err != nil {
		e.t.Fatalf("the scheduler never waited on the clock: %v", err)
	}
	e.clock.Advance(d)
}

// send makes an authenticated request without a body through c and
// returns the response as it is, for the caller to judge and close.
func (e *env) send(c *http.Client, method, path string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.s.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.s.APIKey)
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// attemptsInFlight is hookd's gauge of attempts started and not yet
// recorded (GET /metrics).
func (e *env) attemptsInFlight() float64 {
	e.t.Helper()
	res := e.send(http.DefaultClient, http.MethodGet, "/metrics") // outside the contract
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	const gauge = "hookd_delivery_attempts_in_flight "
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, gauge); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				e.t.Fatalf("GET /metrics: %q: %v", line, err)
			}
			return n
		}
	}
	e.t.Fatalf("GET /metrics: %d, no %s in %s", res.StatusCode, strings.TrimSpace(gauge), data)
	return 0
}

// receiver is a webhook endpoint on loopback that records what it gets.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	respond  func(n int) (int, http.Header) // n counts from 1
}

type received struct {
	url    string // the URL it was sent to
	header http.Header
	body   []byte
	at     time.Time
}

func newReceiver(t *testing.T, respond func(n int) (int, http.Header)) *receiver {
	r := &receiver{respond: respond}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		contract.ValidateDelivery(t, req, body)
		r.mu.Lock()
		r.requests = append(r.requests, received{url: r.URL + req.URL.RequestURI(), header: req.Header.Clone(), body: body, at: time.Now()})
		n := len(r.requests)
		r.mu.Unlock()
		status, h := http.StatusOK, http.Header(nil)
		if r.respond != nil {
			status, h = r.respond(n)
		}
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(strings.Repeat("r", 5000)))
	}))
	// Cleanups run last in first out: the server is closed, so no request
	// is still arriving, and then every one received is verified.
	t.Cleanup(func() { r.verifyAll(t) })
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

func (r *receiver) get(i int) received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[i]
}

func always(status int) func(int) (int, http.Header) {
	return func(int) (int, http.Header) { return status, nil }
}

// example is the catalog's example data of an event type.
func (e *env) example(eventType string) json.RawMessage {
	e.t.Helper()
	var cat struct {
		Data []struct {
			Type    string          `json:"type"`
			Example json.RawMessage `json:"example"`
		} `json:"data"`
	}
	e.call("GET", "/v1/webhooks/events", nil, http.StatusOK, &cat)
	for _, et := range cat.Data {
		if et.Type == eventType {
			return et.Example
		}
	}
	e.t.Fatalf("no %s in the catalog", eventType)
	return nil
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// gate blocks receiver handlers until opened. Tests open it with defer, so
// that it is open before the receivers' cleanups wait for their handlers.
type gate struct {
	ch   chan struct{}
	once sync.Once
}

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) wait() { <-g.ch }

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }
