package store

import "time"

// gatherer runs work on a goroutine of its own a while after it is poked,
// so that one run serves everything poked meanwhile: SQLite's lister
// (db_listing.go) and its checkpointer (sqlite_checkpoint.go). It sleeps
// while nothing pokes it.
type gatherer struct {
	every time.Duration
	// run does the work; it returns true when it should run again (it
	// failed, or work is left).
	run  func() bool
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// startGatherer runs run every after a poke, and once at start (work a
// previous process left). A negative every never runs it (tests that
// need the work left undone).
func startGatherer(every time.Duration, run func() bool) *gatherer {
	g := &gatherer{every: every, run: run, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if every < 0 {
		close(g.done)
		return g
	}
	g.wake <- struct{}{}
	go g.loop()
	return g
}

// poke asks for a run; it never blocks.
func (g *gatherer) poke() {
	if g == nil {
		return
	}
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

func (g *gatherer) loop() {
	defer close(g.done)
	timer := time.NewTimer(0)
	<-timer.C
	for {
		select {
		case <-g.wake:
		case <-g.stop:
			return
		}
		// Gather what comes meanwhile: one run then serves it all.
		timer.Reset(g.every)
		select {
		case <-timer.C:
		case <-g.stop:
			timer.Stop()
			return
		}
		if g.run() {
			g.poke()
		}
	}
}

// close ends the goroutine, a run in progress first; the work left is the
// caller's.
func (g *gatherer) close() {
	if g == nil {
		return
	}
	select {
	case <-g.stop:
	default:
		close(g.stop)
	}
	<-g.done
}
