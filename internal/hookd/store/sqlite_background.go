package store

import "time"

// gatherer runs work on a goroutine of its own a while after it is poked,
// so that one run serves everything poked meanwhile: SQLite's lister
// (db_listing.go) and its checkpointer (sqlite_checkpoint.go). It sleeps
// while nothing pokes it.
type gatherer struct {
	every time.Duration
	// run does the work; more says that work is left, err that it failed
	// (and should be tried again).
	run  func() (more bool, err error)
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// maxGatherBackoff bounds the wait after failed runs, which doubles from
// every with each failure in a row.
const maxGatherBackoff = 30 * time.Second

// startGatherer runs run every after a poke, and once at start (work a
// previous process left). A negative every never runs it (tests that
// need the work left undone).
func startGatherer(every time.Duration, run func() (bool, error)) *gatherer {
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
	failures := 0
	for {
		select {
		case <-g.wake:
		case <-g.stop:
			return
		}
		// Gather what comes meanwhile: one run then serves it all. After
		// failures, wait longer: a failing database is not asked again
		// every few hundred milliseconds, nor its failure logged as often.
		wait := g.every
		if failures > 0 {
			wait = min(g.every<<failures, maxGatherBackoff)
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-g.stop:
			timer.Stop()
			return
		}
		more, err := g.run()
		if err != nil {
			failures = min(failures+1, 16)
		} else {
			failures = 0
		}
		if more || err != nil {
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
