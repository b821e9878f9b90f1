package protoserver

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
	"weak"
)

type key struct{}

// Until release, the detached context is its parent: values, deadline,
// cancellation, and contexts derived from it are canceled with the parent.
func TestDetach_followsParent(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.WithValue(context.Background(), key{}, "v"), deadline)
	ctx, release := Detach(parent)
	defer release()

	if got := ctx.Value(key{}); got != "v" {
		t.Errorf("Value = %v, want v", got)
	}
	if got, ok := ctx.Deadline(); !ok || !got.Equal(deadline) {
		t.Errorf("Deadline = %v %v, want %v true", got, ok, deadline)
	}
	if err := ctx.Err(); err != nil {
		t.Errorf("Err before cancel = %v", err)
	}
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()

	cancel()
	select {
	case <-ctx.Done():
	default:
		t.Fatal("Done not closed when the parent was canceled")
	}
	select {
	case <-child.Done():
	case <-time.After(time.Second):
		t.Fatal("a context derived from the detached one was not canceled with the parent")
	}
	if err := ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after cancel = %v, want context.Canceled", err)
	}
}

// After release the context answers as a canceled one with no values, and
// holds nothing of its parent: once the RPC is over (its context canceled
// and dropped by the caller), a value only the parent referenced is
// collected although a context derived from the detached one is still
// alive, as the framework keeps it.
func TestDetach_releaseLetsGoOfParent(t *testing.T) {
	kept, keptCancel, weakMarker := rpc(t)

	runtime.GC()
	runtime.GC()
	if weakMarker.Value() != nil {
		t.Error("the parent's value is still reachable through the released context")
	}
	keptCancel() // after release: must not panic, and finds no parent to leave
	runtime.KeepAlive(kept)
}

// rpc plays one RPC: a request context with a large value, detached for
// the handler, which derives a context it keeps; then release, and the
// caller cancels and drops the request context.
func rpc(t *testing.T) (context.Context, context.CancelFunc, weak.Pointer[[1 << 16]byte]) {
	marker := &[1 << 16]byte{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, marker))
	ctx, release := Detach(parent)
	kept, keptCancel := context.WithCancel(ctx)
	release()
	cancel()

	if got := ctx.Value(key{}); got != nil {
		t.Errorf("Value after release = %v, want nil", got)
	}
	if _, ok := ctx.Deadline(); ok {
		t.Error("Deadline after release reports one")
	}
	if err := ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after release = %v, want context.Canceled", err)
	}
	return kept, keptCancel, weak.Make(marker)
}
