package store

import "sync"

// eventCache keeps recently read events for GetEvent: every delivery of an
// event reads it for every attempt, and an event never changes once stored
// (pruning deletes it only when no delivery refers to it any more). It is
// bounded by the bytes of the bodies it holds, and starts again empty when
// full.
type eventCache struct {
	mu    sync.Mutex
	m     map[string]*Event
	bytes int
}

const maxCachedEventBytes = 8 << 20

func (c *eventCache) get(id string) *Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev, ok := c.m[id]; ok {
		cp := *ev
		return &cp // Body is shared and never written to
	}
	return nil
}

func (c *eventCache) put(ev *Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(ev.Body) > maxCachedEventBytes/16 {
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
	c.m, c.bytes = nil, 0
}
