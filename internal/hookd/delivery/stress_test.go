package delivery_test

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/testlog"
)

// watcher is a receiver that checks the engine's concurrency promises as
// requests arrive: never two requests of one delivery at once, never one
// (delivery, attempt) twice, never more requests at once than the workers,
// or of one webhook than its cap. Every request is verified when the test
// ends (verifying).
type watcher struct {
	*httptest.Server
	respond func(attempt int) int

	mu           sync.Mutex
	inFlight     map[string]int // per delivery
	perHook      map[string]int // per URL path (one per webhook)
	total        int
	maxTotal     int
	maxPerHook   int
	seen         map[string]bool // delivery/attempt
	received     int
	violations   []string
	hangPath     string
	hang         chan struct{}
	deliveredAt  map[string]time.Time // per path, the last 2xx answer
	perPathCount map[string]int
}

func newWatcher(t *testing.T, respond func(attempt int) int) *watcher {
	w := &watcher{respond: respond, inFlight: map[string]int{}, perHook: map[string]int{}, seen: map[string]bool{},
		hang: make(chan struct{}), deliveredAt: map[string]time.Time{}, perPathCount: map[string]int{}}
	w.Server = httptest.NewServer(verifying(t, w.serve))
	t.Cleanup(func() {
		w.unhang()
		w.Close()
	})
	return w
}

func (w *watcher) unhang() {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.hang:
	default:
		close(w.hang)
	}
}

func (w *watcher) serve(rw http.ResponseWriter, req *http.Request) {
	id, path := req.Header.Get("Hookd-Delivery-Id"), req.URL.Path
	attempt, _ := strconv.Atoi(req.Header.Get("Hookd-Attempt"))
	key := id + "/" + strconv.Itoa(attempt)
	w.mu.Lock()
	w.received++
	w.perPathCount[path]++
	if w.inFlight[id]++; w.inFlight[id] > 1 {
		w.violations = append(w.violations, "two requests of "+id+" at once")
	}
	if w.seen[key] {
		w.violations = append(w.violations, "attempt "+key+" sent twice")
	}
	w.seen[key] = true
	w.total++
	w.perHook[path]++
	w.maxTotal = max(w.maxTotal, w.total)
	w.maxPerHook = max(w.maxPerHook, w.perHook[path])
	hang := path == w.hangPath
	w.mu.Unlock()

	status := http.StatusOK
	if hang {
		<-w.hang
	} else {
		// A slow receiver: long enough for attempts to overlap, short
		// enough for hundreds of them.
		time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
		if w.respond != nil {
			status = w.respond(attempt)
		}
	}

	w.mu.Lock()
	w.inFlight[id]--
	w.total--
	w.perHook[path]--
	if status < 300 {
		w.deliveredAt[path] = time.Now()
	}
	w.mu.Unlock()
	rw.WriteHeader(status)
}

