package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
)

// envReport names a file TestMultiProcess writes its summary to.
const envReport = "HOOKD_MULTIPROC_REPORT"

// TestMultiProcess is the scenario the issue asks of the test suite, at
// full scale: 3 processes, 10 webhooks, 5,000 events, one kill. Much of
// its time is the killed process's leases running out (attempt timeout
// 5 s + its margin 10 s: hookd's default 15 s + 30 s would add half a
// minute to the test).
func TestMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and three hookd processes; about two minutes")
	}
	if _, err := pgtest.Binaries(); err != nil {
		if os.Getenv(pgtest.EnvRequire) == "1" {
			t.Fatalf("%v (%s=1: this test must run here)", err, pgtest.EnvRequire)
		}
		t.Skipf("skipped: %v", err)
	}
	cfg := config{
		procs: 3, webhooks: 10, events: 5000, publishers: 4, maxDelay: 20 * time.Millisecond,
		killAt: 0.5, killed: 1, quiet: 3, drainTimeout: 3 * time.Minute, attemptTimeout: 5 * time.Second, goCmd: "go", src: "../..",
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	rep, err := run(ctx, cfg, &progress)
	var summary bytes.Buffer
	rep.print(&summary)
	t.Log("\n" + progress.String() + summary.String())
	// go test shows a passing test's log only with -v: CI names a file
	// to show the figures (duplicates, attempts in flight at the kill)
	// of every run.
	if path := os.Getenv(envReport); path != "" {
		if werr := os.WriteFile(path, summary.Bytes(), 0o644); werr != nil {
			t.Errorf("%s: %v", envReport, werr)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if rep.deliveries != 50_000 || rep.requests < rep.deliveries {
		t.Errorf("%d deliveries, %d requests", rep.deliveries, rep.requests)
	}
	if rep.verified < rep.requests {
		t.Errorf("%d requests verified by stripe-go and the Standard Webhooks library, of %d", rep.verified, rep.requests)
	}
	if rep.unattributed > 0 {
		t.Errorf("%d first requests not attributed to a process", rep.unattributed)
	}
}

// Two requests of one delivery at once are an overlap; one after the
// other, and of two deliveries at once, are not.
func TestReceiverFlagsOverlap(t *testing.T) {
	rc := newReceiver(0)
	rc.delay = func() time.Duration { return 200 * time.Millisecond }
	url, stop, err := rc.serve()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	send := func(id, n string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader("{}"))
		req.Header.Set(headerDeliveryID, id)
		req.Header.Set(headerAttempt, n)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
	}
	send("dlv_a", "1")
	send("dlv_a", "2")
	if _, overlaps := rc.snapshot(); len(overlaps) != 0 {
		t.Fatalf("sequential attempts flagged: %v", overlaps)
	}
	var wg sync.WaitGroup
	for i, id := range []string{"dlv_b", "dlv_c", "dlv_b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i/2) * 50 * time.Millisecond) // the second dlv_b while the first is held
			send(id, "1")
		}()
	}
	wg.Wait()
	reqs, overlaps := rc.snapshot()
	if len(reqs) != 5 || len(overlaps) != 1 || !strings.Contains(overlaps[0], "dlv_b") {
		t.Fatalf("%d requests, overlaps %v; want 5 and one of dlv_b", len(reqs), overlaps)
	}
	if rc.busy() != 0 {
		t.Errorf("%d requests still counted in flight", rc.busy())
	}
}

// The receiver attributes each connection once, on its first request,
// with the time it was accepted, and every request on it to that sender.
func TestReceiverAttributesEachConnectionOnce(t *testing.T) {
	rc := newReceiver(0)
	url, stop, err := rc.serve()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var mu sync.Mutex
	calls := map[string]int{}
	rc.attribute(func(remote string, accepted time.Time) sender {
		mu.Lock()
		defer mu.Unlock()
		if accepted.IsZero() || accepted.After(time.Now()) {
			t.Errorf("%s accepted at %v", remote, accepted)
		}
		calls[remote]++
		return sender{proc: len(calls) - 1, start: 1}
	})
	send := func(c *http.Client, id string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader("{}"))
		req.Header.Set(headerDeliveryID, id)
		req.Header.Set(headerAttempt, "1")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
	}
	first, second := &http.Client{Transport: &http.Transport{}}, &http.Client{Transport: &http.Transport{}}
	send(first, "dlv_1")
	send(first, "dlv_2") // the same (kept-alive) connection
	send(second, "dlv_3")
	reqs, _ := rc.snapshot()
	if len(calls) != 2 || len(reqs) != 3 {
		t.Fatalf("attributed %v for %d requests; want 2 connections once each, 3 requests", calls, len(reqs))
	}
	for remote, n := range calls {
		if n != 1 {
			t.Errorf("%s attributed %d times", remote, n)
		}
	}
	if reqs[0].From != reqs[1].From || reqs[1].From == reqs[2].From {
		t.Errorf("senders %v, %v, %v; want the first two alike, the third another", reqs[0].From, reqs[1].From, reqs[2].From)
	}
}

