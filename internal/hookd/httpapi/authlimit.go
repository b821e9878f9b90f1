package httpapi

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Defaults of the failed-authentication limit: a burst of 10 failures per
// client address, then one more per second.
const (
	DefaultAuthFailureLimit = 1.0
	DefaultAuthFailureBurst = 10
	// maxAuthFailureClients bounds the table: when it is full, addresses
	// whose bucket is full again are forgotten (at most once a second), and
	// while none is, every address not in it shares one overflow bucket.
	maxAuthFailureClients = 10000
)

// authFailures is a token bucket per client address that failed
// authentications (401) use up. An address with less than a token gets 429
// for every request, right key or wrong, before its key is looked at, until
// a token is back: a guesser learns nothing more, and a valid client behind
// the same address waits at most 1/limit. Valid keys take nothing, so a
// client's concurrency is never limited by this.
//
// Failures that were in flight together when the bucket ran out all count:
// the bucket goes below zero and the address waits that debt off too, so
// that over any period no address fails more than burst + limit × seconds
// (plus the requests it had in flight at that moment).
type authFailures struct {
	mu      sync.Mutex
	perSec  float64 // 0: disabled
	burst   float64
	buckets map[string]*bucket
	// shared, when set, holds the buckets instead of buckets (processes
	// sharing a database count their failures together).
	shared Buckets
	log    *slog.Logger
	// maxClients bounds buckets (maxAuthFailureClients). overflow is the
	// bucket of the addresses that found the table full: past the bound,
	// a guesser with many addresses fails no faster than one.
	maxClients int
	overflow   *bucket
	swept      time.Time // when forgetFull last ran
}

type bucket struct {
	tokens float64   // below zero after concurrent failures
	at     time.Time // when tokens was last brought up to date
}

func newAuthFailures(limit float64, burst int) *authFailures {
	switch {
	case limit == 0:
		limit = DefaultAuthFailureLimit
	case limit < 0:
		return &authFailures{} // disabled
	}
	if burst <= 0 {
		burst = DefaultAuthFailureBurst
	}
	return &authFailures{perSec: limit, burst: float64(burst), buckets: map[string]*bucket{}, maxClients: maxAuthFailureClients}
}

// wait returns how long client must wait before it may authenticate again,
// or 0.
func (f *authFailures) wait(ctx context.Context, client string, now time.Time) time.Duration {
	if f.perSec <= 0 {
		return 0
	}
	if f.shared != nil {
		return f.takeShared(ctx, client, now, false)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[client]
	if !ok {
		if b = f.overflow; b == nil || len(f.buckets) < f.maxClients {
			return 0
		}
	}
	f.refill(b, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / f.perSec * float64(time.Second))
}

// fail takes a token from client's bucket for a failed authentication.
func (f *authFailures) fail(ctx context.Context, client string, now time.Time) {
	if f.perSec <= 0 {
		return
	}
	if f.shared != nil {
		f.takeShared(ctx, client, now, true)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.bucketFor(client, now)
	f.refill(b, now)
	b.tokens--
}

// bucketFor returns client's bucket, adding one while the table has room,
// else the overflow bucket; f.mu is held.
func (f *authFailures) bucketFor(client string, now time.Time) *bucket {
	if b, ok := f.buckets[client]; ok {
		return b
	}
	if len(f.buckets) >= f.maxClients && now.Sub(f.swept) >= time.Second {
		f.swept = now
		f.forgetFull(now)
	}
	if len(f.buckets) >= f.maxClients {
		if f.overflow == nil {
			f.overflow = &bucket{tokens: f.burst, at: now}
		}
		return f.overflow
	}
	b := &bucket{tokens: f.burst, at: now}
	f.buckets[client] = b
	return b
}

// takeShared looks at (take false) or takes a token with debt from the
// client's shared bucket. A bucket that cannot be read limits nothing (the
// failure is logged): the database is in trouble, and the key check that
// follows needs it too.
func (f *authFailures) takeShared(ctx context.Context, client string, now time.Time, take bool) time.Duration {
	wait, err := f.shared.TakeToken(ctx, store.BucketRequest{
		Key: "auth_failures/" + client, Now: now, PerSec: f.perSec, Burst: f.burst, Take: take, Debt: take,
	})
	if err != nil {
		f.log.Warn("failed-authentication limit not applied: its bucket could not be read", "error", err)
		return 0
	}
	return wait
}

func (f *authFailures) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(f.burst, b.tokens+elapsed.Seconds()*f.perSec)
		b.at = now
	}
}

// forgetFull drops the buckets that are full again (their address has not
// failed lately); f.mu is held.
func (f *authFailures) forgetFull(now time.Time) {
	for k, b := range f.buckets {
		if f.refill(b, now); b.tokens >= f.burst {
			delete(f.buckets, k)
		}
	}
}
