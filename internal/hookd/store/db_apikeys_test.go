package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
)

func TestAPIKeys(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if n, err := s.CountAPIKeys(ctx); err != nil || n != 0 {
		t.Fatalf("CountAPIKeys = %d, %v; want 0", n, err)
	}
	h := secrets.HashAPIKey(secrets.NewAPIKey())
	if ok, err := s.HasAPIKey(ctx, h); err != nil || ok {
		t.Fatalf("HasAPIKey before add = %v, %v", ok, err)
	}
	for range 2 { // adding twice is harmless
		if err := s.AddAPIKey(ctx, h, t0); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.HasAPIKey(ctx, h); err != nil || !ok {
		t.Errorf("HasAPIKey after add = %v, %v", ok, err)
	}
	if ok, _ := s.HasAPIKey(ctx, secrets.HashAPIKey("other")); ok {
		t.Error("HasAPIKey accepts an unknown hash")
	}
	if n, err := s.CountAPIKeys(ctx); err != nil || n != 1 {
		t.Errorf("CountAPIKeys = %d, %v; want 1", n, err)
	}
}

// Of many processes starting together on an empty database, each making
// the first API key, one stores its key and the others learn they did not
// (on PostgreSQL each would otherwise find no key and add its own, and
// print a key of its own).
func TestAddFirstAPIKeyOnce(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	const starters = 8
	var (
		wg    sync.WaitGroup
		added atomic.Int32
		start = make(chan struct{})
	)
	for i := range starters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := s.AddFirstAPIKey(ctx, secrets.HashAPIKey(fmt.Sprintf("key-%d", i)), t0)
			if err != nil {
				t.Error(err)
			}
			if ok {
				added.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n, err := s.CountAPIKeys(ctx); err != nil || n != 1 || added.Load() != 1 {
		t.Fatalf("%d keys stored (%v), %d starters told they added theirs; want 1 and 1", n, err, added.Load())
	}
	if ok, err := s.AddFirstAPIKey(ctx, secrets.HashAPIKey("late"), t0); err != nil || ok {
		t.Fatalf("a key added to a database that has one: %v, %v", ok, err)
	}
}
