package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

type fakeStats struct {
	st  store.DeliveryStats
	err error
	at  time.Time
}

func (f *fakeStats) DeliveryStats(_ context.Context, now time.Time) (store.DeliveryStats, error) {
	f.at = now
	return f.st, f.err
}

func TestObserver(t *testing.T) {
	m := New(Config{Stats: &fakeStats{}})
	m.EventPublished(3)
	m.EventPublished(0)
	for range 4 {
		m.AttemptStarted()
	}
	if got := testutil.ToFloat64(m.attemptsInFlight); got != 4 {
		t.Fatalf("in flight = %v, want 4", got)
	}
	m.AttemptFinished(store.DeliverySucceeded, 20*time.Millisecond)
	m.AttemptFinished(store.DeliveryRetrying, time.Second)
	m.AttemptFinished(store.DeliveryDeadLettered, 2*time.Second)
	m.AttemptFinished("something_new", time.Millisecond)
	for _, c := range []struct {
		what string
		got  float64
		want float64
	}{
		{"events published", testutil.ToFloat64(m.eventsPublished), 2},
		{"deliveries created", testutil.ToFloat64(m.deliveriesCreated), 3},
		{"in flight", testutil.ToFloat64(m.attemptsInFlight), 0},
		{"attempts succeeded", testutil.ToFloat64(m.attempts.WithLabelValues("succeeded")), 1},
		{"attempts retrying", testutil.ToFloat64(m.attempts.WithLabelValues("retrying")), 1},
		{"attempts dead_lettered", testutil.ToFloat64(m.attempts.WithLabelValues("dead_lettered")), 1},
		{"attempts other", testutil.ToFloat64(m.attempts.WithLabelValues("other")), 1},
		{"attempts failed_to_record", testutil.ToFloat64(m.attempts.WithLabelValues("failed_to_record")), 0},
		{"deliveries succeeded", testutil.ToFloat64(m.deliveries.WithLabelValues("succeeded")), 1},
		{"deliveries dead_lettered", testutil.ToFloat64(m.deliveries.WithLabelValues("dead_lettered")), 1},
		{"attempt outcome series", float64(testutil.CollectAndCount(m.attempts)), 5},
		{"delivery outcome series", float64(testutil.CollectAndCount(m.deliveries)), 2},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

// Methods are mapped onto a fixed set: a client choosing the method must
// not be able to add series.
func TestObserveRequestBoundsMethods(t *testing.T) {
	m := New(Config{})
	m.ObserveRequest("/v1/groups", "GET", 200, time.Millisecond)
	for i := range 50 {
		m.ObserveRequest("unmatched", strings.Repeat("X", i+1), 405, time.Millisecond)
	}
	if n := testutil.CollectAndCount(m.requests); n != 2 {
		t.Errorf("%d request series, want 2", n)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("unmatched", "other", "405")); got != 50 {
		t.Errorf("other-method requests = %v, want 50", got)
	}
}

func TestBacklog(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	oldest := clock.Now().Add(-90 * time.Second)
	stats := &fakeStats{st: store.DeliveryStats{Due: 7, Retrying: 3, OldestDueAt: &oldest}}
	m := New(Config{Stats: stats, Clock: clock})
	want := `
# HELP hookd_deliveries_due Deliveries waiting for an attempt now (pending or retrying, next attempt time reached, no attempt running).
# TYPE hookd_deliveries_due gauge
hookd_deliveries_due 7
# HELP hookd_deliveries_oldest_due_age_seconds How long the longest-waiting due delivery has been due; 0 when none is.
# TYPE hookd_deliveries_oldest_due_age_seconds gauge
hookd_deliveries_oldest_due_age_seconds 90
# HELP hookd_deliveries_retrying Deliveries in status retrying, due or not.
# TYPE hookd_deliveries_retrying gauge
hookd_deliveries_retrying 3
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"hookd_deliveries_due", "hookd_deliveries_retrying", "hookd_deliveries_oldest_due_age_seconds"); err != nil {
		t.Error(err)
	}
	if !stats.at.Equal(clock.Now()) {
		t.Errorf("stats read at %v, want the injected clock's %v", stats.at, clock.Now())
	}

	// A failing query leaves the backlog out of the scrape, not the rest.
	stats.err = errors.New("database is locked")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || strings.Contains(body, "hookd_deliveries_due ") || !strings.Contains(body, "hookd_delivery_attempts_in_flight 0") {
		t.Errorf("scrape with a failing backlog query: %d\n%s", rec.Code, body)
	}
}

// The observer is called from every worker at once: in-flight returns to
// zero and no attempt is lost.
func TestObserverConcurrent(t *testing.T) {
	m := New(Config{})
	const workers, each = 16, 500
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				m.AttemptStarted()
				m.AttemptFinished(store.DeliverySucceeded, time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if got := testutil.ToFloat64(m.attemptsInFlight); got != 0 {
		t.Errorf("in flight = %v, want 0", got)
	}
	if got := testutil.ToFloat64(m.attempts.WithLabelValues("succeeded")); got != workers*each {
		t.Errorf("attempts = %v, want %d", got, workers*each)
	}
}
