package httpapi

import (
	"math"
	"time"
)

// The store keeps times as Unix nanoseconds in an int64, which hold the
// years 1678 to 2262; outside them UnixNano wraps, and a far-future bound
// such as since=2610-01-01T00:00:00Z would compare as a time in the past.
var (
	minStoredTime = time.Unix(0, math.MinInt64).UTC()
	maxStoredTime = time.Unix(0, math.MaxInt64).UTC()
)

// timeRangeProblem says why t, given for the query parameter as s, is not
// a time the store can compare, or "" when it is.
func timeRangeProblem(t time.Time, s string) string {
	if t.Before(minStoredTime) || t.After(maxStoredTime) {
		return "must be between " + minStoredTime.Format(time.RFC3339) + " and " + maxStoredTime.Format(time.RFC3339) +
			` (the times hookd can store), got "` + s + `"`
	}
	return ""
}
