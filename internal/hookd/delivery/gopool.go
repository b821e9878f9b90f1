package delivery

import (
	"sync"
	"sync/atomic"
)

// goPool runs functions on goroutines that outlive them. An attempt's
// goroutine grows its stack to what the HTTP client and the store need,
// and a new goroutine per attempt copied its stack up to that size at
// every attempt (runtime.newstack, about a twelfth of the engine's CPU
// while draining a backlog, make bench-delivery). A goroutine that has run
// an attempt waits for the next one instead, its stack grown. At most as
// many wait as ever ran at once: the engine's workers, and manual attempts
// (which take a worker's place too).
type goPool struct {
	idle      chan func() // unbuffered: a send succeeds only into a waiting goroutine
	quit      chan struct{}
	closeOnce sync.Once
	// started counts the goroutines made, live those not yet ended,
	// waiting those between two functions.
	started, live, waiting atomic.Int64
}

func newGoPool() *goPool {
	return &goPool{idle: make(chan func()), quit: make(chan struct{})}
}

// run runs f on a waiting goroutine, or on a new one when none waits.
func (p *goPool) run(f func()) {
	select {
	case p.idle <- f:
	default:
		p.started.Add(1)
		p.live.Add(1)
		go p.work(f)
	}
}

func (p *goPool) work(f func()) {
	defer p.live.Add(-1)
	for {
		f()
		f = nil // what the function held is not kept while waiting
		p.waiting.Add(1)
		select {
		case f = <-p.idle:
			p.waiting.Add(-1)
		case <-p.quit:
			p.waiting.Add(-1)
			return
		}
	}
}

// close ends the waiting goroutines. Functions running finish, and run
// still works after close, on goroutines that end with their function.
func (p *goPool) close() { p.closeOnce.Do(func() { close(p.quit) }) }
