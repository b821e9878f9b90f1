package console

import (
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// The chart's 24 hours end with the current one; each count lands in the
// bar of its hour, a pending delivery counts as retrying (both wait for an
// attempt), canceled ones are not drawn, and hours outside the window are
// left out.
func TestLast24h(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 59, 59, 0, time.FixedZone("CET", 3600)) // 09:59:59Z
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)                    // 23 hours before 09:00Z
	if since, until := chartWindow(now); !since.Equal(start) || !until.Equal(start.Add(24*time.Hour)) {
		t.Errorf("window %v to %v, want %v to %v", since, until, start, start.Add(24*time.Hour))
	}
	ch := chartOf(start, []statsBucket{
		{Start: start.Add(-time.Hour), Succeeded: 1000}, // before the window
		{Start: start, Succeeded: 4, DeadLettered: 2},
		{Start: start.Add(5 * time.Hour), Pending: 3, Retrying: 1},
		{Start: start.Add(23 * time.Hour), Succeeded: 8, Canceled: 5}, // the current hour; canceled not drawn
		{Start: start.Add(24 * time.Hour), Succeeded: 1000},
	})
	if len(ch.Bars) != 24 {
		t.Fatalf("%d bars, want 24", len(ch.Bars))
	}
	type drawn struct {
		status string
		count  int
	}
	got := map[string][]drawn{}
	for _, b := range ch.Bars {
		for _, s := range b.Segs {
			got[b.Label] = append(got[b.Label], drawn{s.Status, s.Count})
		}
	}
	want := map[string][]drawn{
		"10:00Z": {{"succeeded", 4}, {"dead_lettered", 2}},
		"15:00Z": {{"retrying", 4}},
		"09:00Z": {{"succeeded", 8}},
	}
	if len(got) != len(want) {
		t.Errorf("bars with counts: %v, want %v", got, want)
	}
	for label, w := range want {
		if g := got[label]; len(g) != len(w) || (len(g) > 0 && g[0] != w[0]) || (len(g) > 1 && g[1] != w[1]) {
			t.Errorf("the %s bar: %v, want %v", label, g, w)
		}
	}
	if ch.Bars[0].Label != "10:00Z" || ch.Bars[23].Label != "09:00Z" || ch.Bars[5].X != 5*chartWidth/24 {
		t.Errorf("bars from %s to %s, the sixth at x=%d", ch.Bars[0].Label, ch.Bars[23].Label, ch.Bars[5].X)
	}
	if ch.Total[store.DeliverySucceeded] != 12 || ch.Total[store.DeliveryRetrying] != 4 || ch.Total[store.DeliveryDeadLettered] != 2 {
		t.Errorf("totals %v, want 12 succeeded, 4 retrying, 2 dead-lettered", ch.Total)
	}
	if want := "Last 24 hours: 12 succeeded, 4 retrying or pending, 2 dead-lettered."; ch.Summary() != want {
		t.Errorf("summary %q, want %q", ch.Summary(), want)
	}
}

// Bars stack bottom up from the axis (succeeded, retrying, dead-lettered),
// their heights in proportion to the busiest hour, which fills the plot;
// a count too small to show is one unit high, not nothing.
func TestDrawChart(t *testing.T) {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var counts [24]map[string]int
	for i := range counts {
		counts[i] = map[string]int{}
	}
	counts[0] = map[string]int{"succeeded": 500, "retrying": 250, "dead_lettered": 250} // the busiest: 1000
	counts[1] = map[string]int{"succeeded": 1}
	counts[2] = map[string]int{"dead_lettered": 100}
	ch := drawChart(start, counts, nil)
	if ch.Max != 1000 {
		t.Errorf("max %d, want 1000", ch.Max)
	}
	type box struct{ y, h int }
	check := func(bar int, want ...box) {
		t.Helper()
		segs := ch.Bars[bar].Segs
		if len(segs) != len(want) {
			t.Fatalf("bar %d: %d segments %+v, want %d", bar, len(segs), segs, len(want))
		}
		for i, w := range want {
			if segs[i].Y != w.y || segs[i].H != w.h {
				t.Errorf("bar %d, %s: y=%d h=%d, want y=%d h=%d", bar, segs[i].Status, segs[i].Y, segs[i].H, w.y, w.h)
			}
		}
	}
	// 500, 250, 250 of 1000 on a 130-unit plot: 65, 32, 32, stacked on
	// the axis at 140.
	check(0, box{140 - 65, 65}, box{140 - 65 - 32, 32}, box{140 - 65 - 32 - 32, 32})
	check(1, box{139, 1})
	check(2, box{140 - 13, 13})
	if ch.Bars[0].Segs[2].Fill != "#c83a45" || ch.Bars[0].Segs[0].Fill != "#2f9e5b" {
		t.Errorf("fills %+v", ch.Bars[0].Segs)
	}
	if len(ch.Bars[3].Segs) != 0 {
		t.Errorf("an empty hour has a bar: %+v", ch.Bars[3].Segs)
	}
	var ticks []string
	for _, tk := range ch.Ticks {
		ticks = append(ticks, tk.Label)
	}
	if len(ticks) != 4 || ticks[0] != "00:00Z" || ticks[3] != "18:00Z" || ch.Ticks[2].X != chartWidth/2 {
		t.Errorf("ticks %v (the third at x=%d)", ticks, ch.Ticks[2].X)
	}
	// No delivery at all: no bar, no division by zero.
	var none [24]map[string]int
	if ch := drawChart(start, none, nil); ch.Max != 0 || len(ch.Bars) != 24 || len(ch.Bars[0].Segs) != 0 {
		t.Errorf("an empty day: max %d, %d bars", ch.Max, len(ch.Bars))
	}
}
