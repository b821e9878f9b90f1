package main

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// latency sums up a set of measured durations plus Missing ones that never
// completed within the wait (longer than any measured one). A percentile
// that falls among the missing ones is +Inf: the table shows it as "> the
// longest measured".
type latency struct {
	N       int     `json:"n"`
	Missing int     `json:"missing"`
	P50MS   float64 `json:"p50_ms"`
	P99MS   float64 `json:"p99_ms"`
	MaxMS   float64 `json:"max_ms"` // of the measured ones
}

func summarize(ds []time.Duration, missing int) latency {
	missing = max(missing, 0)
	s := slices.Clone(ds)
	slices.Sort(s)
	l := latency{N: len(s), Missing: missing}
	l.P50MS, l.P99MS = percentile(s, missing, 0.50), percentile(s, missing, 0.99)
	if len(s) > 0 {
		l.MaxMS = ms(s[len(s)-1])
	}
	return l
}

// percentile is the nearest-rank q-quantile of sorted plus `missing`
// values above all of them (+Inf when it is one of those; NaN when there
// are no values at all).
func percentile(sorted []time.Duration, missing int, q float64) float64 {
	n := len(sorted) + missing
	if n == 0 {
		return math.NaN()
	}
	rank := max(int(math.Ceil(q*float64(n))), 1) - 1
	if rank >= len(sorted) {
		return math.Inf(1)
	}
	return ms(sorted[rank])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fmtMS prints a latency in ms; +Inf as "> max".
// fmtP50P99 is "p50 / p99" of l.
func fmtP50P99(l latency) string {
	return fmtMS(l.P50MS, l.MaxMS) + " / " + fmtMS(l.P99MS, l.MaxMS)
}

func fmtMS(v, maxMS float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.IsInf(v, 1) && maxMS > 0:
		return "> " + fmtMS(maxMS, 0)
	case math.IsInf(v, 1):
		return "none in time"
	case math.Abs(v) < 0.05:
		return "0.0 ms" // not "-0.0"
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	default:
		return fmt.Sprintf("%.1f ms", v)
	}
}

// fmtRate prints a rate with thousands separators.
func fmtRate(v float64) string {
	n := int64(math.Round(v))
	s := fmt.Sprint(n)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out)
}

// MarshalJSON writes a percentile that is not a number (none measured, or
// among the missing) as null: JSON has no infinity.
func (l latency) MarshalJSON() ([]byte, error) {
	finite := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		N       int      `json:"n"`
		Missing int      `json:"missing"`
		P50MS   *float64 `json:"p50_ms"`
		P99MS   *float64 `json:"p99_ms"`
		MaxMS   float64  `json:"max_ms"`
	}{l.N, l.Missing, finite(l.P50MS), finite(l.P99MS), l.MaxMS})
}
