package store

import "sync"

// eventCache keeps recently read events for GetEvent: every delivery of an
// event reads it for every attempt, and an event never changes once stored
// (pruning deletes it only when no delivery refers to it any more). It is
// bounded by the bytes of the bodies it holds, and starts again empty when
// full.
//
// Pruning deletes events; it clears the cache once its deletion committed,
// and a read that began before the clear does not store what it read (the
// generation tells it), so a pruned event id published again is never
// sent with the old body.
type eventCache struct {
	off   bool // PostgreSQL: other processes prune events too
	mu    sync.Mutex
	gen   uint64
	m     map[string]*Event
	bytes int
}

const maxCachedEventBytes = 8 << 20

// get returns a copy of the cached event, or the generation a read must
// present to store what it reads.
func (c *eventCache) get(id string) (*Event, uint64) {
	if c.off {
		return nil, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev, ok := c.m[id]; ok {
		cp := *ev
		return &cp, 0 // Body is shared and never written to
	}
	return nil, c.gen
}

func (c *eventCache) put(ev *Event, gen uint64) {
	if c.off {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || len(ev.Body) > maxCachedEventBytes/16 {
		return
	}
	if c.m == nil || c.bytes+len(ev.Body) > maxCachedEventBytes {
		c.m, c.bytes = map[string]*Event{}, 0
	}
	cp := *ev
	c.m[ev.ID] = &cp
	c.bytes += len(ev.Body)
}

func (c *eventCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m, c.bytes = nil, 0
}