// The socket index finds this process behind a connection it dialled,
// reuses what it read for a connection accepted before, reads again for
// one accepted after, and tells a socket no process of the list holds
// from no socket at all.
func TestSocketIndex(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port //nolint:forcetypeassert // a tcp listener
	dial := func() (clientPort int) {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s.RemoteAddr().(*net.TCPAddr).Port //nolint:forcetypeassert // a tcp connection
	}
	reads := 0
	pids := []int{1, os.Getpid()}
	idx := &socketIndex{serverPort: port, pids: func() []int { reads++; return pids }}

	first := dial()
	accepted := time.Now()
	if got := idx.owner(first, accepted); got != os.Getpid() {
		t.Fatalf("owner = %d, want %d (this process)", got, os.Getpid())
	}
	if got := idx.owner(first, accepted); got != os.Getpid() || reads != 1 {
		t.Fatalf("again: owner %d after %d reads of /proc, want this process after 1", got, reads)
	}
	second := dial()
	if got := idx.owner(second, time.Now()); got != os.Getpid() || reads != 2 {
		t.Fatalf("a connection accepted after the read: owner %d after %d reads, want this process after 2", got, reads)
	}
	pids = []int{1}
	if got := idx.owner(second, time.Now()); got != ownerGone {
		t.Fatalf("a socket no process of the list holds: owner %d, want ownerGone", got)
	}
	if got := idx.owner(0, time.Now()); got != noSocket {
		t.Fatalf("no such socket: owner %d, want noSocket", got)
	}
	other := &socketIndex{serverPort: port + 1, pids: func() []int { return []int{os.Getpid()} }}
	if got := other.owner(first, time.Now()); got != noSocket {
		t.Fatalf("another server port: owner %d, want noSocket", got)
	}
}

