package delivery

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every function given runs once, from callers at once.
func TestGoPoolRunsEverything(t *testing.T) {
	p := newGoPool()
	defer p.close()
	const callers, each = 8, 500
	var ran atomic.Int64
	var wg sync.WaitGroup
	wg.Add(callers * each)
	for range callers {
		go func() {
			for range each {
				p.run(func() { ran.Add(1); wg.Done() })
			}
		}()
	}
	wg.Wait()
	if got := ran.Load(); got != callers*each {
		t.Fatalf("ran %d functions, want %d", got, callers*each)
	}
	if got := p.started.Load(); got > callers*each {
		t.Fatalf("started %d goroutines for %d functions", got, callers*each)
	}
}

// A goroutine that ran a function runs the next one: k functions at once,
// then k more after they ended, take about k goroutines, not 2k; and one
// function after another takes a handful, not one each.
func TestGoPoolReusesGoroutines(t *testing.T) {
	p := newGoPool()
	defer p.close()
	const k = 16
	for round := range 3 {
		release := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(k)
		for range k {
			p.run(func() { <-release; wg.Done() })
		}
		close(release)
		wg.Wait()
		if got := p.started.Load(); round == 0 && got != k {
			t.Fatalf("round 0: started %d goroutines for %d functions blocked at once", got, k)
		}
		waitFor(t, func() bool { return p.waiting.Load() == p.live.Load() })
	}
	// Rounds 1 and 2 found the goroutines of round 0 waiting (all but
	// those counted as waiting a moment before they were).
	if got := p.started.Load(); got > k+k/2 {
		t.Fatalf("started %d goroutines for 3 rounds of %d at once: not reused", got, k)
	}
	before := p.started.Load()
	const sequential = 1000
	for range sequential {
		done := make(chan struct{})
		p.run(func() { close(done) })
		<-done
	}
	if got := p.started.Load() - before; got > sequential/2 {
		t.Fatalf("started %d goroutines for %d functions one after another", got, sequential)
	}
}

// close ends the waiting goroutines; one running finishes its function;
// run still works after close.
func TestGoPoolClose(t *testing.T) {
	p := newGoPool()
	for range 4 {
		done := make(chan struct{})
		p.run(func() { close(done) })
		<-done
	}
	release := make(chan struct{})
	finished := make(chan struct{})
	p.run(func() { <-release; close(finished) })
	waitFor(t, func() bool { return p.waiting.Load() == p.live.Load()-1 })
	p.close()
	p.close() // twice is harmless
	waitFor(t, func() bool { return p.live.Load() == 1 && p.waiting.Load() == 0 })
	close(release)
	<-finished
	waitFor(t, func() bool { return p.live.Load() == 0 })
	done := make(chan struct{})
	p.run(func() { close(done) })
	<-done
	waitFor(t, func() bool { return p.live.Load() == 0 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a second")
		}
		time.Sleep(time.Millisecond)
	}
}
