package store

import (
	"context"
	"sync"
)

// webhookCache keeps webhooks as read, decrypted, for GetWebhook: the
// delivery engine reads its webhook for every attempt, and a read with two
// decryptions costs about a tenth of an attempt. It never serves a
// webhook older than its last committed change once that change has
// returned, because hookd on SQLite is one process (OpenSQLite holds the
// database's lock): every change of a webhook goes through this store,
// which drops the entry once the change is committed. (Between the commit
// and the drop a read may still get the previous version, as a read that
// began just before the commit would.)
//
// A read that began before a change committed must not store what it read
// after the change dropped the entry: the generation, bumped by every drop,
// tells it so.
type webhookCache struct {
	off bool // PostgreSQL: other processes write webhooks too
	mu  sync.Mutex
	gen uint64
	m   map[string]*Webhook
}

// maxCachedWebhooks bounds the cache; past it, it starts again empty.
const maxCachedWebhooks = 10_000

// get returns a copy of the cached webhook, or the generation a read must
// present to store what it reads.
func (c *webhookCache) get(id string) (*Webhook, uint64) {
	if c.off {
		return nil, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if w, ok := c.m[id]; ok {
		return copyWebhook(w), 0
	}
	return nil, c.gen
}

func (c *webhookCache) put(w *Webhook, gen uint64) {
	if c.off {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCachedWebhooks {
		c.m = map[string]*Webhook{}
	}
	c.m[w.ID] = copyWebhook(w)
}

// drop forgets a webhook; callers drop after their change committed.
func (c *webhookCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, id)
}

func (s *DB) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	w, gen := s.hooks.get(id)
	if w != nil {
		return w, nil
	}
	w, err := s.getWebhook(ctx, s.read(), id, "")
	if err == nil {
		s.hooks.put(w, gen)
	}
	return w, err
}
