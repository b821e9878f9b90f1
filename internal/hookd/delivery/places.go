package delivery

import "context"

// The places an attempt holds: one of Workers slots while it waits on its
// receiver (then one of as many recording tokens while it is recorded),
// and one of its webhook's PerWebhook places. Scheduled attempts take
// them in dispatch, manual ones in reserve.

// worker is a running attempt's hold on a worker and on its webhook's
// place. Once the receiver has answered, sent frees both for the next
// attempt while this one is being recorded (recording waits on the
// database, not on the receiver), holding one of Workers places among the
// attempts being recorded instead; done gives back whatever is still held.
// The delivery stays leased until it is recorded, so it cannot be claimed
// again meanwhile.
type worker struct {
	e               *Engine
	webhookID       string
	slot, recording bool
}

func (e *Engine) working(webhookID string) *worker {
	return &worker{e: e, webhookID: webhookID, slot: true}
}

func (w *worker) sent() {
	w.e.recording <- struct{}{}
	w.recording = true
	w.e.release(w.webhookID)
	w.slot = false
}

func (w *worker) done() {
	if w.slot {
		w.e.release(w.webhookID)
	}
	if w.recording {
		<-w.e.recording
	}
}

func (e *Engine) tryAcquire() bool {
	select {
	case e.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// reserve waits, for a manual attempt, until the webhook is below its cap
// and then for a free worker, and holds both; release gives them back.
//
// While a claim runs, it may take up to the cap minus the counts it copied
// (claimView), so a place is free for a manual attempt only if it was
// freed since the copy: below the copy's count as well as below the cap.
// Both never take a webhook's last place, and a manual attempt need not
// wait for the claim (under a backlog the scheduler claims back to back).
func (e *Engine) reserve(ctx context.Context, webhookID string) error {
	for {
		e.mu.Lock()
		n := e.busy[webhookID]
		if n < e.cfg.PerWebhook && (e.claimView == nil || n < e.claimView[webhookID]) {
			e.busy[webhookID]++
			e.mu.Unlock()
			break
		}
		freed := e.freed
		e.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case e.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		if e.unreserve(webhookID) {
			e.poke()
		}
		return ctx.Err()
	}
}

// release ends an attempt: its webhook's count goes down and its worker
// is free.
func (e *Engine) release(webhookID string) {
	wasCapped := e.unreserve(webhookID)
	<-e.slots
	if wasCapped {
		// The scheduler may be sleeping on work of this webhook that it
		// left because of the cap. (A worker freed for other work needs no
		// wake-up: the scheduler waits for free workers before it sleeps.)
		e.poke()
	}
}

// unreserve gives back a webhook's place and reports whether the webhook
// was at its cap, or may be in the eyes of a running claim: that claim
// counts the place as taken (its copy of the counts) and may leave the
// webhook's due work for it, so the scheduler must look again after it.
func (e *Engine) unreserve(webhookID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	wasCapped := e.claimView != nil || e.busy[webhookID] >= e.cfg.PerWebhook
	if e.busy[webhookID]--; e.busy[webhookID] <= 0 {
		delete(e.busy, webhookID)
	}
	e.wakeReserves()
	return wasCapped
}

// wakeReserves wakes every reserve waiting for a place, or for a claim to
// end. The caller holds mu.
func (e *Engine) wakeReserves() {
	close(e.freed)
	e.freed = make(chan struct{})
}
