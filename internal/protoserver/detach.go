// Package protoserver wraps the provider server that terraform-plugin-framework
// builds, so that an RPC's context is not kept alive after the RPC returned.
//
// Why: the framework's protocol 6 server (internal/proto6server,
// registerContext, v1.19.0) derives a cancelable context for every RPC and
// appends its CancelFunc to a slice that only StopProvider empties. Each
// CancelFunc holds its context, and through it the whole chain of the
// request's contexts: the gRPC stream, the SDK's loggers with their fields,
// the attribute paths the framework logged. That is about 12 KB per RPC,
// kept until the provider process exits: a no-change plan of 500 webhooks
// makes some 2,000 RPCs to one provider process, whose live heap then grows
// to over 30 MiB and whose garbage collector works ever harder (make bench).
//
// Wrap hands the framework a small context that forwards to the RPC's own
// until the RPC returns and then lets go of it, so the CancelFunc the
// framework keeps holds a few hundred bytes instead of the request.
package protoserver

import (
	"context"
	"sync/atomic"
	"time"
)

// detached is a context that forwards to parent until released. Done is the
// parent's channel, read once: cancellation flows from the parent as
// before, and a context derived from this one (context.WithCancel) is
// registered with the parent's canceler directly, without a goroutine,
// because Value forwards the context package's own lookup too.
type detached struct {
	parent atomic.Pointer[context.Context]
	done   <-chan struct{}
}

// Detach returns a context that behaves as ctx until release is called,
// and afterwards holds no reference to ctx: its values are gone, its
// deadline too, and Err reports context.Canceled. Call release when the
// work that was given the context has returned.
func Detach(ctx context.Context) (context.Context, func()) {
	d := &detached{done: ctx.Done()}
	d.parent.Store(&ctx)
	return d, func() { d.parent.Store(nil) }
}

func (d *detached) load() context.Context {
	if p := d.parent.Load(); p != nil {
		return *p
	}
	return nil
}

func (d *detached) Deadline() (time.Time, bool) {
	if p := d.load(); p != nil {
		return p.Deadline()
	}
	return time.Time{}, false
}

func (d *detached) Done() <-chan struct{} { return d.done }

func (d *detached) Err() error {
	if p := d.load(); p != nil {
		return p.Err()
	}
	return context.Canceled
}

func (d *detached) Value(key any) any {
	if p := d.load(); p != nil {
		return p.Value(key)
	}
	return nil
}

func (d *detached) String() string { return "protoserver.Detach" }