// Under load, with slow receivers that fail the first attempts, retries
// coming due while time races ahead, and manual retries racing the
// scheduled ones: every request the receivers get is an attempt the store
// recorded, no delivery ever has two attempts at once, no attempt is sent
// twice, the worker and per-webhook bounds hold, and the log has no error.
func TestStressOneAttemptAtATime(t *testing.T) {
	const workers, perWebhook, hooks, events = 6, 2, 5, 40
	logs := &testlog.Buffer{}
	e := newEnv(t, hookdtest.WithConfig(func(c *server.Config) {
		c.DeliveryWorkers, c.DeliveryPerWebhook = workers, perWebhook
		// Leases run on the fake clock, which this test moves fast; the
		// attempt timeout (hence the lease) is long enough that no lease
		// of a running attempt expires.
		c.AttemptTimeout = 24 * time.Hour
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}))
	w := newWatcher(t, func(attempt int) int {
		if attempt < 3 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	var ids []string
	for i := range hooks {
		ids = append(ids, e.webhook("account", map[string]any{"url": fmt.Sprintf("%s/hook%d", w.URL, i), "events": []string{"transfer.created"}}).ID)
	}
	for i := range events {
		e.publish(map[string]any{"id": fmt.Sprintf("evt_stress%d", i), "type": "transfer.created", "data": e.example("transfer.created")})
	}

	done := make(chan struct{})
	var manual atomic.Int64 // manual retries accepted
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // time races: retries (5 s, then 1 min) come due quickly
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
				e.clock.Advance(time.Second)
			}
		}
	}()
	go func() { // an operator retries whatever is retrying, again and again
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			for _, d := range e.deliveries(ids[i%hooks], "?status=retrying&limit=5") {
				if e.retryRacing(d.ID) {
					manual.Add(1)
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	allSucceeded := func() bool {
		for _, id := range ids {
			if len(e.deliveries(id, "?status=succeeded&limit=100")) != events {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(60 * time.Second)
	for !allSucceeded() {
		if time.Now().After(deadline) {
			close(done)
			wg.Wait()
			t.Fatalf("not every delivery succeeded in time; violations so far: %v", w.violations)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(done)
	wg.Wait()

	recorded := 0
	for _, id := range ids {
		for _, d := range e.deliveries(id, "?limit=100") {
			recorded += len(e.delivery(d.ID).Attempts)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.violations) > 0 {
		t.Errorf("%d violations, the first: %v", len(w.violations), w.violations[:min(5, len(w.violations))])
	}
	if w.received != recorded {
		t.Errorf("receivers got %d requests, the store recorded %d attempts", w.received, recorded)
	}
	if w.received < hooks*events*3 {
		t.Errorf("%d requests, want at least 3 per delivery (%d)", w.received, hooks*events*3)
	}
	if manual.Load() == 0 {
		t.Error("no manual retry was accepted: nothing raced the scheduler")
	}
	if w.maxTotal > workers || w.maxPerHook > perWebhook {
		t.Errorf("at most %d requests at once (workers %d), %d of one webhook (cap %d)", w.maxTotal, workers, w.maxPerHook, perWebhook)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "UNIQUE") || strings.Contains(line, "level=WARN") {
			t.Errorf("log: %s", line)
		}
	}
	t.Logf("%d requests, %d recorded attempts, %d manual retries, at most %d at once", w.received, recorded, manual.Load(), w.maxTotal)
}

// retryRacing asks for a manual retry that may lose its race: the delivery
// may be attempted right now (409, busy) or may have moved on (409). It
// reports whether the retry was accepted.
func (e *env) retryRacing(id string) bool {
	e.t.Helper()
	res := e.send(e.http, http.MethodPost, "/v1/deliveries/"+id+"/retry")
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted && res.StatusCode != http.StatusConflict {
		e.t.Errorf("retry %s: %d", id, res.StatusCode)
	}
	return res.StatusCode == http.StatusAccepted
}

// One endpoint that hangs holds at most its cap of workers: the nine
// others keep being delivered while it waits.
func TestSlowEndpointDoesNotStallOthers(t *testing.T) {
	const workers, perWebhook = 8, 4
	e := newEnv(t, hookdtest.WithConfig(func(c *server.Config) {
		c.DeliveryWorkers, c.DeliveryPerWebhook = workers, perWebhook
		c.AttemptTimeout = time.Minute // real time: the hanging receiver is released at the end
	}))
	w := newWatcher(t, nil)
	w.hangPath = "/hook0"
	for i := range 10 {
		e.webhook("account", map[string]any{"url": fmt.Sprintf("%s/hook%d", w.URL, i), "events": []string{"transfer.created"}})
	}
	start := time.Now()
	// More events than workers: without a cap, the hanging endpoint alone
	// would hold every worker.
	const events = 2 * workers
	for i := range events {
		e.publish(map[string]any{"id": fmt.Sprintf("evt_fair%d", i), "type": "transfer.created", "data": e.example("transfer.created")})
	}
	eventually(t, "the nine to be delivered", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for i := 1; i < 10; i++ {
			if w.perPathCount[fmt.Sprintf("/hook%d", i)] != events {
				return false
			}
		}
		return true
	})
	took := time.Since(start)
	w.mu.Lock()
	hung, maxPer := w.perHook["/hook0"], w.maxPerHook
	w.mu.Unlock()
	if hung != perWebhook || maxPer > perWebhook {
		t.Fatalf("the hanging endpoint holds %d attempts (at most %d seen), want its cap %d", hung, maxPer, perWebhook)
	}
	// How fast is for benchmarks; logged here for a reader of -v.
	t.Logf("nine endpoints delivered %d events each in %v while the tenth hangs", events, took)
}
