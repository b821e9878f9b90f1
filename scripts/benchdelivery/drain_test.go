package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// The drain's rate counts the intervals up to the first that ended with
// nothing queued, that one left out: the engine may have idled in it.
func TestDrainRatesStopAtAnEmptyQueue(t *testing.T) {
	at := time.Unix(0, 0)
	tk := func(ms int, succeeded int64) tick {
		return tick{at: at.Add(time.Duration(ms) * time.Millisecond), accepted: 100, succeeded: succeeded}
	}
	// 100 events of 10 deliveries: 1,000 queued at the start.
	ticks := []tick{tk(0, 0), tk(250, 300), tk(500, 550), tk(750, 1000), tk(1000, 1000)}
	if got, want := drainRates(ticks, 10), []float64{1200, 1000}; !slices.Equal(got, want) {
		t.Errorf("drainRates = %v, want %v", got, want)
	}
	if got := drainRates(ticks[:1], 10); len(got) != 0 {
		t.Errorf("one tick: %v", got)
	}
}

func TestBacklogEventsRoundsUp(t *testing.T) {
	for _, c := range []struct {
		backlog int64
		w       int
		want    int64
	}{{20000, 10, 2000}, {1201, 2, 601}, {5, 10, 1}, {7, 1, 7}} {
		if got := backlogEvents(c.backlog, c.w); got != c.want {
			t.Errorf("backlogEvents(%d, %d) = %d, want %d", c.backlog, c.w, got, c.want)
		}
	}
}

// The report checks that every row drained from the same backlog, within
// 1 %: the rows of bench/results/2026-11-30-delivery-47504c3.md, whose
// drains began from what the saturation window left (4,557 against 22,840),
// fail it; rows released together on one published backlog pass.
func TestBacklogCheck(t *testing.T) {
	row := func(b string, n int, backlog int64) backendResult {
		return backendResult{Backend: b, Processes: n, Drain: drainResult{Queued: 20000, Backlog: backlog, StartMS: 40}}
	}
	na := backendResult{Backend: backendSQLite, Processes: 2, NA: sqliteOneProcess}
	same := []backendResult{row(backendSQLite, 1, 20000), na, row(backendPostgres, 1, 19950), row(backendPostgres, 2, 19810)}
	if lo, hi, spread := backlogSpread(same); lo != 19810 || hi != 20000 || spread > 0.01 {
		t.Errorf("backlogSpread = %d, %d, %g", lo, hi, spread)
	}
	if got := backlogCheck(same); !strings.Contains(got, "19,810 to 20,000, every row within 1 %") || strings.Contains(got, "**") {
		t.Errorf("equal backlogs: %s", got)
	}
	apart := []backendResult{row(backendPostgres, 1, 22840), row(backendPostgres, 2, 4557)}
	if got := backlogCheck(apart); !strings.Contains(got, "**backlog when draining began: 4,557 to 22,840, 80.0 % apart") {
		t.Errorf("unequal backlogs: %s", got)
	}
	if _, _, spread := backlogSpread([]backendResult{row(backendSQLite, 1, 20000), na}); spread != 0 {
		t.Errorf("one row: spread %g", spread)
	}
}

// -backend-backlog defaults to 20,000 deliveries, 5,000 with -quick (to
// load in well under a second), and an explicit value wins.
func TestBackendBacklogFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want int64
	}{
		{nil, defaultBacklog},
		{[]string{"-quick"}, quickBacklog},
		{[]string{"-quick", "-backend-backlog", "900"}, 900},
	} {
		cfg, err := parseFlags(c.args, &bytes.Buffer{})
		if err != nil || cfg.backendBacklog != c.want {
			t.Errorf("%v: %v, %v; want %d", c.args, cfg, err, c.want)
		}
	}
	if _, err := parseFlags([]string{"-backend-backlog", "0"}, &bytes.Buffer{}); err == nil {
		t.Error("-backend-backlog 0 accepted")
	}
}
