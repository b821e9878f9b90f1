package store

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// A run that fails is tried again after a wait that doubles with each
// failure in a row (every, then 2, 4, 8 times it), not every few hundred
// milliseconds against a failing database.
func TestGathererBacksOffAfterFailures(t *testing.T) {
	const every = 10 * time.Millisecond
	var (
		mu   sync.Mutex
		runs []time.Time
	)
	done := make(chan struct{})
	g := startGatherer(every, func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		runs = append(runs, time.Now())
		if len(runs) == 5 {
			close(done)
		}
		if len(runs) >= 5 {
			return false, nil
		}
		return false, errors.New("database is locked")
	})
	defer g.close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("fewer than 5 runs in 10 s")
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < 5; i++ {
		// Run i follows i failures in a row: it waited every << i.
		if gap, want := runs[i].Sub(runs[i-1]), every<<i; gap < want {
			t.Errorf("run %d came %s after the one before, want at least %s", i+1, gap, want)
		}
	}
}
