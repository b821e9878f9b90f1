package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/catalog"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

// crossWakeWithin bounds the publish-to-request latency of a delivery
// published through a process with no free worker and made by another:
// well under the idle poll (1 s), so only LISTEN/NOTIFY can meet it.
// Measured on 2 cores at load 15: median 19 ms, max 80 ms (20 events); a
// 1 s poll alone would put the median near 500 ms.
const crossWakeMedian = 250 * time.Millisecond

// A delivery published through process A, whose only worker (--workers 1)
// is held by a receiver that does not answer, is attempted by process B
// at once: B is woken by A's publish (LISTEN/NOTIFY), not by its poll.
func TestCrossProcessWakeUp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and two hookd processes")
	}
	if _, err := pgtest.Binaries(); err != nil {
		if os.Getenv(pgtest.EnvRequire) == "1" {
			t.Fatalf("%v (%s=1: this test must run here)", err, pgtest.EnvRequire)
		}
		t.Skipf("skipped: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	work := t.TempDir()
	bin := filepath.Join(work, "hookd")
	if err := hookdproc.GoBuild(ctx, "go", "../..", "./cmd/hookd", bin); err != nil {
		t.Fatal(err)
	}
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	if err := pg.CreateDatabase(ctx, "hookd"); err != nil {
		t.Fatal(err)
	}

	release := make(chan struct{})
	var mu sync.Mutex
	var arrived []time.Time
	held := make(chan struct{}, 1)
	rcv := hookdtest.NewReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			held <- struct{}{}
			<-release
		} else {
			mu.Lock()
			arrived = append(arrived, time.Now())
			mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	// Let go before the receiver closes, which waits for its handlers, and
	// (registered again below) before A stops, which waits for its attempt.
	letGo := sync.OnceFunc(func() { close(release) })
	t.Cleanup(letGo)

	key := make([]byte, 32)
	_, _ = rand.Read(key)
	apiKey := hookdproc.NewAPIKey("hookd_wake_")
	start := func(name string, env ...string) *hookdproc.Hookd {
		t.Helper()
		dir := filepath.Join(work, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		h := &hookdproc.Hookd{Bin: bin, Dir: dir, APIKey: apiKey, DB: pg.DSN("hookd"),
			Env: append([]string{"HOOKD_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(key)}, env...)}
		if err := h.Start(ctx); err != nil {
			t.Fatalf("start hookd %s: %v", name, err)
		}
		t.Cleanup(h.Stop)
		return h
	}
	client := &http.Client{Timeout: 10 * time.Second}
	call := func(h *hookdproc.Hookd, method, path string, body, out any) {
		t.Helper()
		if err := hookdproc.CallJSON(ctx, client, "http://"+h.Addr, apiKey, method, path, body, out); err != nil {
			t.Fatal(err)
		}
	}
	example := func(eventType string) json.RawMessage {
		et, ok := catalog.Default().Lookup(eventType)
		if !ok {
			t.Fatalf("no %s in the catalog", eventType)
		}
		return et.Example
	}
	webhook := func(h *hookdproc.Hookd, path, eventType string) {
		var wh struct {
			Secret string `json:"secret"`
		}
		call(h, http.MethodPost, "/v1/webhooks/account", map[string]any{"url": rcv.URL + path, "events": []string{eventType}}, &wh)
		hookdtest.Trust(rcv.URL+path, wh.Secret)
	}

	// A alone, its one worker held by the hanging receiver; then B.
	a := start("a", "HOOKD_WORKERS=1")
	webhook(a, "/hang", "transfer.expired")
	webhook(a, "/fast", "transfer.created")
	call(a, http.MethodPost, "/v1/events", map[string]any{"type": "transfer.expired", "data": example("transfer.expired")}, nil)
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("A did not attempt the delivery that holds its worker")
	}
	b := start("b")
	t.Cleanup(letGo)
	time.Sleep(200 * time.Millisecond) // B's scheduler idle, listening

	const events = 20
	var lat []time.Duration
	for i := range events {
		mu.Lock()
		before := len(arrived)
		mu.Unlock()
		sent := time.Now()
		call(a, http.MethodPost, "/v1/events", map[string]any{"id": fmt.Sprintf("evt_wake%d", i), "type": "transfer.created", "data": example("transfer.created")}, nil)
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := len(arrived)
			var at time.Time
			if n > before {
				at = arrived[before]
			}
			mu.Unlock()
			if n > before {
				lat = append(lat, at.Sub(sent))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("event %d published through A (its one worker busy) not delivered by B within 10 s", i)
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // B back to sleep, waiting on its poll
	}
	select {
	case <-held:
		t.Fatal("the hanging delivery was attempted twice: A's worker was not held throughout")
	default:
	}
	slices.Sort(lat)
	summary := fmt.Sprintf("cross-process wake-up (published through A, its one worker busy; delivered by B, pid %d): n=%d median %s max %s",
		b.PID(), len(lat), lat[len(lat)/2].Round(100*time.Microsecond), lat[len(lat)-1].Round(100*time.Microsecond))
	t.Log(summary)
	if path := os.Getenv(envReport); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			_, _ = fmt.Fprintln(f, "multiproc: "+summary)
			_ = f.Close()
		}
	}
	// The median, not the slowest: one stall of a loaded CI machine must
	// not fail the run, and the 1 s poll alone would put the median near
	// 500 ms; the slowest must still beat the poll.
	if median := lat[len(lat)/2]; median > crossWakeMedian {
		t.Errorf("the median cross-process wake-up took %s, want within %s (the poll is 1 s: LISTEN/NOTIFY did not wake B?)", median, crossWakeMedian)
	}
	if worst := lat[len(lat)-1]; worst >= time.Second {
		t.Errorf("the slowest cross-process wake-up took %s, want under the 1 s poll", worst)
	}
}