// judge finds each violation the issue names.
func TestJudge(t *testing.T) {
	t0 := time.Now()
	kill := t0.Add(time.Second)
	killed := sender{proc: 1, start: 1}
	other := sender{proc: 0, start: 1}
	base := func() (*report, []delivery, []attemptKey, []request) {
		rep := &report{cfg: config{events: 2, webhooks: 1}, killTime: kill, killedSender: killed, lastPublish: kill,
			publishedAt: map[string]published{"evt_1": {0, t0}, "evt_2": {2, t0}}}
		ds := []delivery{{"dlv_1", "evt_1", "succeeded", 1}, {"dlv_2", "evt_2", "succeeded", 1}}
		inFlight := request{DeliveryID: "dlv_2", Attempt: 1, From: killed, Start: kill.Add(-5 * time.Millisecond)}
		rep.inHandlerAtKill = []request{inFlight}
		rep.stuck = []string{"dlv_2"}
		reqs := []request{
			{DeliveryID: "dlv_1", Attempt: 1, From: other, Start: t0.Add(time.Millisecond), End: t0.Add(2 * time.Millisecond)},
			inFlight,
			{DeliveryID: "dlv_2", Attempt: 1, From: other, Start: kill.Add(45 * time.Second), End: kill.Add(46 * time.Second)},
		}
		keys := []attemptKey{{"dlv_1", 1}, {"dlv_2", 1}}
		return rep, ds, keys, reqs
	}
	rep, ds, keys, reqs := base()
	if errs := judge(rep, ds, keys, reqs, nil); len(errs) != 0 {
		t.Fatalf("a clean run: %v", errs)
	}
	if rep.duplicates != 1 || rep.unrecorded != 1 || rep.takenOver != 1 || len(rep.latSame) != 1 || len(rep.latCross) != 1 {
		t.Fatalf("duplicates %d, unrecorded %d, taken over %d, latencies %v / %v", rep.duplicates, rep.unrecorded, rep.takenOver, rep.latSame, rep.latCross)
	}
	// The killed process's request, written before it died, reached the
	// receiver only after: on a connection no live process holds.
	rep, ds, keys, reqs = base()
	reqs[1].From, reqs[1].Start = goneSender, kill.Add(40*time.Millisecond)
	if errs := judge(rep, ds, keys, reqs, nil); len(errs) != 0 {
		t.Fatalf("a request of the dead process after the kill: %v", errs)
	}
	if rep.unattributed != 0 || len(rep.latCross) != 1 {
		t.Fatalf("its first request counts as the killed process's: unattributed %d, cross %v", rep.unattributed, rep.latCross)
	}
	// One accepted just before the kill and attributed once the process
	// was gone (seen in CI: 5 of 66 unrecorded attempts): the killed
	// process's as well, held by it at the kill.
	rep, ds, keys, reqs = base()
	reqs[1].From = goneSender
	if errs := judge(rep, ds, keys, reqs, nil); len(errs) != 0 {
		t.Fatalf("a request of the dead process before the kill, attributed after: %v", errs)
	}
	for _, tc := range []struct {
		name string
		edit func(*report, *[]delivery, *[]attemptKey, *[]request, *[]string)
		want string
	}{
		{"lost", func(_ *report, _ *[]delivery, k *[]attemptKey, r *[]request, _ *[]string) {
			*r = (*r)[1:]
			*k = (*k)[1:]
		}, "1 deliveries never received"},
		{"failed", func(_ *report, d *[]delivery, _ *[]attemptKey, _ *[]request, _ *[]string) {
			(*d)[0].Status = "dead_lettered"
		}, "did not succeed"},
		{"missing delivery", func(_ *report, d *[]delivery, _ *[]attemptKey, _ *[]request, _ *[]string) {
			*d = (*d)[:1]
		}, "1 deliveries in the database, want 2"},
		{"overlap", func(_ *report, _ *[]delivery, _ *[]attemptKey, _ *[]request, o *[]string) {
			*o = []string{"dlv_1 twice"}
		}, "overlapping"},
		{"recorded, never received", func(_ *report, _ *[]delivery, k *[]attemptKey, _ *[]request, _ *[]string) {
			*k = append(*k, attemptKey{"dlv_1", 2})
		}, "never got"},
		{"unrecorded, not at the kill", func(rep *report, _ *[]delivery, _ *[]attemptKey, _ *[]request, _ *[]string) {
			rep.stuck = nil
		}, "not in flight on the killed process"},
		{"unrecorded, from a live process", func(_ *report, _ *[]delivery, _ *[]attemptKey, r *[]request, _ *[]string) {
			(*r)[1].From = other
		}, "not in flight on the killed process"},
		{"unrecorded, from the killed process after the kill", func(_ *report, _ *[]delivery, _ *[]attemptKey, r *[]request, _ *[]string) {
			(*r)[1].Start = kill.Add(time.Millisecond)
		}, "not in flight on the killed process"},
		{"nothing interrupted", func(rep *report, _ *[]delivery, _ *[]attemptKey, _ *[]request, _ *[]string) {
			rep.stuck = nil
		}, "the kill interrupted no attempt"},
		{"taken over by the killed process restarted", func(_ *report, _ *[]delivery, _ *[]attemptKey, r *[]request, _ *[]string) {
			(*r)[2].From = sender{proc: 1, start: 2}
		}, "was taken over by another process"},
		{"a duplicate beyond the kill", func(_ *report, _ *[]delivery, k *[]attemptKey, r *[]request, _ *[]string) {
			*r = append(*r, request{DeliveryID: "dlv_1", Attempt: 2, From: other, Start: t0.Add(time.Minute)})
			*k = append(*k, attemptKey{"dlv_1", 2})
		}, "more than the 1 attempts in flight"},
	} {
		rep, ds, keys, reqs := base()
		var overlaps []string
		tc.edit(rep, &ds, &keys, &reqs, &overlaps)
		errs := judge(rep, ds, keys, reqs, overlaps)
		found := false
		for _, err := range errs {
			found = found || strings.Contains(err.Error(), tc.want)
		}
		if !found {
			t.Errorf("%s: errors %v, want one saying %q", tc.name, errs, tc.want)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-procs", "1"}, {"-events", "0"}, {"-kill-at", "1"}, {"-quiet", "-1"}, {"extra"}} {
		if _, _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	c, _, err := parseFlags(nil, io.Discard)
	if err != nil || c.procs != 3 || c.webhooks != 10 || c.events != 5000 || c.killed != 1 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
}
