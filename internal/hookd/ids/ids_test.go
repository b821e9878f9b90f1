package ids

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

var shape = regexp.MustCompile(`^dlv_[a-z2-7]{20}$`)

// Ids keep the shape they always had: the prefix and 20 characters of
// [a-z2-7].
func TestNew_shape(t *testing.T) {
	for range 1000 {
		if id := New("dlv_"); !shape.MatchString(id) {
			t.Fatalf("%q does not match %s", id, shape)
		}
	}
}

// Ids sort as they were made, a millisecond apart or more, across the
// whole range of the time part (each of its characters rolling over).
func TestAt_sortsByTime(t *testing.T) {
	base := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var times []time.Time
	for _, d := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 31 * time.Millisecond, 32 * time.Millisecond,
		time.Second, time.Minute, time.Hour, 24 * time.Hour, 365 * 24 * time.Hour, 30 * 365 * 24 * time.Hour} {
		times = append(times, base.Add(d))
	}
	times = append(times, time.UnixMilli(0), time.UnixMilli(1), time.UnixMilli(1<<45-1))
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	var made []string
	for _, tm := range times {
		made = append(made, At("dlv_", tm))
	}
	if !slices.IsSorted(made) {
		t.Fatalf("ids out of time order: %v", made)
	}
	for i, id := range made {
		if !shape.MatchString(id) {
			t.Errorf("%q (made at %v) does not match %s", id, times[i], shape)
		}
	}
}

// Ids made in the same millisecond differ (55 random bits).
func TestAt_sameMillisecondDistinct(t *testing.T) {
	now := time.Now()
	seen := map[string]bool{}
	for range 100000 {
		id := At("evt_", now)
		if seen[id] {
			t.Fatalf("%s made twice", id)
		}
		seen[id] = true
	}
}
